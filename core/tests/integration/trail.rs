//! The trail: the canonical encoding is pinned by a fixed hash, every event survives a JSON
//! round trip (the trail is exported and re-verified elsewhere), and each way of breaking a
//! trail is named by its own error.

use chrono::Duration;
use duban_core::domain::event::{Event, EventKind};
use duban_core::domain::trail::{self, Hash, TrailError};
use duban_core::domain::{Status, TaskId, UserId};

use super::matrix::fixture;
use super::support::*;

fn sample() -> Event {
    Event {
        at: local(2026, 3, 2, 9, 0),
        actor: SUPERVISOR,
        kind: EventKind::Commented {
            id: note(7),
            text: "请补充照片".into(),
            reply_to: None,
        },
    }
}

#[test]
fn the_canonical_encoding_is_pinned() {
    // If this changes, every stored trail stops verifying: change the encoding only with a
    // migration of stored hashes.
    let h = trail::entry_hash(TASK, 1, Hash::GENESIS, &sample());
    assert_eq!(
        h.to_hex(),
        "89b138bd00a37cae74aa2c1bca87ec8458ddcec226f683f5500e5ed932825160",
        "the canonical encoding changed"
    );
}

#[test]
fn every_event_round_trips_through_json() {
    for status in Status::ALL {
        let w = fixture(status);
        for e in &w.events {
            let json = serde_json::to_string(e).expect("serialises");
            let back: Event = serde_json::from_str(&json).expect("parses");
            assert_eq!(&back, e);
            assert_eq!(
                trail::entry_hash(TASK, 1, Hash::GENESIS, &back),
                trail::entry_hash(TASK, 1, Hash::GENESIS, e)
            );
        }
        let exported = serde_json::to_string(&w.trail()).expect("serialises");
        let imported: Vec<trail::TrailEntry> = serde_json::from_str(&exported).expect("parses");
        assert_eq!(trail::verify(TASK, &imported), Ok(()));
    }
}

#[test]
fn the_hash_from_an_events_json_is_the_same() {
    // The phone's store hashes the JSON it keeps (`entry_hash_json`): it must be the very
    // hash of the canonical encoding, for every kind of event, place and previous hash.
    let pinned = serde_json::to_string(&sample()).expect("serialises");
    assert_eq!(
        trail::entry_hash_json(TASK, 1, Hash::GENESIS, &pinned).to_hex(),
        "89b138bd00a37cae74aa2c1bca87ec8458ddcec226f683f5500e5ed932825160"
    );
    for status in Status::ALL {
        let w = fixture(status);
        let mut prev = Hash::GENESIS;
        for (i, e) in w.events.iter().enumerate() {
            let seq = i as u64 + 1;
            let json = serde_json::to_string(e).expect("serialises");
            let h = trail::entry_hash(TASK, seq, prev, e);
            assert_eq!(trail::entry_hash_json(TASK, seq, prev, &json), h);
            prev = h;
        }
    }
}

#[test]
fn hashes_print_and_parse_as_hex() {
    let h = trail::entry_hash(TASK, 3, Hash::GENESIS, &sample());
    assert_eq!(Hash::from_hex(&h.to_hex()), Some(h));
    assert_eq!(Hash::from_hex("xyz"), None);
    assert_eq!(Hash::from_hex(&"g".repeat(64)), None);
}

#[test]
fn each_break_has_its_error() {
    let mut w = in_progress();
    w.advance(Duration::hours(1)).ok(HANDLER, progress(1, 20));
    let good = w.trail();
    assert!(good.len() >= 4);
    let head = trail::head(&good);

    assert_eq!(
        trail::verify(TaskId::from_u128(0xBEEF), &good),
        Err(TrailError::WrongTask { seq: 1 })
    );

    let mut gap = good.clone();
    gap.remove(1);
    assert_eq!(
        trail::verify(TASK, &gap),
        Err(TrailError::Sequence { seq: 2 })
    );

    let mut relinked = good.clone();
    relinked[2].prev = Hash::GENESIS;
    assert_eq!(
        trail::verify(TASK, &relinked),
        Err(TrailError::Link { seq: 3 })
    );

    let mut edited = good.clone();
    edited[1].event.actor = UserId::from_u128(0xBAD);
    let err = trail::verify(TASK, &edited).unwrap_err();
    assert_eq!(err, TrailError::Altered { seq: 2 });
    assert_eq!(err.code(), "trail.altered");
    assert!(err.to_string().contains(" / "), "zh / en: {err}");

    let mut cut = good.clone();
    cut.pop();
    assert_eq!(trail::verify(TASK, &cut), Ok(()));
    assert_eq!(
        trail::verify_with_head(TASK, &cut, head),
        Err(TrailError::Head { expected: head.0 })
    );
    assert_eq!(trail::verify_with_head(TASK, &good, head), Ok(()));
}
