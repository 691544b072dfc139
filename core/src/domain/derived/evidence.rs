//! What a reviewer should know about the photos behind a report (R5.2, R5.4): warnings on
//! each photo — taken from the gallery, taken long before the server received it or "after"
//! it (a phone clock set wrong), no camera time, no place, not through the capture pipeline
//! at all, the same photo cited twice — and the rectification's before/after pairs.
//!
//! Pure functions of an item's events and the policy. The receipt time is the event's own
//! time, which the server stamps when it accepts the command, so a phone's clock cannot set
//! it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::event::{Event, EventKind};
use crate::domain::model::{BlobRef, PhotoSource, ReportId, TimeSource};
use crate::domain::policy::Policy;

/// One warning on a photo: a stable code and a sentence in Chinese and English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceWarning {
    /// Stable code, e.g. `evidence.from_gallery`.
    pub code: String,
    /// In Chinese.
    pub zh: String,
    /// In English.
    pub en: String,
}

fn warning(code: &str, zh: String, en: String) -> EvidenceWarning {
    EvidenceWarning {
        code: code.to_owned(),
        zh,
        en,
    }
}

/// A file cited by the item, with what the reviewer should be told about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceCheck {
    /// The file as cited.
    pub file: BlobRef,
    /// The report citing it; `None` for the registration's attachments.
    pub report: Option<ReportId>,
    /// When the server received the command citing it.
    pub received_at: DateTime<Utc>,
    /// Warnings, in a fixed order; empty when nothing is amiss.
    pub warnings: Vec<EvidenceWarning>,
}

/// A rectification's "before" photo and the "after" photos that answer it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoPair {
    /// The problem as found (cited by the registration).
    pub before: BlobRef,
    /// The photos that answer it, oldest first; empty while unanswered.
    pub after: Vec<BlobRef>,
}

/// The files cited by an item's events, in trail order: (report, receipt time, file).
fn cited(events: &[Event]) -> impl Iterator<Item = (Option<ReportId>, DateTime<Utc>, &BlobRef)> {
    events.iter().flat_map(|e| {
        let (report, files): (Option<ReportId>, &[BlobRef]) = match &e.kind {
            EventKind::Registered(r) => (None, &r.attachments),
            EventKind::ProgressReported { report, .. }
            | EventKind::CompletionReported { report, .. } => (Some(report.id), &report.evidence),
            _ => (None, &[]),
        };
        files.iter().map(move |f| (report, e.at, f))
    })
}

fn hours(d: Duration) -> i64 {
    d.num_hours()
}

/// Checks every file an item cites. `events` is the item's trail in order.
pub fn check_evidence(events: &[Event], policy: &Policy) -> Vec<EvidenceCheck> {
    let rules = &policy.evidence;
    let befores: Vec<&str> = before_photos(events).map(|b| b.hash.as_str()).collect();
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for (report, received_at, file) in cited(events) {
        let mut warnings = Vec::new();
        if seen.contains(&file.hash.as_str()) {
            warnings.push(warning(
                "evidence.reused",
                "同一文件已在本事项中作为佐证使用过".into(),
                "the same file was already cited as evidence on this item".into(),
            ));
        }
        seen.push(&file.hash);
        match file.photo.as_deref() {
            None if file.mime.starts_with("image/") => warnings.push(warning(
                "evidence.unprocessed",
                "图片未经现场拍照处理:无水印,无拍摄时间和地点".into(),
                "an image that did not go through the on-site capture: no watermark, no capture time or place".into(),
            )),
            None => {}
            Some(p) => {
                if p.source == PhotoSource::Gallery {
                    warnings.push(warning(
                        "evidence.from_gallery",
                        "照片从相册选取,并非现场拍摄".into(),
                        "the photo was picked from the gallery, not taken on site".into(),
                    ));
                }
                if p.time_source == TimeSource::Device {
                    warnings.push(warning(
                        "evidence.time_from_device",
                        "照片无相机记录的拍摄时间,时间取自手机时钟".into(),
                        "the photo has no camera capture time; the time is the phone's clock".into(),
                    ));
                }
                let captured = p.captured_at.with_timezone(&Utc);
                let ahead = captured - received_at;
                let behind = received_at - captured;
                if ahead > Duration::minutes(i64::from(rules.clock_tolerance_minutes)) {
                    warnings.push(warning(
                        "evidence.captured_after_receipt",
                        format!(
                            "拍摄时间比服务器收到时间晚 {} 分钟:手机时间可能被调整",
                            ahead.num_minutes()
                        ),
                        format!(
                            "the capture time is {} minutes after the server received it: the phone's clock may have been changed",
                            ahead.num_minutes()
                        ),
                    ));
                } else if behind > Duration::hours(i64::from(rules.max_delay_hours)) {
                    warnings.push(warning(
                        "evidence.captured_long_before",
                        format!("拍摄于服务器收到前 {} 小时", hours(behind)),
                        format!(
                            "taken {} hours before the server received it",
                            hours(behind)
                        ),
                    ));
                }
                if p.location.is_none() {
                    warnings.push(warning(
                        "evidence.no_location",
                        "照片没有拍摄地点".into(),
                        "the photo has no location".into(),
                    ));
                }
                if let Some(answers) = &p.answers {
                    if !befores.contains(&answers.as_str()) {
                        warnings.push(warning(
                            "evidence.pair_unknown",
                            "照片对应的整改前照片不属于本事项".into(),
                            "the \"before\" photo this one answers is not one of this item's".into(),
                        ));
                    }
                }
            }
        }
        out.push(EvidenceCheck {
            file: file.clone(),
            report,
            received_at,
            warnings,
        });
    }
    out
}

/// The "before" photos: photos among the registration's attachments (the problem as found
/// on site, R5.4).
fn before_photos(events: &[Event]) -> impl Iterator<Item = &BlobRef> {
    cited(events)
        .filter(|(report, _, f)| report.is_none() && f.photo.is_some())
        .map(|(_, _, f)| f)
}

/// The rectification's before/after pairs: each "before" photo with the report photos that
/// answer it. An item without before photos has no pairs.
pub fn photo_pairs(events: &[Event]) -> Vec<PhotoPair> {
    let mut pairs: Vec<PhotoPair> = Vec::new();
    for before in before_photos(events) {
        if !pairs.iter().any(|p| p.before.hash == before.hash) {
            pairs.push(PhotoPair {
                before: before.clone(),
                after: Vec::new(),
            });
        }
    }
    for (report, _, file) in cited(events) {
        let answers = file.photo.as_deref().and_then(|p| p.answers.as_deref());
        if let (Some(_), Some(answers)) = (report, answers) {
            if let Some(pair) = pairs.iter_mut().find(|p| p.before.hash == answers) {
                if !pair.after.iter().any(|a| a.hash == file.hash) {
                    pair.after.push(file.clone());
                }
            }
        }
    }
    pairs
}
