//! The trail (流程留痕): an item's events in order, each carrying the hash of the one before
//! it and its own hash, so that an exported archive proves it was not edited.
//!
//! The hash is blake3 over a canonical encoding of (task, seq, previous hash, event). The
//! encoding is the event's JSON as serde writes it for these types: struct fields in
//! declaration order, maps sorted (all maps in the domain are `BTreeMap`), no floating-point
//! values except [`Points`](super::policy::Points), which always print with one decimal.
//! Changing any of that changes every hash, so it is covered by a fixed-hash test.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use super::event::Event;
use super::model::TaskId;

/// A blake3 hash, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The "previous hash" of an item's first event.
    pub const GENESIS: Hash = Hash([0; 32]);

    /// Hex form.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(64);
        for b in self.0 {
            out.push(char::from(DIGITS[usize::from(b >> 4)]));
            out.push(char::from(DIGITS[usize::from(b & 0xf)]));
        }
        out
    }

    /// Parses the hex form.
    pub fn from_hex(s: &str) -> Option<Hash> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Hash(out))
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let s = String::deserialize(d)?;
        Hash::from_hex(&s).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// One event in its place in the trail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrailEntry {
    /// The item.
    pub task: TaskId,
    /// Position, from 1.
    pub seq: u64,
    /// The hash of the entry before ([`Hash::GENESIS`] for the first).
    pub prev: Hash,
    /// This entry's hash.
    pub hash: Hash,
    /// The event (with its actor and time).
    pub event: Event,
}

#[derive(Serialize)]
struct Canonical<'a> {
    task: TaskId,
    seq: u64,
    prev: Hash,
    event: &'a Event,
}

/// The hash of an entry's content.
pub fn entry_hash(task: TaskId, seq: u64, prev: Hash, event: &Event) -> Hash {
    let canonical = Canonical {
        task,
        seq,
        prev,
        event,
    };
    let mut hasher = blake3::Hasher::new();
    // Writing into a hasher cannot fail, and every domain type serialises (no maps with
    // non-string keys), so the error branch is unreachable; it still leaves a distinct hash.
    if serde_json::to_writer(HashWriter(&mut hasher), &canonical).is_err() {
        hasher.update(b"\xffunserialisable");
    }
    Hash(*hasher.finalize().as_bytes())
}

/// The same hash as [`entry_hash`], from the event already written as JSON
/// (`serde_json::to_string(event)`): the bytes hashed are the same, so a store that keeps the
/// event's JSON serialises it once, not twice.
pub fn entry_hash_json(task: TaskId, seq: u64, prev: Hash, event_json: &str) -> Hash {
    let mut hasher = blake3::Hasher::new();
    // `Canonical` as serde_json writes it: its fields in order, no spaces.
    hasher.update(b"{\"task\":");
    if serde_json::to_writer(HashWriter(&mut hasher), &task).is_err() {
        hasher.update(b"\xffunserialisable");
    }
    hasher.update(format!(",\"seq\":{seq},\"prev\":\"{}\",\"event\":", prev.to_hex()).as_bytes());
    hasher.update(event_json.as_bytes());
    hasher.update(b"}");
    Hash(*hasher.finalize().as_bytes())
}

struct HashWriter<'a>(&'a mut blake3::Hasher);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Appends events to a trail, chaining each to the one before.
pub fn append(trail: &mut Vec<TrailEntry>, task: TaskId, events: impl IntoIterator<Item = Event>) {
    for event in events {
        let (seq, prev) = trail
            .last()
            .map_or((1, Hash::GENESIS), |e| (e.seq + 1, e.hash));
        let hash = entry_hash(task, seq, prev, &event);
        trail.push(TrailEntry {
            task,
            seq,
            prev,
            hash,
            event,
        });
    }
}

/// Why a trail does not verify.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TrailError {
    /// An entry belongs to another item.
    #[error("留痕第{seq}条属于其他事项 / entry {seq} belongs to another item")]
    WrongTask {
        /// Position.
        seq: u64,
    },
    /// Entries are missing or out of order.
    #[error("留痕第{seq}条序号不连续 / entry {seq} is out of sequence")]
    Sequence {
        /// Position expected.
        seq: u64,
    },
    /// An entry does not point at its predecessor.
    #[error("留痕第{seq}条与前一条不衔接 / entry {seq} does not link to the one before")]
    Link {
        /// Position.
        seq: u64,
    },
    /// An entry's content does not match its hash: it was edited.
    #[error("留痕第{seq}条内容被改动 / entry {seq} was altered")]
    Altered {
        /// Position.
        seq: u64,
    },
    /// The trail does not end where its recorded head says: entries were cut off or added.
    #[error("留痕应有{expected}条并以记录的哈希结尾,实际不符 / the trail should end at entry {expected} with the recorded hash, and does not")]
    Head {
        /// The length the head records.
        expected: u64,
    },
}

impl TrailError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            TrailError::WrongTask { .. } => "trail.wrong_task",
            TrailError::Sequence { .. } => "trail.sequence",
            TrailError::Link { .. } => "trail.link",
            TrailError::Altered { .. } => "trail.altered",
            TrailError::Head { .. } => "trail.head",
        }
    }
}

/// Verifies a whole trail of one item: consecutive positions from 1, each entry linked to
/// the one before, each hash matching its content.
pub fn verify(task: TaskId, trail: &[TrailEntry]) -> Result<(), TrailError> {
    let mut prev = Hash::GENESIS;
    for (i, entry) in trail.iter().enumerate() {
        let seq = i as u64 + 1;
        if entry.task != task {
            return Err(TrailError::WrongTask { seq });
        }
        if entry.seq != seq {
            return Err(TrailError::Sequence { seq });
        }
        if entry.prev != prev {
            return Err(TrailError::Link { seq });
        }
        if entry_hash(task, seq, entry.prev, &entry.event) != entry.hash {
            return Err(TrailError::Altered { seq });
        }
        prev = entry.hash;
    }
    Ok(())
}

/// The head of a trail: its length and last hash ([`Hash::GENESIS`] when empty). An export
/// records it, and the server keeps it per item, so that a trail cut short is caught too.
pub fn head(trail: &[TrailEntry]) -> (u64, Hash) {
    trail.last().map_or((0, Hash::GENESIS), |e| (e.seq, e.hash))
}

/// Verifies a trail and that it ends at the recorded head.
pub fn verify_with_head(
    task: TaskId,
    trail: &[TrailEntry],
    expected: (u64, Hash),
) -> Result<(), TrailError> {
    verify(task, trail)?;
    if head(trail) != expected {
        return Err(TrailError::Head {
            expected: expected.0,
        });
    }
    Ok(())
}
