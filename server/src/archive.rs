//! An item's archive (归档, R7.5): its whole file as one zip that can be verified offline,
//! and the verifier (`duban verify-archive`).
//!
//! The zip holds:
//!
//! - `manifest.json` ([`Manifest`]): the item (id, number, title), when and by whom it was
//!   exported, the trail's events in order with their positions and hashes and the trail's
//!   head (length and last hash, as the server records it), and every other file of the zip
//!   with its blake3 hash and size;
//! - `trail.json`: the trail, one [`TrailEntry`] per event (item, position, previous hash,
//!   hash, event), exactly as the core's hash chain ([`duban_core::domain::trail`]) defines
//!   it;
//! - `trail.txt`: the same trail for people, in zh-CN with local timestamps;
//! - `evidence/<hash>.<ext>`: every file the trail cites (photos and their thumbnails,
//!   attachments), named by the blake3 hash of its content;
//! - `VERIFY.txt`: how to verify it, by the command or by hand.
//!
//! [`verify`] re-hashes every file against the manifest, re-computes the trail's hash chain
//! from the events themselves, checks that the chain ends at the recorded head and that
//! every cited file is there, and reports each mismatch rather than the first. A chain
//! that verifies proves the events were neither edited, reordered nor cut; comparing its
//! head with the server's (`GET /api/v1/tasks/{id}`, the last trail hash) proves it is the
//! server's own trail.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{Cursor, Read, Write as _};

use chrono::{DateTime, Datelike, Timelike, Utc};
use duban_core::domain::calendar::Calendar;
use duban_core::domain::derived::describe::describe;
use duban_core::domain::model::BlobRef;
use duban_core::domain::trail::{entry_hash, Hash, TrailEntry, TrailError};
use duban_core::domain::{TaskId, UserId};
use serde::{Deserialize, Serialize};

/// The format's name and version, the first thing the verifier checks.
pub const FORMAT: &str = "duban-archive/1";
/// The manifest's name in the zip.
pub const MANIFEST: &str = "manifest.json";
/// The trail's name in the zip.
pub const TRAIL_JSON: &str = "trail.json";
/// The readable trail's name in the zip.
pub const TRAIL_TXT: &str = "trail.txt";
/// The instructions' name in the zip.
pub const VERIFY_TXT: &str = "VERIFY.txt";
/// The folder of the cited files.
pub const EVIDENCE_DIR: &str = "evidence/";

/// The item an archive is of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedItem {
    /// Id.
    pub id: TaskId,
    /// Number as printed (empty if it has none).
    pub number: String,
    /// Title.
    pub title: String,
}

/// One event as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEvent {
    /// Position in the trail, from 1.
    pub seq: u64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened (the event's tag, e.g. `registered`).
    pub event: String,
    /// The hash of the entry before.
    pub prev: Hash,
    /// Its hash.
    pub hash: Hash,
}

/// The trail as the manifest records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestTrail {
    /// How many events the server records for the item.
    pub length: u64,
    /// The last event's hash, as the server records it (the item's trail head).
    pub head: Hash,
    /// Every event, in order.
    pub events: Vec<ManifestEvent>,
}

/// A file of the zip as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// Path in the zip.
    pub path: String,
    /// Hex blake3 of its content.
    pub blake3: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type of a cited file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    /// The name a cited file was cited under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cited_as: Option<String>,
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// The item.
    pub item: ArchivedItem,
    /// When it was exported.
    pub exported_at: DateTime<Utc>,
    /// Who exported it (id).
    pub exported_by: UserId,
    /// Who exported it (name, as shown).
    pub exported_by_name: String,
    /// The trail.
    pub trail: ManifestTrail,
    /// Every file of the zip but the manifest.
    pub files: Vec<ManifestFile>,
    /// Hashes of files the trail cites that the server does not hold (none, normally).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// A file the trail cites, with its content.
#[derive(Clone, Debug)]
pub struct Evidence {
    /// The reference (first citation).
    pub blob: BlobRef,
    /// The bytes.
    pub content: Vec<u8>,
}

/// What an archive is made of.
pub struct ArchiveInput<'a> {
    /// The item.
    pub item: ArchivedItem,
    /// Its trail, in order.
    pub trail: &'a [TrailEntry],
    /// The trail head the server records (length, last hash).
    pub head: (u64, Hash),
    /// The cited files the server holds.
    pub evidence: Vec<Evidence>,
    /// The hashes of cited files it does not hold.
    pub missing: Vec<String>,
    /// When.
    pub exported_at: DateTime<Utc>,
    /// By whom (id).
    pub exported_by: UserId,
    /// By whom (name).
    pub exported_by_name: String,
    /// The organisation's calendar (local times of the readable trail).
    pub calendar: &'a Calendar,
    /// A person's name as the readable trail shows it.
    pub name_of: &'a dyn Fn(UserId) -> String,
}

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The zip writer failed (in memory: only on a bug).
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing into memory failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// A record did not serialise.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

/// The extension a cited file is stored under, by its MIME type.
pub fn extension(mime: &str) -> &'static str {
    match mime.split(';').next().unwrap_or("").trim() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/heic" => "heic",
        "video/mp4" => "mp4",
        "application/pdf" => "pdf",
        "text/plain" => "txt",
        _ => "bin",
    }
}

/// Every file the trail cites (photos with their thumbnails, attachments), once each, in
/// the order first cited.
pub fn cited(trail: &[TrailEntry]) -> Vec<BlobRef> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for e in trail {
        for f in e.event.kind.files() {
            if seen.insert(f.hash.clone()) {
                let mut plain = f.clone();
                plain.photo = None;
                out.push(plain);
            }
        }
    }
    out
}

fn hex(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

/// The event's tag (`registered`, `dispatched`, …) as serde writes it.
fn tag(entry: &TrailEntry) -> String {
    serde_json::to_value(&entry.event.kind)
        .ok()
        .and_then(|v| v.get("event").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// The readable trail (`trail.txt`), in zh-CN with local timestamps.
pub fn readable_trail(input: &ArchiveInput<'_>) -> String {
    let cal = input.calendar;
    let offset = cal.utc_offset();
    let mut out = String::new();
    let item = &input.item;
    let _ = writeln!(out, "督办事项留痕 Trail of the item");
    let _ = writeln!(out, "编号 Number:{}", item.number);
    let _ = writeln!(out, "标题 Title:{}", item.title);
    let _ = writeln!(out, "事项标识 Id:{}", item.id);
    let _ = writeln!(
        out,
        "导出时间 Exported:{} (UTC{offset}) 导出人 By:{}",
        cal.to_local(input.exported_at).format("%Y-%m-%d %H:%M:%S"),
        input.exported_by_name
    );
    let _ = writeln!(
        out,
        "共 {} 条,末条哈希 {} / {} events, head {}",
        input.head.0, input.head.1, input.head.0, input.head.1
    );
    let _ = writeln!(out, "时间为 UTC{offset} All times UTC{offset}");
    out.push('\n');
    for e in input.trail {
        let d = describe(&e.event.kind, cal);
        let who = (input.name_of)(e.event.actor);
        let _ = writeln!(
            out,
            "第{}条  {}  {}  {}",
            e.seq,
            cal.to_local(e.event.at).format("%Y-%m-%d %H:%M:%S"),
            who,
            d.title_zh
        );
        let _ = writeln!(out, "        {}", d.title_en);
        if !d.detail.is_empty() {
            for line in d.detail.lines() {
                let _ = writeln!(out, "        「{line}」");
            }
        }
        for f in e.event.kind.files() {
            let _ = writeln!(
                out,
                "        附件 File:{}{}.{} ({})",
                EVIDENCE_DIR,
                f.hash,
                extension(&f.mime),
                f.name
            );
        }
        let _ = writeln!(out, "        哈希 Hash:{}", e.hash);
        let _ = writeln!(out, "        前一条 Previous:{}", e.prev);
    }
    out
}

/// `VERIFY.txt`.
fn instructions(item: &ArchivedItem, head: (u64, Hash)) -> String {
    format!(
        "如何校验本归档 How to verify this archive
==========================================

事项 Item: {number} {title}
留痕 Trail: {len} 条 events, 末条哈希 head {head}

一、用命令 With the command
    duban verify-archive 本文件.zip
    逐一重算每个文件的哈希并重算留痕哈希链;全部一致时输出 OK,否则逐条列出不符之处,
    退出码非零。
    It re-hashes every file and re-computes the trail's hash chain; prints OK when all
    agree, otherwise each mismatch, with a non-zero exit status.

二、手工 By hand
 1. manifest.json 的 files 列出其余每个文件的 blake3 哈希与字节数;用 b3sum 等工具
    逐一核对。evidence/ 下的文件以其内容的 blake3 哈希命名。
    manifest.json lists every other file with its blake3 hash and size; check each (for
    example with b3sum). The files in evidence/ are named by the blake3 hash of their
    content.
 2. trail.json 每条记录为 {{task, seq, prev, hash, event}}。hash = blake3(JSON 编码的
    {{\"task\", \"seq\", \"prev\", \"event\"}}),字段按此顺序、无空白,event 按 Duban 的
    事件类型序列化;第 1 条的 prev 为 64 个 0,其后每条的 prev 等于前一条的 hash。
    Each entry of trail.json is {{task, seq, prev, hash, event}}. hash is blake3 of the
    compact JSON of {{\"task\", \"seq\", \"prev\", \"event\"}} in that order, the event as
    Duban serialises it; the first entry's prev is 64 zeros, and every later entry's prev is
    the hash of the one before.
 3. 最后一条的 seq 与 hash 应等于 manifest.json 中 trail.length 与 trail.head;再与服务器
    上该事项的留痕(GET /api/v1/tasks/{id} 的最后一条 hash)比对,即可证明归档未被删改。
    The last entry's seq and hash must equal trail.length and trail.head of the manifest;
    compared with the server's trail of the item (the last hash of GET /api/v1/tasks/{id})
    they prove the archive was neither edited nor cut.
",
        number = item.number,
        title = item.title,
        len = head.0,
        head = head.1,
        id = item.id,
    )
}

/// The zip's timestamp for its entries: the export time in the organisation's local time.
fn zip_time(cal: &Calendar, at: DateTime<Utc>) -> zip::DateTime {
    let l = cal.to_local(at);
    u16::try_from(l.year())
        .ok()
        .and_then(|y| {
            zip::DateTime::from_date_and_time(
                y,
                l.month() as u8,
                l.day() as u8,
                l.hour() as u8,
                l.minute() as u8,
                l.second() as u8,
            )
            .ok()
        })
        .unwrap_or_default()
}

/// Writes the archive (the zip's bytes).
pub fn build(input: &ArchiveInput<'_>) -> Result<Vec<u8>, ArchiveError> {
    let mut files: Vec<(String, Vec<u8>, Option<&BlobRef>)> = Vec::new();
    files.push((
        VERIFY_TXT.to_owned(),
        instructions(&input.item, input.head).into_bytes(),
        None,
    ));
    files.push((
        TRAIL_JSON.to_owned(),
        serde_json::to_vec_pretty(input.trail)?,
        None,
    ));
    files.push((
        TRAIL_TXT.to_owned(),
        readable_trail(input).into_bytes(),
        None,
    ));
    for e in &input.evidence {
        files.push((
            format!("{EVIDENCE_DIR}{}.{}", e.blob.hash, extension(&e.blob.mime)),
            e.content.clone(),
            Some(&e.blob),
        ));
    }
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        item: input.item.clone(),
        exported_at: input.exported_at,
        exported_by: input.exported_by,
        exported_by_name: input.exported_by_name.clone(),
        trail: ManifestTrail {
            length: input.head.0,
            head: input.head.1,
            events: input
                .trail
                .iter()
                .map(|e| ManifestEvent {
                    seq: e.seq,
                    at: e.event.at,
                    event: tag(e),
                    prev: e.prev,
                    hash: e.hash,
                })
                .collect(),
        },
        files: files
            .iter()
            .map(|(path, bytes, blob)| ManifestFile {
                path: path.clone(),
                blake3: hex(bytes),
                size: bytes.len() as u64,
                mime: blob.map(|b| b.mime.clone()),
                cited_as: blob.map(|b| b.name.clone()),
            })
            .collect(),
        missing: input.missing.clone(),
    };
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip_time(input.calendar, input.exported_at));
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file(MANIFEST, options)?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest)?)?;
    for (path, bytes, blob) in &files {
        // Photos are compressed already: stored as they are.
        let o =
            if blob.is_some_and(|b| b.mime.starts_with("image/") || b.mime.starts_with("video/")) {
                options.compression_method(zip::CompressionMethod::Stored)
            } else {
                options
            };
        zip.start_file(path.as_str(), o)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

// ----- verification -------------------------------------------------------------------------

/// One thing wrong with an archive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Stable code, e.g. `archive.file_altered`, `trail.altered`.
    pub code: &'static str,
    /// What is wrong (zh-CN).
    pub zh: String,
    /// What is wrong (English).
    pub en: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {} / {}", self.code, self.zh, self.en)
    }
}

fn problem(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Problem {
    Problem {
        code,
        zh: zh.into(),
        en: en.into(),
    }
}

fn trail_problem(e: &TrailError) -> Problem {
    let text = e.to_string();
    let (zh, en) = text.split_once(" / ").unwrap_or((&text, &text));
    problem(e.code(), zh, en)
}

/// What the verifier found.
#[derive(Clone, Debug, Default)]
pub struct Verification {
    /// The manifest, if it could be read.
    pub manifest: Option<Manifest>,
    /// Files checked against the manifest.
    pub files: usize,
    /// Events whose chain was re-computed.
    pub events: usize,
    /// Everything wrong; empty when the archive verifies.
    pub problems: Vec<Problem>,
}

impl Verification {
    /// Whether the archive verifies.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The report a person reads: `OK …`, or each mismatch on a line of its own.
    pub fn report(&self) -> String {
        let mut out = String::new();
        if self.ok() {
            if let Some(m) = &self.manifest {
                let _ = writeln!(out, "OK  {} {}", m.item.number, m.item.title);
                let _ = writeln!(
                    out,
                    "    {} 个文件的哈希与清单一致,{} 条留痕的哈希链完整,末条哈希 {}",
                    self.files, self.events, m.trail.head
                );
                let _ = writeln!(
                    out,
                    "    {} files match the manifest, the chain of {} events is whole, head {}",
                    self.files, self.events, m.trail.head
                );
                if !m.missing.is_empty() {
                    let _ = writeln!(
                        out,
                        "    注意:导出时服务器缺少 {} 个被引用的文件 / note: {} cited files were not held by the server",
                        m.missing.len(),
                        m.missing.len()
                    );
                }
            }
        } else {
            let _ = writeln!(
                out,
                "FAILED  归档校验未通过,{} 处不符 / the archive does not verify: {} mismatches",
                self.problems.len(),
                self.problems.len()
            );
            for p in &self.problems {
                let _ = writeln!(out, "  {p}");
            }
        }
        out
    }
}

/// Verifies an archive's bytes: every file against the manifest, the trail's hash chain from
/// its events, the chain's end against the recorded head, every cited file present.
pub fn verify(bytes: &[u8]) -> Verification {
    let mut v = Verification::default();
    let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => {
            v.problems.push(problem(
                "archive.not_zip",
                format!("不是可读的 zip 文件:{e}"),
                format!("not a readable zip file: {e}"),
            ));
            return v;
        }
    };
    let mut contents: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                v.problems.push(problem(
                    "archive.unreadable_entry",
                    format!("zip 第 {} 项无法读取:{e}", i + 1),
                    format!("entry {} of the zip cannot be read: {e}", i + 1),
                ));
                continue;
            }
        };
        let name = match f.name() {
            Ok(n) => n.into_owned(),
            Err(e) => {
                v.problems.push(problem(
                    "archive.unreadable_entry",
                    format!("zip 第 {} 项的名称无法读取:{e}", i + 1),
                    format!("the name of entry {} of the zip cannot be read: {e}", i + 1),
                ));
                continue;
            }
        };
        let mut data = Vec::new();
        if let Err(e) = f.read_to_end(&mut data) {
            v.problems.push(problem(
                "archive.unreadable_entry",
                format!("{name} 无法读取(数据损坏):{e}"),
                format!("{name} cannot be read (damaged data): {e}"),
            ));
            continue;
        }
        contents.insert(name, data);
    }
    let Some(raw) = contents.get(MANIFEST) else {
        v.problems.push(problem(
            "archive.no_manifest",
            "缺少 manifest.json",
            "manifest.json is missing",
        ));
        return v;
    };
    let manifest: Manifest = match serde_json::from_slice(raw) {
        Ok(m) => m,
        Err(e) => {
            v.problems.push(problem(
                "archive.bad_manifest",
                format!("manifest.json 无法解析:{e}"),
                format!("manifest.json cannot be read: {e}"),
            ));
            return v;
        }
    };
    if manifest.format != FORMAT {
        v.problems.push(problem(
            "archive.format",
            format!("未知的归档格式 {}(应为 {FORMAT})", manifest.format),
            format!(
                "unknown archive format {} (expected {FORMAT})",
                manifest.format
            ),
        ));
        v.manifest = Some(manifest);
        return v;
    }

    check_files(&manifest, &contents, &mut v);
    match contents.get(TRAIL_JSON) {
        None => {} // reported as a missing file
        Some(raw) => check_trail(&manifest, raw, &contents, &mut v),
    }
    v.manifest = Some(manifest);
    v
}

/// Every listed file present with its size and hash; nothing unlisted; evidence named by
/// its hash.
fn check_files(manifest: &Manifest, contents: &BTreeMap<String, Vec<u8>>, v: &mut Verification) {
    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        listed.insert(f.path.as_str());
        let Some(data) = contents.get(&f.path) else {
            v.problems.push(problem(
                "archive.file_missing",
                format!("清单所列文件 {} 不在归档中", f.path),
                format!(
                    "{} is listed in the manifest but not in the archive",
                    f.path
                ),
            ));
            continue;
        };
        v.files += 1;
        if data.len() as u64 != f.size {
            v.problems.push(problem(
                "archive.size",
                format!(
                    "{} 的大小为 {} 字节,清单记录为 {} 字节",
                    f.path,
                    data.len(),
                    f.size
                ),
                format!(
                    "{} is {} bytes, the manifest says {}",
                    f.path,
                    data.len(),
                    f.size
                ),
            ));
        }
        let actual = hex(data);
        if actual != f.blake3 {
            v.problems.push(problem(
                "archive.file_altered",
                format!(
                    "{} 的哈希为 {actual},与清单记录的 {} 不符:内容被改动",
                    f.path, f.blake3
                ),
                format!(
                    "{} hashes to {actual}, not {} as the manifest says: it was altered",
                    f.path, f.blake3
                ),
            ));
        }
        if let Some(name) = f.path.strip_prefix(EVIDENCE_DIR) {
            let stem = name.split('.').next().unwrap_or("");
            if stem != f.blake3 {
                v.problems.push(problem(
                    "archive.evidence_name",
                    format!("{} 的文件名与清单记录的哈希不符", f.path),
                    format!("{} is not named by the hash the manifest records", f.path),
                ));
            }
        }
    }
    for name in contents.keys() {
        if name != MANIFEST && !listed.contains(name.as_str()) && !name.ends_with('/') {
            v.problems.push(problem(
                "archive.unlisted",
                format!("{name} 不在清单中"),
                format!("{name} is not listed in the manifest"),
            ));
        }
    }
}

/// The trail: each entry read back exactly as written, its chain re-computed, its end at
/// the recorded head, the manifest's list of events the same, every cited file present.
fn check_trail(
    manifest: &Manifest,
    raw: &[u8],
    contents: &BTreeMap<String, Vec<u8>>,
    v: &mut Verification,
) {
    let values: Vec<serde_json::Value> = match serde_json::from_slice(raw) {
        Ok(vs) => vs,
        Err(e) => {
            v.problems.push(problem(
                "archive.bad_trail",
                format!("trail.json 无法解析:{e}"),
                format!("trail.json cannot be read: {e}"),
            ));
            return;
        }
    };
    let task = manifest.item.id;
    let mut trail: Vec<TrailEntry> = Vec::with_capacity(values.len());
    let mut prev = Hash::GENESIS;
    for (i, value) in values.iter().enumerate() {
        let seq = i as u64 + 1;
        let entry: TrailEntry = match serde_json::from_value(value.clone()) {
            Ok(e) => e,
            Err(e) => {
                v.problems.push(problem(
                    "archive.bad_event",
                    format!("留痕第{seq}条无法解析:{e}"),
                    format!("entry {seq} of the trail cannot be read: {e}"),
                ));
                continue;
            }
        };
        v.events += 1;
        // A field the hash does not cover (added by hand) is an edit too.
        if serde_json::to_value(&entry).ok().as_ref() != Some(value) {
            v.problems.push(problem(
                "archive.event_not_canonical",
                format!("留痕第{seq}条含有哈希未覆盖的内容(被改动)"),
                format!("entry {seq} holds content its hash does not cover (it was edited)"),
            ));
        }
        if entry.task != task {
            v.problems
                .push(trail_problem(&TrailError::WrongTask { seq }));
        }
        if entry.seq != seq {
            v.problems
                .push(trail_problem(&TrailError::Sequence { seq }));
        }
        if entry.prev != prev {
            v.problems.push(trail_problem(&TrailError::Link { seq }));
        }
        if entry_hash(task, entry.seq, entry.prev, &entry.event) != entry.hash {
            v.problems.push(trail_problem(&TrailError::Altered { seq }));
        }
        prev = entry.hash;
        trail.push(entry);
    }
    let end = (values.len() as u64, prev);
    if end != (manifest.trail.length, manifest.trail.head) {
        v.problems.push(trail_problem(&TrailError::Head {
            expected: manifest.trail.length,
        }));
    }
    let listed: Vec<(u64, Hash)> = manifest
        .trail
        .events
        .iter()
        .map(|e| (e.seq, e.hash))
        .collect();
    let found: Vec<(u64, Hash)> = trail.iter().map(|e| (e.seq, e.hash)).collect();
    if listed != found {
        v.problems.push(problem(
            "archive.manifest_trail",
            "清单所列的留痕与 trail.json 不一致",
            "the trail listed in the manifest differs from trail.json",
        ));
    }
    let held: BTreeSet<&str> = manifest
        .files
        .iter()
        .filter_map(|f| f.path.strip_prefix(EVIDENCE_DIR))
        .filter_map(|n| n.split('.').next())
        .collect();
    for f in cited(&trail) {
        let present = held.contains(f.hash.as_str())
            && contents
                .get(&format!("{EVIDENCE_DIR}{}.{}", f.hash, extension(&f.mime)))
                .is_some();
        if !present && !manifest.missing.contains(&f.hash) {
            v.problems.push(problem(
                "archive.evidence_missing",
                format!("留痕引用的文件 {}({})不在归档中", f.hash, f.name),
                format!(
                    "the file {} ({}) the trail cites is not in the archive",
                    f.hash, f.name
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duban_core::domain::command::ReportBody;
    use duban_core::domain::event::{Event, EventKind};
    use duban_core::domain::trail::append;

    fn task() -> TaskId {
        TaskId(uuid::Uuid::from_u128(0x7a5c))
    }

    fn at(h: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, 2, h, 0, 0).unwrap()
    }

    fn photo() -> Vec<u8> {
        (0..2_000u32).map(|i| (i * 31 % 251) as u8).collect()
    }

    /// A small trail: received, then a progress report citing one photo.
    fn sample() -> (Vec<TrailEntry>, Vec<u8>) {
        let bytes = photo();
        let blob = BlobRef::file(hex(&bytes), "image/jpeg", bytes.len() as u64, "现场.jpg");
        let actor = UserId(uuid::Uuid::from_u128(0x51));
        let mut trail = Vec::new();
        append(
            &mut trail,
            task(),
            [
                Event {
                    at: at(1),
                    actor,
                    kind: EventKind::Received { participant: false },
                },
                Event {
                    at: at(3),
                    actor,
                    kind: EventKind::ProgressReported {
                        report: ReportBody {
                            id: duban_core::domain::model::ReportId(uuid::Uuid::from_u128(9)),
                            text: "已完成路面修复".into(),
                            evidence: vec![blob],
                            values: Default::default(),
                        },
                        percent: 60,
                        milestone: None,
                        answers: None,
                        needs_approval: false,
                    },
                },
            ],
        );
        (trail, bytes)
    }

    fn archive(trail: &[TrailEntry], bytes: &[u8]) -> Vec<u8> {
        let cal = Calendar::builtin();
        let name_of = |_: UserId| "张三".to_owned();
        let evidence = cited(trail)
            .into_iter()
            .map(|blob| Evidence {
                blob,
                content: bytes.to_vec(),
            })
            .collect();
        build(&ArchiveInput {
            item: ArchivedItem {
                id: task(),
                number: "议〔2026〕1号".into(),
                title: "道路修复".into(),
            },
            trail,
            head: duban_core::domain::trail::head(trail),
            evidence,
            missing: vec![],
            exported_at: at(5),
            exported_by: UserId(uuid::Uuid::from_u128(0x52)),
            exported_by_name: "督办员".into(),
            calendar: &cal,
            name_of: &name_of,
        })
        .expect("archive")
    }

    /// The zip's files, changed by `edit`, written again.
    fn rewrite(zip_bytes: &[u8], edit: impl Fn(&str, &mut Vec<u8>)) -> Vec<u8> {
        let mut zip = zip::ZipArchive::new(Cursor::new(zip_bytes)).unwrap();
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            edit(&name, &mut data);
            w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(&data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn codes(v: &Verification) -> Vec<&'static str> {
        v.problems.iter().map(|p| p.code).collect()
    }

    #[test]
    fn an_archive_as_written_verifies() {
        let (trail, bytes) = sample();
        let v = verify(&archive(&trail, &bytes));
        assert!(v.ok(), "{}", v.report());
        assert_eq!(v.events, 2);
        assert_eq!(v.files, 4, "VERIFY.txt, trail.json, trail.txt, the photo");
        assert!(v.report().starts_with("OK"));
        let m = v.manifest.unwrap();
        assert_eq!(m.trail.head, trail[1].hash);
        assert_eq!(m.trail.events[1].event, "progress_reported");
        assert_eq!(
            m.files[3].path,
            format!("evidence/{}.jpg", hex(&bytes)),
            "a photo named by its hash"
        );
    }

    #[test]
    fn the_readable_trail_is_in_chinese_with_local_times() {
        let (trail, bytes) = sample();
        let zip_bytes = archive(&trail, &bytes);
        let mut zip = zip::ZipArchive::new(Cursor::new(zip_bytes)).unwrap();
        let mut text = String::new();
        zip.by_name(TRAIL_TXT)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        // 03:00 UTC is 11:00 in UTC+08:00.
        assert!(
            text.contains("第2条  2026-03-02 11:00:00  张三  进展汇报"),
            "{text}"
        );
        assert!(text.contains("已完成路面修复"), "{text}");
        assert!(text.contains(&trail[1].hash.to_hex()), "{text}");
    }

    #[test]
    fn a_flipped_byte_of_a_photo_is_found() {
        let (trail, bytes) = sample();
        let bad = rewrite(&archive(&trail, &bytes), |name, data| {
            if name.starts_with(EVIDENCE_DIR) {
                data[100] ^= 0x01;
            }
        });
        let v = verify(&bad);
        assert_eq!(codes(&v), ["archive.file_altered"], "{}", v.report());
        assert!(v.report().starts_with("FAILED"));
    }

    #[test]
    fn an_edited_event_breaks_the_chain_and_the_file_hash() {
        let (trail, bytes) = sample();
        let bad = rewrite(&archive(&trail, &bytes), |name, data| {
            if name == TRAIL_JSON {
                let text = String::from_utf8(data.clone()).unwrap();
                *data = text.replace("已完成路面修复", "已全部完成").into_bytes();
            }
        });
        let v = verify(&bad);
        assert_eq!(
            codes(&v),
            ["archive.size", "archive.file_altered", "trail.altered"],
            "{}",
            v.report()
        );
    }

    #[test]
    fn an_edit_with_rehashed_files_is_still_caught_by_the_chain() {
        let (trail, bytes) = sample();
        // Edit the event and fix the manifest's file hash too: the chain still disagrees.
        let original = archive(&trail, &bytes);
        let edited = rewrite(&original, |name, data| {
            if name == TRAIL_JSON {
                let text = String::from_utf8(data.clone()).unwrap();
                *data = text
                    .replace("\"percent\": 60", "\"percent\": 90")
                    .into_bytes();
            }
        });
        let mut zip = zip::ZipArchive::new(Cursor::new(edited.clone())).unwrap();
        let mut trail_json = Vec::new();
        zip.by_name(TRAIL_JSON)
            .unwrap()
            .read_to_end(&mut trail_json)
            .unwrap();
        let fixed = rewrite(&edited, |name, data| {
            if name == MANIFEST {
                let mut m: Manifest = serde_json::from_slice(data).unwrap();
                for f in &mut m.files {
                    if f.path == TRAIL_JSON {
                        f.blake3 = hex(&trail_json);
                        f.size = trail_json.len() as u64;
                    }
                }
                *data = serde_json::to_vec(&m).unwrap();
            }
        });
        let v = verify(&fixed);
        assert_eq!(codes(&v), ["trail.altered"], "{}", v.report());
    }

    #[test]
    fn a_cut_trail_a_missing_photo_and_an_extra_file_are_found() {
        let (trail, bytes) = sample();
        // The last event cut off (with the manifest's file entry fixed, to isolate the head).
        let cut = archive(&trail[..1], &bytes);
        let cut = rewrite(&cut, |name, data| {
            if name == MANIFEST {
                let mut m: Manifest = serde_json::from_slice(data).unwrap();
                m.trail.length = 2;
                m.trail.head = trail[1].hash;
                *data = serde_json::to_vec(&m).unwrap();
            }
        });
        assert_eq!(codes(&verify(&cut)), ["trail.head"]);

        // The photo removed from the zip and from the manifest.
        let good = archive(&trail, &bytes);
        let mut zip = zip::ZipArchive::new(Cursor::new(good.clone())).unwrap();
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            if name.starts_with(EVIDENCE_DIR) {
                continue;
            }
            if name == MANIFEST {
                let mut m: Manifest = serde_json::from_slice(&data).unwrap();
                m.files.retain(|f| !f.path.starts_with(EVIDENCE_DIR));
                data = serde_json::to_vec(&m).unwrap();
            }
            w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(&data).unwrap();
        }
        w.start_file("extra.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"x").unwrap();
        let v = verify(&w.finish().unwrap().into_inner());
        assert_eq!(
            codes(&v),
            ["archive.unlisted", "archive.evidence_missing"],
            "{}",
            v.report()
        );
    }

    #[test]
    fn not_a_zip_is_said_so() {
        let v = verify(b"not a zip");
        assert_eq!(codes(&v), ["archive.not_zip"]);
    }
}
