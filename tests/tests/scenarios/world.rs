//! What the scenarios share: phones for the fixture's people, the commands they issue, photo
//! bytes, and the check that a phone agrees with the server about an item.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Duration as Span, Timelike, Utc};
use duban_core::client::Client;
use duban_core::domain::command::{DispatchOrder, Registration, ReportBody};
use duban_core::domain::model::{
    Assignee, BlobRef, ReportId, Source, TaskNumber, Urgency, Visibility,
};
use duban_core::domain::{Command, TaskId, UnitId, UserId};
use duban_core::sync::SyncConfig;
use duban_tests::{temp_dir, TestServer, PASSWORD};

/// Sync settings for phones in tests: a dead line is noticed quickly.
pub fn config() -> SyncConfig {
    SyncConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(20),
        ..SyncConfig::default()
    }
}

/// A phone with a fresh store, signed in as `name` and synced once.
pub async fn phone(s: &TestServer, name: &str) -> Client {
    phone_with(s, name, config()).await
}

/// A phone with these settings, signed in as `name` and synced once.
pub async fn phone_with(s: &TestServer, name: &str, config: SyncConfig) -> Client {
    let path = temp_dir().join(format!("{name}.db"));
    let c = Client::open(&path, &s.url(), config).expect("open the phone's store");
    c.sign_in(name, PASSWORD).await.expect("sign in");
    c.sync_now().await.expect("first sync");
    c
}

/// A deadline some working days ahead, on the hour.
pub fn deadline(days: i64) -> DateTime<Utc> {
    let t = Utc::now() + Span::days(days);
    t.with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

/// A rectification found on site.
pub fn rectification(title: &str) -> Command {
    Command::Register(Box::new(Registration {
        category: "rectification".into(),
        number: TaskNumber {
            prefix: "改".into(),
            year: 2026,
            seq: 1,
        },
        title: title.into(),
        content: "现场发现占道堆放建筑垃圾,限期清理并报送整改前后照片".into(),
        source: Source::OnSite,
        urgency: Urgency::Urgent,
        visibility: Visibility::Internal,
        deadline: None,
        attributes: BTreeMap::new(),
        attachments: Vec::new(),
        milestones: Vec::new(),
        instructing_leader: None,
        approval_chain: Vec::new(),
        recurrence: None,
        parent: None,
        batch: None,
        order: None,
    }))
}

/// A dispatch to a unit (and a person in it, if named), rated by `leader`.
pub fn dispatch(unit: UnitId, user: Option<UserId>, leader: Option<UserId>) -> Command {
    Command::Dispatch(Box::new(DispatchOrder {
        lead: Assignee { unit, user },
        participants: Vec::new(),
        responsible_leader: leader,
        deputy_leader: None,
        reviewer: None,
        report_approver: None,
        deadline: Some(deadline(20)),
        report_every: None,
    }))
}

/// A progress report with evidence.
pub fn progress(text: &str, percent: u8, evidence: Vec<BlobRef>) -> Command {
    Command::ReportProgress {
        report: ReportBody {
            id: ReportId(uuid::Uuid::new_v4()),
            text: text.into(),
            evidence,
            values: Default::default(),
        },
        percent,
        milestone: None,
        answers: None,
    }
}

/// A completion report with evidence.
pub fn completion(text: &str, evidence: Vec<BlobRef>) -> Command {
    Command::ReportCompletion {
        report: ReportBody {
            id: ReportId(uuid::Uuid::new_v4()),
            text: text.into(),
            evidence,
            values: Default::default(),
        },
    }
}

/// Photo-sized bytes (a JPEG header, then content that differs per `n`).
pub fn photo(n: u32, size: usize) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut x = n.wrapping_mul(2_654_435_761).wrapping_add(1);
    while out.len() < size - 2 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.push(x as u8);
    }
    out.extend([0xFF, 0xD9]);
    out
}

/// Registers and dispatches a rectification as the supervisor; returns its id.
pub async fn dispatched(
    sup: &Client,
    unit: UnitId,
    user: Option<UserId>,
    leader: Option<UserId>,
    title: &str,
) -> TaskId {
    let task = sup.new_task_id();
    sup.issue(task, rectification(title)).expect("register");
    sup.issue(task, dispatch(unit, user, leader))
        .expect("dispatch");
    let r = sup.sync_now().await.expect("sync");
    assert_eq!(r.accepted, 2, "{r:?}");
    task
}

/// The phone holds exactly the server's trail of the item, and it verifies.
pub async fn agrees(s: &TestServer, phone: &Client, task: TaskId) {
    let server = s.server_trail(task).await;
    let held = phone.with_store(|st| st.trail(task)).expect("trail");
    assert_eq!(held.len(), server.len(), "same number of events");
    for ((seq, hash, event), (sseq, shash, sevent)) in held.iter().zip(&server) {
        assert_eq!((seq, hash), (sseq, shash));
        assert_eq!(&serde_json::to_value(event).expect("event"), sevent);
    }
    let detail = phone.item(task).expect("item").expect("held");
    assert!(detail.verified, "the trail verifies");
    assert!(
        detail.pending.is_empty(),
        "nothing pending: {:?}",
        detail.pending
    );
}
