//! The phone's store on its own (the `client` feature): schema upgrades, taking in pages of
//! the feed with their trail checks, purging, the outbox with its refusals and dependants,
//! and the file cache. The whole sync against a real server is in the `tests/` crate.

use chrono::Duration;
use duban_core::domain::trail::{entry_hash, Hash};
use duban_core::domain::{Command, TaskState};
use duban_core::protocol::{
    Change, EventRecord, EventRef, Person, PullResponse, PushOutcome, PushResponse, Snapshot,
    UnitRecord,
};
use duban_core::store::{Store, StoreError, MIGRATIONS};

use crate::support::*;

fn person(id: duban_core::domain::UserId, name: &str) -> Person {
    let a = actor(id);
    Person {
        id,
        username: name.into(),
        name: name.into(),
        unit: a.unit,
        position: String::new(),
        roles: [
            duban_core::domain::Role::Supervisor,
            duban_core::domain::Role::Staff,
            duban_core::domain::Role::UnitHead,
            duban_core::domain::Role::MainLeader,
            duban_core::domain::Role::DeputyLeader,
        ]
        .into_iter()
        .filter(|r| a.roles.has(*r))
        .collect(),
        in_charge: Vec::new(),
        active: true,
    }
}

/// A store signed in as `me`, with the fixture organisation.
fn store_as(me: duban_core::domain::UserId) -> Store {
    signed_in(Store::open_in_memory().unwrap(), me)
}

/// `store` signed in as `me`, with the fixture organisation.
fn signed_in(mut store: Store, me: duban_core::domain::UserId) -> Store {
    let unit = |id, parent, name: &str| UnitRecord {
        id,
        parent,
        name: name.into(),
        name_en: name.into(),
        sort: 0,
        short_name: String::new(),
        aliases: Vec::new(),
        retired: false,
        peer_group: String::new(),
    };
    store
        .set_reference(&Snapshot {
            seq: 0,
            me: person(me, "me"),
            units: vec![
                unit(ROOT, None, "root"),
                unit(UNIT_A, Some(ROOT), "a"),
                unit(UNIT_A1, Some(UNIT_A), "a1"),
                unit(UNIT_B, Some(ROOT), "b"),
                unit(UNIT_C, Some(ROOT), "c"),
            ],
            people: vec![person(SUPERVISOR, "supervisor"), person(HANDLER, "handler")],
            policy: duban_core::domain::Policy::default(),
            calendar: Vec::new(),
            tasks: Vec::new(),
        })
        .unwrap();
    store
}

/// The world's events as a pull page from feed position `first_seq`.
fn page(world: &World, from_event: usize, first_seq: i64) -> PullResponse {
    let mut prev = Hash::GENESIS;
    let mut changes = Vec::new();
    for (i, e) in world.events.iter().enumerate() {
        let task_seq = i as u64 + 1;
        let hash = entry_hash(TASK, task_seq, prev, e);
        prev = hash;
        if i >= from_event {
            changes.push(Change::Event(EventRecord {
                seq: first_seq + (i - from_event) as i64,
                task: TASK,
                task_seq,
                hash: hash.to_hex(),
                event: e.clone(),
            }));
        }
    }
    let next = first_seq + changes.len() as i64 - 1;
    PullResponse {
        changes,
        next,
        more: false,
        head: next,
    }
}

fn dispatched() -> World {
    let mut w = World::new();
    w.ok(SUPERVISOR, register(registration("rectification", 1)))
        .ok(SUPERVISOR, dispatch(order_to(UNIT_A, HANDLER, None)));
    w
}

#[test]
fn an_old_store_upgrades_to_the_same_schema_as_a_fresh_one_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.db");
    {
        let store = Store::open_at_version(&old, 1).unwrap();
        assert_eq!(store.schema_version().unwrap(), 1);
        drop(store);
        let conn = rusqlite::Connection::open(&old).unwrap();
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('device', 'phone-1')",
            [],
        )
        .unwrap();
    }
    let upgraded = Store::open(&old).unwrap();
    let fresh = Store::open(dir.path().join("fresh.db")).unwrap();
    assert_eq!(upgraded.schema_version().unwrap(), MIGRATIONS.len() as u32);
    assert_eq!(upgraded.schema_sql().unwrap(), fresh.schema_sql().unwrap());
    assert_eq!(upgraded.meta("device").unwrap().as_deref(), Some("phone-1"));
}

#[test]
fn the_inbox_order_comes_from_an_index_without_a_sort() {
    // Items sharing a deadline (a batch dispatched together) must not be sorted on every
    // call: the inbox's and the approvals' order (due, then most recent) is an index's.
    let mut store = Store::open_in_memory().unwrap();
    for sql in [
        "SELECT task FROM duties ORDER BY due, since DESC",
        "SELECT task FROM duties WHERE approval = 1 ORDER BY due, since DESC",
    ] {
        let plan: Vec<String> = store
            .connection()
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(plan.iter().any(|l| l.contains("INDEX")), "{sql}: {plan:?}");
        assert!(
            !plan.iter().any(|l| l.contains("TEMP B-TREE")),
            "{sql}: {plan:?}"
        );
    }
}

#[test]
fn a_store_from_a_newer_app_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    match Store::open(&path) {
        Err(e @ StoreError::TooNew { found: 99, .. }) => assert_eq!(e.code(), "store.too_new"),
        Err(other) => panic!("expected too_new, got {other}"),
        Ok(_) => panic!("a newer store was opened"),
    }
}

#[test]
fn a_page_is_taken_in_whole_with_its_projections() {
    let mut store = store_as(HANDLER);
    let w = dispatched();
    let outcome = store.apply_page(&page(&w, 0, 1), w.now).unwrap();
    assert_eq!(outcome.events, w.events.len());
    assert_eq!(store.cursor().unwrap(), w.events.len() as i64);
    assert_eq!(store.view_state(TASK).unwrap().unwrap(), w.state);
    let inbox = store.inbox(10, w.now).unwrap();
    assert_eq!(inbox.len(), 1, "the handler must receive it");
    // The same page again changes nothing (a retried pull).
    store.apply_page(&page(&w, 0, 1), w.now).unwrap();
    assert_eq!(store.trail(TASK).unwrap().len(), w.events.len());
    let detail = store.item(TASK, w.now).unwrap().unwrap();
    assert!(detail.verified);
    assert_eq!(detail.trail.len(), w.events.len());
    assert!(detail.trail.iter().all(|l| !l.title_zh.is_empty()));
}

#[test]
fn an_altered_event_stops_the_page_and_nothing_of_it_is_kept() {
    let mut store = store_as(HANDLER);
    let w = dispatched();
    let mut p = page(&w, 0, 1);
    if let Some(Change::Event(rec)) = p.changes.last_mut() {
        rec.event.at += Duration::seconds(1);
    }
    match store.apply_page(&p, w.now) {
        Err(e @ StoreError::Trail { .. }) => assert_eq!(e.code(), "sync.trail_mismatch"),
        other => panic!("expected a trail error, got {other:?}"),
    }
    assert_eq!(store.cursor().unwrap(), 0);
    assert!(store.task_ids().unwrap().is_empty());
}

#[test]
fn a_load_from_the_start_cut_short_by_a_bad_page_keeps_the_pages_before_and_resumes() {
    // The first sync takes its pages in inside one transaction, committed in batches: a page
    // that does not verify leaves the pages before it kept (with the cursor), and the load
    // resumes from there to the same item as a load never cut short.
    let mut w = dispatched();
    w.ok(HANDLER, Command::Receive);
    let all = page(&w, 0, 1);
    let n = all.changes.len();
    assert!(n >= 3);
    let single = |i: usize| PullResponse {
        changes: vec![all.changes[i].clone()],
        next: i as i64 + 1,
        more: i + 1 < n,
        head: n as i64,
    };
    let mut store = store_as(HANDLER);
    store.begin_rebase().unwrap();
    store.apply_page(&single(0), w.now).unwrap();
    // Another change to the store between pages commits the open load first.
    store.set_last_synced(w.now).unwrap();
    store.apply_page(&single(1), w.now).unwrap();
    let mut bad = single(2);
    if let Some(Change::Event(rec)) = bad.changes.last_mut() {
        rec.event.at += Duration::seconds(1);
    }
    assert!(matches!(
        store.apply_page(&bad, w.now),
        Err(StoreError::Trail { .. })
    ));
    assert_eq!(
        store.cursor().unwrap(),
        2,
        "the pages before the bad one are kept"
    );
    assert_eq!(store.trail(TASK).unwrap().len(), 2);
    for i in 2..n {
        store.apply_page(&single(i), w.now).unwrap();
    }
    store.end_rebase(w.now).unwrap();
    assert_eq!(store.view_state(TASK).unwrap().unwrap(), w.state);
    let detail = store.item(TASK, w.now).unwrap().unwrap();
    assert!(detail.verified);
    assert_eq!(detail.trail.len(), n);
    // The same as taking the feed in page by page, outside a load.
    let mut plain = store_as(HANDLER);
    plain.apply_page(&all, w.now).unwrap();
    assert_eq!(
        plain.view_state(TASK).unwrap(),
        store.view_state(TASK).unwrap()
    );
    assert_eq!(
        plain.inbox(10, w.now).unwrap().len(),
        store.inbox(10, w.now).unwrap().len()
    );
}

#[test]
fn a_load_from_the_start_cut_by_a_crash_resumes_from_its_last_commit() {
    // A crash image: the store's file and its WAL copied while a page is taken in after a
    // commit hold what a process killed at that moment leaves (SQLite ignores WAL frames
    // after the last commit). The committed page is there with its cursor and its item's
    // trail head (written at the commit, not with the page), and the load resumes from it
    // to the same item as a load never cut short.
    let mut w = dispatched();
    w.ok(HANDLER, Command::Receive);
    let all = page(&w, 0, 1);
    let n = all.changes.len();
    assert!(n >= 3);
    let single = |i: usize| PullResponse {
        changes: vec![all.changes[i].clone()],
        next: i as i64 + 1,
        more: i + 1 < n,
        head: n as i64,
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let mut store = signed_in(Store::open(&path).unwrap(), HANDLER);
    store.begin_rebase().unwrap();
    store.apply_page(&single(0), w.now).unwrap();
    // Commits the load so far.
    store.set_last_synced(w.now).unwrap();
    // Taken in, not committed.
    store.apply_page(&single(1), w.now).unwrap();
    let crash = dir.path().join("crash.db");
    std::fs::copy(&path, &crash).unwrap();
    std::fs::copy(
        dir.path().join("store.db-wal"),
        dir.path().join("crash.db-wal"),
    )
    .unwrap();
    drop(store);

    let mut resumed = Store::open(&crash).unwrap();
    assert!(resumed.rebasing().unwrap());
    assert_eq!(resumed.cursor().unwrap(), 1, "the uncommitted page is lost");
    assert_eq!(resumed.trail(TASK).unwrap().len(), 1);
    for i in 1..n {
        resumed.apply_page(&single(i), w.now).unwrap();
    }
    resumed.end_rebase(w.now).unwrap();
    assert_eq!(resumed.view_state(TASK).unwrap().unwrap(), w.state);
    let detail = resumed.item(TASK, w.now).unwrap().unwrap();
    assert!(detail.verified);
    assert_eq!(detail.trail.len(), n);
    let mut plain = store_as(HANDLER);
    plain.apply_page(&all, w.now).unwrap();
    assert_eq!(
        plain.inbox(10, w.now).unwrap().len(),
        resumed.inbox(10, w.now).unwrap().len()
    );
}

#[test]
fn an_item_revoked_during_a_load_from_the_start_is_gone_at_its_end() {
    // The first page's trail head is still held in memory (written at the commit) when the
    // next page purges the item: it must not come back.
    let w = dispatched();
    let mut first = page(&w, 0, 1);
    let n = first.changes.len() as i64;
    first.more = true;
    first.head = n + 1;
    let revoke = PullResponse {
        changes: vec![Change::Revoke {
            seq: n + 1,
            task: TASK,
        }],
        next: n + 1,
        more: false,
        head: n + 1,
    };
    let mut store = store_as(HANDLER);
    store.begin_rebase().unwrap();
    store.apply_page(&first, w.now).unwrap();
    let outcome = store.apply_page(&revoke, w.now).unwrap();
    assert_eq!(outcome.purged, vec![TASK]);
    store.end_rebase(w.now).unwrap();
    assert!(store.task_ids().unwrap().is_empty());
    assert!(store.view_state(TASK).unwrap().is_none());
    assert!(store.trail(TASK).unwrap().is_empty());
    assert!(store.inbox(10, w.now).unwrap().is_empty());
}

#[test]
fn a_large_load_builds_the_projection_indexes_once_and_the_schema_is_the_same() {
    // From 1,000 items the end of a load drops the views' and duties' secondary indexes and
    // builds them again once filled: the schema after it is the fresh one, and the screens
    // read through the indexes as before.
    let w = dispatched();
    let items = 1_000u128;
    let mut changes = Vec::new();
    let mut seq = 0;
    for i in 0..items {
        let task = duban_core::domain::TaskId::from_u128(0xB000 + i);
        let mut prev = Hash::GENESIS;
        for (k, e) in w.events.iter().enumerate() {
            let task_seq = k as u64 + 1;
            let hash = entry_hash(task, task_seq, prev, e);
            prev = hash;
            seq += 1;
            changes.push(Change::Event(EventRecord {
                seq,
                task,
                task_seq,
                hash: hash.to_hex(),
                event: e.clone(),
            }));
        }
    }
    let mut store = store_as(HANDLER);
    store.begin_rebase().unwrap();
    store
        .apply_page(
            &PullResponse {
                changes,
                next: seq,
                more: false,
                head: seq,
            },
            w.now,
        )
        .unwrap();
    store.end_rebase(w.now).unwrap();
    assert_eq!(
        store.schema_sql().unwrap(),
        store_as(HANDLER).schema_sql().unwrap()
    );
    assert_eq!(store.task_ids().unwrap().len(), items as usize);
    // Each dispatched item asks the handler to receive it.
    assert_eq!(store.inbox(2_000, w.now).unwrap().len(), items as usize);
}

#[test]
fn a_revocation_purges_the_item() {
    let mut store = store_as(HANDLER);
    let w = dispatched();
    store.apply_page(&page(&w, 0, 1), w.now).unwrap();
    let revoke = PullResponse {
        changes: vec![Change::Revoke {
            seq: 10,
            task: TASK,
        }],
        next: 10,
        more: false,
        head: 10,
    };
    let outcome = store.apply_page(&revoke, w.now).unwrap();
    assert_eq!(outcome.purged, vec![TASK]);
    assert!(store.view_state(TASK).unwrap().is_none());
    assert!(store.trail(TASK).unwrap().is_empty());
    assert!(store.inbox(10, w.now).unwrap().is_empty());
}

#[test]
fn notifications_read_elsewhere_are_read_here_with_no_receipt_even_in_the_same_page() {
    let mut store = store_as(HANDLER);
    let w = dispatched();
    let dispatch_seq = w.events.len() as u64;
    let mut p = page(&w, 0, 1);
    // The dispatch's notification and, later in the same page, its reading on the web.
    p.changes.push(Change::Read {
        seq: p.next + 1,
        events: vec![EventRef {
            task: TASK,
            task_seq: dispatch_seq,
        }],
    });
    p.next += 1;
    p.head = p.next;
    let out = store.apply_page(&p, w.now).unwrap();
    assert_eq!(out.read, 1);
    let notes = store.notifications(10).unwrap();
    let n = notes
        .iter()
        .find(|n| n.task_seq == dispatch_seq)
        .expect("the dispatch notifies the handler");
    assert!(n.read, "{n:?}");
    assert_eq!(store.unread().unwrap(), 0);
    assert!(
        store.unsent_receipts(10).unwrap().is_empty(),
        "the server told it: no receipt goes back"
    );
    // A reading of something this phone never held changes nothing.
    let other = PullResponse {
        changes: vec![Change::Read {
            seq: p.next + 1,
            events: vec![EventRef {
                task: TASK,
                task_seq: 99,
            }],
        }],
        next: p.next + 1,
        more: false,
        head: p.next + 1,
    };
    store.apply_page(&other, w.now).unwrap();
    assert_eq!(store.notifications(10).unwrap(), notes);
}

#[test]
fn a_refused_command_and_those_depending_on_it_wait_in_needs_attention() {
    let mut store = store_as(HANDLER);
    let w = dispatched();
    store.apply_page(&page(&w, 0, 1), w.now).unwrap();
    let now = w.now + Duration::hours(1);
    let receive = store.issue(TASK, Command::Receive, now).unwrap();
    let first = store.issue(TASK, progress(1, 30), now).unwrap();
    let second = store.issue(TASK, progress(2, 60), now).unwrap();
    // Shown at once: the view has the reports.
    assert_eq!(store.view_state(TASK).unwrap().unwrap().progress, 60);
    // A command the rules refuse on the device is not queued.
    match store.issue(TASK, Command::Receive, now) {
        Err(StoreError::Rejected(r)) => assert!(!r.zh.is_empty() && !r.en.is_empty()),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(store.outbox().unwrap().len(), 3);
    // The server refuses the receipt (only it was sent).
    let response = PushResponse {
        results: vec![PushOutcome::Rejected {
            id: receive,
            task: TASK,
            code: "state.revoked".into(),
            zh: "事项已撤销".into(),
            en: "the item was revoked".into(),
        }],
    };
    let summary = store.record_push(&response, now).unwrap();
    assert_eq!((summary.rejected, summary.dependent), (1, 2));
    assert!(store.outbox().unwrap().is_empty());
    let attention = store.attention().unwrap();
    assert_eq!(attention.len(), 3);
    let by_id = |id| attention.iter().find(|a| a.id == id).unwrap();
    assert_eq!(by_id(receive).code, "state.revoked");
    assert_eq!(by_id(receive).depends_on, None);
    assert_eq!(by_id(first).depends_on, Some(receive));
    assert_eq!(by_id(second).depends_on, Some(receive));
    // Their text is kept, and the view no longer shows them.
    assert!(matches!(
        &by_id(second).command,
        Command::ReportProgress { percent: 60, .. }
    ));
    assert_eq!(store.view_state(TASK).unwrap().unwrap().progress, 0);
    // Resubmitted, a command goes back to the outbox under a new id.
    let again = store.resubmit(receive, None, now).unwrap();
    assert_ne!(again, receive);
    assert_eq!(store.outbox().unwrap().len(), 1);
    assert_eq!(store.attention().unwrap().len(), 2);
}

#[test]
fn an_accepted_command_waits_for_its_events_then_leaves_the_outbox() {
    let mut store = store_as(HANDLER);
    let mut w = dispatched();
    store.apply_page(&page(&w, 0, 1), w.now).unwrap();
    let id = store.issue(TASK, Command::Receive, w.now).unwrap();
    let held = w.events.len();
    w.ok(HANDLER, Command::Receive);
    let p = page(&w, held, held as i64 + 1);
    let Change::Event(rec) = p.changes[0].clone() else {
        panic!("an event")
    };
    let response = PushResponse {
        results: vec![PushOutcome::Accepted {
            id,
            task: TASK,
            events: vec![rec],
        }],
    };
    store.record_push(&response, w.now).unwrap();
    // Not sent again, still shown.
    assert!(store.due_commands(w.now, 10, true).unwrap().is_empty());
    assert_eq!(store.outbox().unwrap().len(), 1);
    assert_eq!(
        store.view_state(TASK).unwrap().unwrap().status,
        w.state.status
    );
    store.apply_page(&p, w.now).unwrap();
    assert!(store.outbox().unwrap().is_empty());
    let state: TaskState = store.view_state(TASK).unwrap().unwrap();
    assert_eq!(state, w.state);
}

#[test]
fn the_cache_evicts_fetched_files_but_never_the_devices_own() {
    let mut store = store_as(HANDLER);
    let now = World::new().now;
    let own = store
        .put_own_blob(&[1u8; 4000], "image/jpeg", "a.jpg", now)
        .unwrap();
    let uploaded = store
        .put_own_blob(&[2u8; 4000], "image/jpeg", "b.jpg", now)
        .unwrap();
    store.blob_uploaded(&uploaded.hash).unwrap();
    let fetched: Vec<Vec<u8>> = (0..4u8).map(|i| vec![10 + i; 1000]).collect();
    for (i, data) in fetched.iter().enumerate() {
        let hash = blake3::hash(data).to_hex().to_string();
        store
            .put_fetched_blob(
                &hash,
                "image/jpeg",
                data,
                now + Duration::seconds(i as i64),
                2500,
            )
            .unwrap();
    }
    let stats = store.blob_stats().unwrap();
    assert_eq!(stats.own, 2);
    assert_eq!(stats.pending, 1);
    assert_eq!(
        stats.fetched, 2,
        "only the two most recent fetched files fit"
    );
    assert!(store.blob(&own.hash, now).unwrap().is_some());
    assert!(store.blob(&uploaded.hash, now).unwrap().is_some());
    let newest = blake3::hash(&fetched[3]).to_hex().to_string();
    assert!(store.blob(&newest, now).unwrap().is_some());
    let oldest = blake3::hash(&fetched[0]).to_hex().to_string();
    assert!(store.blob(&oldest, now).unwrap().is_none());
    // Content that does not match its hash is not kept.
    assert!(matches!(
        store.put_fetched_blob(&newest, "image/jpeg", b"other", now, 2500),
        Err(StoreError::BlobMismatch { .. })
    ));
}

#[test]
fn the_phone_decides_a_sub_item_with_the_parent_it_holds() {
    // HANDLER (staff) leads TASK in UNIT_A; the phone holds it.
    let mut store = store_as(HANDLER);
    let w = dispatched();
    store.apply_page(&page(&w, 0, 1), w.now).unwrap();
    let now = w.now + Duration::hours(1);
    let rejected = |r: Result<uuid::Uuid, StoreError>| match r {
        Err(StoreError::Rejected(r)) => r.code,
        other => panic!("expected a rejection, got {other:?}"),
    };
    let under = |parent| {
        let mut reg = registration("rectification", 2);
        reg.parent = Some(parent);
        register(reg)
    };
    // A parent the phone does not hold is unknown.
    let child = duban_core::domain::TaskId::from_u128(0xC5);
    let elsewhere = duban_core::domain::TaskId::from_u128(0xF0);
    assert_eq!(
        rejected(store.issue(child, under(elsewhere), now)),
        "input.unknown_parent"
    );
    // Under the item it leads: registered, and sent only within its lead unit.
    store.issue(child, under(TASK), now).unwrap();
    assert_eq!(
        rejected(store.issue(child, dispatch(order_to(UNIT_B, PARTICIPANT, None)), now)),
        "perm.out_of_reach"
    );
    store
        .issue(child, dispatch(order_to(UNIT_A1, SUB_HANDLER, None)), now)
        .unwrap();
    // The view replays both with the parent: the sub-item shows dispatched.
    let view = store.view_state(child).unwrap().unwrap();
    assert_eq!(view.status, duban_core::domain::Status::Dispatched);
    assert_eq!(view.parent, Some(TASK));
    assert_eq!(store.outbox().unwrap().len(), 2);
}
