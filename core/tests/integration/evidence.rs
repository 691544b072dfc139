//! What a reviewer is told about the photos behind a rectification (R5.2, R5.4): each
//! warning on its own, none on a good photo, and the before/after pairs — all through the
//! real rules (register with a "before" photo, dispatch, receive, reports with evidence).

use chrono::{DateTime, Duration, FixedOffset, Utc};
use duban_core::domain::command::ReportBody;
use duban_core::domain::derived::evidence::{check_evidence, photo_pairs};
use duban_core::domain::model::{BlobRef, GeoPoint, PhotoMeta, PhotoSource, ReportId, TimeSource};
use duban_core::domain::Command;

use crate::support::*;

fn hash(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

/// A photo as the pipeline describes it, taken at `at` (UTC+08:00).
fn shot(n: u8, at: DateTime<Utc>) -> BlobRef {
    let mut b = BlobRef::file(hash(n), "image/jpeg", 200_000, "现场.jpg");
    b.photo = Some(Box::new(PhotoMeta {
        captured_at: at.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap()),
        time_source: TimeSource::Exif,
        location: GeoPoint::from_degrees(36.81, 118.05),
        place: Some("城关镇解放路".into()),
        make: Some("HUAWEI".into()),
        model: Some("Mate 60".into()),
        source: PhotoSource::Camera,
        width: 1600,
        height: 1200,
        thumbnail: BlobRef::file(
            hash(n.wrapping_add(100)),
            "image/jpeg",
            9_000,
            "thumbnail.jpg",
        ),
        answers: None,
    }));
    b
}

fn meta(b: &mut BlobRef) -> &mut PhotoMeta {
    b.photo.as_deref_mut().unwrap()
}

fn report(n: u128, evidence: Vec<BlobRef>) -> Command {
    Command::ReportProgress {
        report: ReportBody {
            id: ReportId::from_u128(n),
            text: "整改进展".into(),
            evidence,
            values: Default::default(),
        },
        percent: 50,
        milestone: None,
        answers: None,
    }
}

/// A rectification registered with one "before" photo, dispatched and received.
fn rectification(before: BlobRef) -> World {
    let mut w = World::new();
    let mut reg = registration("rectification", 1);
    reg.attachments = vec![before];
    w.ok(SUPERVISOR, register(reg))
        .ok(SUPERVISOR, dispatch(order(HANDLER)))
        .advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive);
    w
}

fn codes(w: &World, report: u128) -> Vec<String> {
    check_evidence(&w.events, &w.policy)
        .into_iter()
        .filter(|c| c.report == Some(ReportId::from_u128(report)))
        .flat_map(|c| c.warnings.into_iter().map(|x| x.code))
        .collect()
}

#[test]
fn a_good_photo_raises_no_warning_and_every_file_is_listed_with_its_receipt_time() {
    let mut w = rectification(shot(1, World::new().now - Duration::hours(1)));
    w.advance(Duration::hours(2));
    let fresh = shot(2, w.now - Duration::minutes(20));
    w.ok(HANDLER, report(10, vec![fresh.clone()]));
    let checks = check_evidence(&w.events, &w.policy);
    assert_eq!(checks.len(), 2, "the before photo and the report's");
    assert_eq!(checks[0].report, None);
    assert_eq!(checks[1].file, fresh);
    assert_eq!(
        checks[1].received_at, w.now,
        "the server's time of the report"
    );
    assert!(checks.iter().all(|c| c.warnings.is_empty()), "{checks:?}");
}

#[test]
fn each_warning_on_its_own() {
    let start = World::new().now;
    let mut w = rectification(shot(1, start));
    w.advance(Duration::hours(30));
    let now = w.now;

    let mut gallery = shot(2, now - Duration::minutes(5));
    meta(&mut gallery).source = PhotoSource::Gallery;
    w.ok(HANDLER, report(11, vec![gallery]));
    assert_eq!(codes(&w, 11), ["evidence.from_gallery"]);

    let mut device = shot(3, now - Duration::minutes(5));
    meta(&mut device).time_source = TimeSource::Device;
    w.ok(HANDLER, report(12, vec![device]));
    assert_eq!(codes(&w, 12), ["evidence.time_from_device"]);

    // 25 hours before receipt: over the default 24.
    w.ok(
        HANDLER,
        report(13, vec![shot(4, now - Duration::hours(25))]),
    );
    assert_eq!(codes(&w, 13), ["evidence.captured_long_before"]);
    // 23 hours: within it.
    w.ok(
        HANDLER,
        report(14, vec![shot(5, now - Duration::hours(23))]),
    );
    assert!(codes(&w, 14).is_empty());

    // A clock 11 minutes ahead of the server's; 9 minutes is within the tolerance.
    w.ok(
        HANDLER,
        report(15, vec![shot(6, now + Duration::minutes(11))]),
    );
    assert_eq!(codes(&w, 15), ["evidence.captured_after_receipt"]);
    w.ok(
        HANDLER,
        report(16, vec![shot(7, now + Duration::minutes(9))]),
    );
    assert!(codes(&w, 16).is_empty());

    let mut nowhere = shot(8, now);
    meta(&mut nowhere).location = None;
    w.ok(HANDLER, report(17, vec![nowhere]));
    assert_eq!(codes(&w, 17), ["evidence.no_location"]);

    // An image that never went through the pipeline; a PDF is no photo and passes.
    w.ok(
        HANDLER,
        report(
            18,
            vec![
                BlobRef::file(hash(9), "image/jpeg", 1000, "旧照片.jpg"),
                BlobRef::file(hash(10), "application/pdf", 1000, "方案.pdf"),
            ],
        ),
    );
    assert_eq!(codes(&w, 18), ["evidence.unprocessed"]);

    // The same photo again.
    w.ok(
        HANDLER,
        report(19, vec![shot(5, now - Duration::hours(23))]),
    );
    assert_eq!(codes(&w, 19), ["evidence.reused"]);

    // An "after" photo answering a "before" photo of another item.
    let mut stray = shot(11, now);
    meta(&mut stray).answers = Some(hash(77));
    w.ok(HANDLER, report(20, vec![stray]));
    assert_eq!(codes(&w, 20), ["evidence.pair_unknown"]);

    // Every warning reads in both languages.
    for c in check_evidence(&w.events, &w.policy) {
        for x in c.warnings {
            assert!(!x.zh.is_empty() && !x.en.is_empty(), "{}", x.code);
        }
    }
    // The thresholds are the policy's.
    let mut lenient = w.policy.clone();
    lenient.evidence.max_delay_hours = 48;
    let late: Vec<_> = check_evidence(&w.events, &lenient)
        .into_iter()
        .filter(|c| c.report == Some(ReportId::from_u128(13)))
        .collect();
    assert!(late[0].warnings.is_empty());
}

#[test]
fn before_and_after_photos_of_a_rectification_are_paired() {
    let start = World::new().now;
    let before = shot(1, start - Duration::hours(2));
    let mut reg = registration("rectification", 1);
    let second_before = shot(2, start - Duration::hours(2));
    reg.attachments = vec![before.clone(), second_before.clone()];
    let mut w = World::new();
    w.ok(SUPERVISOR, register(reg))
        .ok(SUPERVISOR, dispatch(order(HANDLER)))
        .advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive)
        .advance(Duration::hours(3));
    let mut after = shot(3, w.now - Duration::minutes(10));
    meta(&mut after).answers = Some(before.hash.clone());
    let plain = shot(4, w.now - Duration::minutes(10));
    w.ok(HANDLER, report(30, vec![after.clone(), plain]));
    let mut again = shot(5, w.now);
    meta(&mut again).answers = Some(before.hash.clone());
    w.ok(HANDLER, report(31, vec![again.clone()]));

    let pairs = photo_pairs(&w.events);
    assert_eq!(pairs.len(), 2);
    assert_eq!(pairs[0].before, before);
    assert_eq!(pairs[0].after, vec![after, again]);
    assert_eq!(pairs[1].before, second_before);
    assert!(
        pairs[1].after.is_empty(),
        "the second problem is not answered yet"
    );
    assert!(check_evidence(&w.events, &w.policy)
        .iter()
        .all(|c| c.warnings.is_empty()));
    // An item without before photos has no pairs.
    assert!(photo_pairs(&in_progress().events).is_empty());
}
