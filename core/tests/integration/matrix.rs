//! Outcome coverage: every command in every status has a specified outcome. The table
//! below is the specification, written by hand; the test builds an item in each status
//! through the real rules, issues a representative, well-formed command from the person
//! entitled to it, and checks the outcome against the table.
//!
//! Cells: `ok` accepted; `nf` task.not_found; `ex` task.exists; `st` state.not_allowed;
//! `rv` task.revoked; `cl` task.closed; `ar` task.archived; anything else is the full
//! rejection code.

use chrono::Duration;
use duban_core::domain::command::{DraftPatch, ReminderKind, SubtaskSpec, UrgeChannel};
use duban_core::domain::model::{AdjustmentId, Assignee, Period, ReportId, TaskNumber, Visibility};
use duban_core::domain::{
    may_view, Actor, Command, CommandKind, Context, Points, Rejection, Role, Roles, Status, TaskId,
    UserId,
};

use duban_core::domain::order::{
    CallbackAnswers, ContactMethod, NonAcceptance, NoticeAbout, Satisfaction,
};

use super::support::*;

const COLUMNS: [Status; 13] = [
    Status::New,
    Status::Draft,
    Status::AwaitingApproval,
    Status::Dispatched,
    Status::Declined,
    Status::InProgress,
    Status::UnderReview,
    Status::Completed,
    Status::Suspended,
    Status::Revoked,
    Status::NotAccepted,
    Status::Closed,
    Status::Archived,
];

const MATRIX: &str = "
command             New Draft              Awaiting Dispatched         Declined           InProgress              UnderReview            Completed          Suspended               Revoked NotAccepted Closed             Archived
register            ok  ex                 ex       ex                 ex                 ex                      ex                     ex                 ex                      ex      ex          ex                 ex
amend_draft         nf  ok                 st       st                 st                 st                      st                     st                 st                      rv      st          cl                 ar
submit_for_approval nf  ok                 st       st                 st                 st                      st                     st                 st                      rv      st          cl                 ar
decide_registration nf  st                 ok       st                 st                 st                      st                     st                 st                      rv      st          cl                 ar
dispatch            nf  approval.pending   st       st                 ok                 st                      st                     st                 st                      rv      st          cl                 ar
receive             nf  st                 st       ok                 st                 receive.already         st                     st                 st                      rv      st          cl                 ar
decline             nf  st                 st       ok                 st                 st                      st                     st                 st                      rv      st          cl                 ar
decompose           nf  st                 st       st                 st                 ok                      st                     st                 st                      rv      st          cl                 ar
share               nf  st                 st       st                 st                 ok                      st                     st                 st                      rv      st          cl                 ar
unshare             nf  st                 st       st                 st                 ok                      st                     st                 st                      rv      st          cl                 ar
report_progress     nf  st                 st       st                 st                 ok                      st                     st                 st                      rv      st          cl                 ar
report_completion   nf  st                 st       st                 st                 ok                      st                     st                 st                      rv      st          cl                 ar
decide_report       nf  st                 st       st                 st                 ok                      ok                     st                 st                      rv      st          cl                 ar
review              nf  st                 st       st                 st                 st                      ok                     st                 st                      rv      st          cl                 ar
rate                nf  st                 st       st                 st                 st                      st                     ok                 st                      rv      st          cl                 ar
adjust_score        nf  st                 st       ok                 ok                 ok                      ok                     ok                 ok                      rv      st          cl                 ar
request_extension   nf  st                 st       st                 st                 ok                      st                     st                 st                      rv      st          cl                 ar
decide_extension    nf  st                 st       st                 st                 extension.none_pending  extension.none_pending st                 extension.none_pending  rv      st          cl                 ar
request_suspension  nf  st                 st       st                 st                 ok                      st                     st                 st                      rv      st          cl                 ar
decide_suspension   nf  st                 st       st                 st                 suspension.none_pending st                     st                 st                      rv      st          cl                 ar
request_resumption  nf  st                 st       st                 st                 st                      st                     st                 ok                      rv      st          cl                 ar
decide_resumption   nf  st                 st       st                 st                 st                      st                     st                 resumption.none_pending rv      st          cl                 ar
revoke              nf  ok                 ok       ok                 ok                 ok                      ok                     ok                 ok                      rv      st          cl                 ar
close               nf  st                 st       st                 st                 st                      st                     ok                 st                      rv      st          cl                 ar
archive             nf  st                 st       st                 st                 st                      st                     st                 st                      ok      ok          ok                 ar
urge                nf  st                 st       ok                 st                 ok                      st                     st                 st                      rv      st          cl                 ar
escalate            nf  st                 st       ok                 st                 ok                      st                     st                 st                      rv      st          cl                 ar
instruct            nf  ok                 ok       ok                 ok                 ok                      ok                     ok                 ok                      rv      st          cl                 ar
comment             nf  ok                 ok       ok                 ok                 ok                      ok                     ok                 ok                      rv      st          cl                 ar
follow              nf  ok                 ok       ok                 ok                 ok                      ok                     ok                 ok                      rv      st          cl                 ar
unfollow            nf  ok                 ok       ok                 ok                 ok                      ok                     ok                 ok                      rv      st          cl                 ar
request_report      nf  st                 st       ok                 st                 ok                      st                     st                 st                      rv      st          cl                 ar
remind              nf  st                 st       ok                 st                 ok                      st                     st                 st                      rv      st          cl                 ar
accept_order        nf  order.not_an_order st       st                 st                 st                      st                     st                 st                      rv      st          cl                 ar
refuse_order        nf  order.not_an_order st       st                 st                 st                      st                     st                 st                      rv      st          cl                 ar
inform_caller       nf  order.not_an_order st       order.not_an_order order.not_an_order order.not_an_order      order.not_an_order     order.not_an_order order.not_an_order      rv      ok          cl                 ar
return_order        nf  st                 st       order.not_an_order st                 order.not_an_order      st                     st                 st                      rv      st          cl                 ar
request_commitment  nf  st                 st       st                 st                 order.not_an_order      st                     st                 st                      rv      st          cl                 ar
decide_commitment   nf  st                 st       st                 st                 order.not_an_order      order.not_an_order     st                 order.not_an_order      rv      st          cl                 ar
call_back           nf  st                 st       st                 st                 st                      perm.denied            st                 st                      rv      st          cl                 ar
reopen_order        nf  st                 st       st                 st                 st                      order.not_an_order     st                 st                      rv      st          cl                 ar
mark_typical nf st st order.not_an_order order.not_an_order order.not_an_order order.not_an_order order.not_an_order order.not_an_order rv st cl ar
";

const REPORT_APPROVER: UserId = HEAD_A;
const VISIBILITIES: [Visibility; 3] = [
    Visibility::Public,
    Visibility::Internal,
    Visibility::Confidential,
];
const PENDING_PROGRESS: u128 = 0x501;

/// Builds a public item in the given status through the real rules (public, so that the
/// table and the outsider test below check each command's own rule, not the reading rule).
/// Every fixture after registration has the inspector following it and a weekly report
/// recurrence; the in-progress family has SHARER1 sharing and a progress report waiting for
/// approval.
pub fn fixture(status: Status) -> World {
    fixture_with(status, Visibility::Public)
}

/// [`fixture`] with the item registered at the given visibility.
pub fn fixture_with(status: Status, visibility: Visibility) -> World {
    let mut w = World::new();
    if status == Status::New {
        return w;
    }
    if status == Status::NotAccepted {
        let mut reg = hotline_registration(1, w.now);
        reg.visibility = visibility;
        w.ok(SUPERVISOR, register(reg));
        w.ok(
            SUPERVISOR,
            Command::RefuseOrder {
                reason: NonAcceptance::OutsideRemit {
                    refer_to: "市场监管局".into(),
                },
                note: String::new(),
            },
        );
        return w;
    }
    let mut reg = registration("annual_key_work", 1);
    reg.visibility = visibility;
    reg.recurrence = Some(weekly());
    if matches!(status, Status::Draft | Status::AwaitingApproval) {
        reg.approval_chain = vec![APPROVER];
    }
    w.ok(SUPERVISOR, register(reg))
        .ok(INSPECTOR, Command::Follow);
    match status {
        Status::Draft => return w,
        Status::AwaitingApproval => {
            w.ok(SUPERVISOR, Command::SubmitForApproval);
            return w;
        }
        _ => {}
    }
    let mut o = order(HANDLER);
    o.report_approver = Some(REPORT_APPROVER);
    w.ok(SUPERVISOR, dispatch(o));
    match status {
        Status::Dispatched => return w,
        Status::Revoked => {
            w.ok(
                SUPERVISOR,
                Command::Revoke {
                    reason: "情况变化".into(),
                },
            );
            return w;
        }
        Status::Declined => {
            w.ok(
                HANDLER,
                Command::Decline {
                    reason: "不属于本单位职责".into(),
                },
            );
            return w;
        }
        _ => {}
    }
    w.advance(Duration::hours(1))
        .ok(HANDLER, Command::Receive)
        .ok(
            HANDLER,
            Command::Share {
                with: vec![SHARER1],
            },
        )
        .ok(HANDLER, progress(PENDING_PROGRESS, 30));
    match status {
        Status::InProgress => return w,
        Status::Suspended => {
            w.ok(HANDLER, ask_suspension())
                .ok(DEPUTY, agree_suspension());
            return w;
        }
        _ => {}
    }
    w.ok(HANDLER, completion(0x502)).ok(
        REPORT_APPROVER,
        Command::DecideReport {
            report: ReportId::from_u128(0x502),
            approve: true,
            opinion: String::new(),
        },
    );
    if status == Status::UnderReview {
        return w;
    }
    w.ok(SUPERVISOR, accept());
    if status == Status::Completed {
        return w;
    }
    w.ok(SUPERVISOR, Command::Close);
    if status == Status::Closed {
        return w;
    }
    w.ok(SUPERVISOR, Command::Archive);
    assert_eq!(status, Status::Archived);
    w
}

/// The representative command of each kind, from the person entitled to issue it.
fn representative(kind: CommandKind, w: &World) -> (UserId, Command) {
    use CommandKind as K;
    let deadline = w.state.deadline.unwrap_or(w.now + Duration::days(10));
    let until = {
        let local = w.calendar.to_local(deadline + Duration::days(3));
        let hour = local.date().and_hms_opt(17, 0, 0).unwrap();
        w.calendar.from_local(hour)
    };
    match kind {
        K::Register => (SUPERVISOR, register(registration("annual_key_work", 2))),
        K::AmendDraft => (
            SUPERVISOR,
            Command::AmendDraft(Box::new(DraftPatch {
                title: Some("新标题".into()),
                ..DraftPatch::default()
            })),
        ),
        K::SubmitForApproval => (SUPERVISOR, Command::SubmitForApproval),
        K::DecideRegistration => (
            APPROVER,
            Command::DecideRegistration {
                approve: true,
                opinion: "同意".into(),
            },
        ),
        K::Dispatch => (SUPERVISOR, dispatch(order(HANDLER))),
        K::Receive => (HANDLER, Command::Receive),
        K::Decline => (
            HANDLER,
            Command::Decline {
                reason: "不属于本单位职责".into(),
            },
        ),
        K::Decompose => (
            HANDLER,
            Command::Decompose(Box::new(SubtaskSpec {
                child: TaskId::from_u128(0xC1),
                number: TaskNumber {
                    prefix: "重".into(),
                    year: 2026,
                    seq: 9,
                },
                title: "子任务".into(),
                content: String::new(),
                lead: Assignee {
                    unit: UNIT_A1,
                    user: Some(SUB_HANDLER),
                },
                deadline: None,
            })),
        ),
        K::Share => (
            HANDLER,
            Command::Share {
                with: vec![SHARER2],
            },
        ),
        K::Unshare => (
            HANDLER,
            Command::Unshare {
                with: vec![SHARER1],
            },
        ),
        K::ReportProgress => (HANDLER, progress(0x601, 50)),
        K::ReportCompletion => (HANDLER, completion(0x602)),
        K::DecideReport => (
            REPORT_APPROVER,
            Command::DecideReport {
                report: ReportId::from_u128(PENDING_PROGRESS),
                approve: true,
                opinion: String::new(),
            },
        ),
        K::Review => (SUPERVISOR, accept()),
        K::Rate => (
            MAIN,
            Command::Rate {
                stars: 5,
                opinion: "很好".into(),
            },
        ),
        K::AdjustScore => (
            SUPERVISOR,
            Command::AdjustScore {
                id: AdjustmentId::from_u128(1),
                points: Points::whole(1),
                reason: "主动作为".into(),
            },
        ),
        K::RequestExtension => (
            HANDLER,
            Command::RequestExtension {
                until,
                reason: "需等待检测结果".into(),
            },
        ),
        K::DecideExtension => (
            DEPUTY,
            Command::DecideExtension {
                approve: true,
                opinion: String::new(),
            },
        ),
        K::RequestSuspension => (
            HANDLER,
            Command::RequestSuspension {
                reason: "等待上级批复".into(),
            },
        ),
        K::DecideSuspension => (
            DEPUTY,
            Command::DecideSuspension {
                approve: true,
                opinion: String::new(),
            },
        ),
        K::RequestResumption => (
            HANDLER,
            Command::RequestResumption {
                reason: "已获批复".into(),
            },
        ),
        K::DecideResumption => (
            DEPUTY,
            Command::DecideResumption {
                approve: true,
                opinion: String::new(),
            },
        ),
        K::Revoke => (
            SUPERVISOR,
            Command::Revoke {
                reason: "情况变化".into(),
            },
        ),
        K::Close => (SUPERVISOR, Command::Close),
        K::Archive => (SUPERVISOR, Command::Archive),
        K::Urge => (
            SUPERVISOR,
            Command::Urge {
                channel: UrgeChannel::Phone,
                note: "请加快进度".into(),
                call: None,
            },
        ),
        K::Escalate => (
            SUPERVISOR,
            Command::Escalate {
                reason: "多次催办无果".into(),
            },
        ),
        K::Instruct => (
            MAIN,
            Command::Instruct {
                id: note(1),
                text: "务必按期完成".into(),
            },
        ),
        K::Comment => (
            SUPERVISOR,
            Command::Comment {
                id: note(2),
                text: "请附照片".into(),
                reply_to: None,
            },
        ),
        K::Follow => (OUTSIDER, Command::Follow),
        K::Unfollow => (INSPECTOR, Command::Unfollow),
        K::RequestReport => (
            UserId::SYSTEM,
            Command::RequestReport {
                period_index: 1,
                period: Period::Weekly,
                due: w.now + Duration::days(8),
            },
        ),
        K::Remind => (
            UserId::SYSTEM,
            Command::Remind {
                kind: ReminderKind::BeforeDeadline { working_days: 3 },
            },
        ),
        K::AcceptOrder => (
            SUPERVISOR,
            Command::AcceptOrder {
                note: String::new(),
            },
        ),
        K::RefuseOrder => (
            SUPERVISOR,
            Command::RefuseOrder {
                reason: NonAcceptance::LegalChannel {
                    channel: "劳动仲裁".into(),
                },
                note: String::new(),
            },
        ),
        K::InformCaller => (
            SUPERVISOR,
            Command::InformCaller {
                about: NoticeAbout::Acceptance,
                method: ContactMethod::Phone,
                told_at: w.now,
                note: String::new(),
            },
        ),
        K::ReturnOrder => (
            HANDLER,
            Command::ReturnOrder {
                reason: "属供水公司职责".into(),
            },
        ),
        K::RequestCommitment => (
            HANDLER,
            Command::RequestCommitment {
                until,
                reason: "需协调多个部门".into(),
            },
        ),
        K::DecideCommitment => (
            SUPERVISOR,
            Command::DecideCommitment {
                approve: true,
                opinion: String::new(),
            },
        ),
        K::CallBack => (
            SUPERVISOR,
            Command::CallBack {
                answers: CallbackAnswers {
                    told_result_and_basis: true,
                    factual: true,
                    misconduct: false,
                    satisfaction: Satisfaction::Satisfied,
                },
                note: String::new(),
            },
        ),
        K::ReopenOrder => (
            SUPERVISOR,
            Command::ReopenOrder {
                reason: "来电人不满意".into(),
            },
        ),
        K::MarkTypical => (SUPERVISOR, Command::MarkTypical { typical: true }),
    }
}

fn kind_name(kind: CommandKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn expand(cell: &str) -> &str {
    match cell {
        "nf" => "task.not_found",
        "ex" => "task.exists",
        "st" => "state.not_allowed",
        "rv" => "task.revoked",
        "cl" => "task.closed",
        "ar" => "task.archived",
        other => other,
    }
}

fn table() -> Vec<(String, Vec<String>)> {
    MATRIX
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("command"))
        .map(|l| {
            let mut cells = l.split_whitespace().map(str::to_owned);
            let name = cells.next().unwrap_or_default();
            (name, cells.collect())
        })
        .collect()
}

#[test]
fn the_table_covers_every_command_and_status() {
    let rows = table();
    let names: Vec<String> = rows.iter().map(|(n, _)| n.clone()).collect();
    let kinds: Vec<String> = CommandKind::ALL.iter().map(|k| kind_name(*k)).collect();
    assert_eq!(names, kinds, "one row per command kind, in order");
    for (name, cells) in &rows {
        assert_eq!(
            cells.len(),
            COLUMNS.len(),
            "row {name} has a cell per status"
        );
    }
    assert_eq!(Status::ALL, COLUMNS);
}

#[test]
fn fixtures_reach_their_status() {
    for status in COLUMNS {
        let w = fixture(status);
        assert_eq!(w.state.status, status);
        assert_eq!(w.state.check_invariants(), Ok(()), "{status:?}");
    }
}

#[test]
fn every_command_in_every_status_has_its_specified_outcome() {
    // The table holds at every visibility for the people who may read the item. Only Follow
    // changes hands: the outsider follows a public item; a deputy leader who reads every item
    // but is not following follows the others. A representative who may not read the item
    // (a handler's command on an internal draft, which has no lead yet) is answered as on an
    // unknown item: task.not_found, whatever the table says.
    let rows = table();
    let mut failures = Vec::new();
    for visibility in VISIBILITIES {
        for (col, status) in COLUMNS.iter().enumerate() {
            let mut w = fixture_with(*status, visibility);
            w.advance(Duration::hours(1));
            for (kind, (name, cells)) in CommandKind::ALL.iter().zip(&rows) {
                let expected = expand(&cells[col]);
                let (mut who, cmd) = representative(*kind, &w);
                if *kind == CommandKind::Follow && visibility != Visibility::Public {
                    who = DEPUTY;
                }
                assert_eq!(cmd.kind(), *kind);
                let expected =
                    if *status == Status::New || may_view(&w.state, &actor(who), &w.units) {
                        expected
                    } else {
                        "task.not_found"
                    };
                let outcome = match w.try_decide(who, &cmd) {
                    Ok(events) => {
                        // An accepted command yields events that fold into a valid state.
                        assert!(!events.is_empty(), "{name} in {status:?} yielded no event");
                        let mut s = w.state.clone();
                        for e in &events {
                            s = duban_core::domain::evolve(s, e);
                        }
                        if let Err(why) = s.check_invariants() {
                            failures.push(format!(
                                "{name} in {status:?} ({visibility:?}): invalid state: {why}"
                            ));
                        }
                        "ok".to_owned()
                    }
                    Err(r) => {
                        assert!(!r.zh.is_empty() && !r.en.is_empty(), "{r:?} has both texts");
                        r.code
                    }
                };
                if outcome != expected {
                    failures.push(format!(
                        "{name} in {status:?} ({visibility:?}): expected {expected}, got {outcome}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn an_unentitled_person_is_refused_wherever_the_command_applies() {
    // The outsider (staff of an unrelated unit) may follow, unfollow (if following) and
    // nothing else; wherever the status allows a command, the outsider gets perm.denied.
    let rows = table();
    for (col, status) in COLUMNS.iter().enumerate() {
        let mut w = fixture(*status);
        w.advance(Duration::hours(1));
        for (kind, (name, cells)) in CommandKind::ALL.iter().zip(&rows) {
            if cells[col] != "ok" || matches!(kind, CommandKind::Follow | CommandKind::Unfollow) {
                continue;
            }
            let (_, cmd) = representative(*kind, &w);
            let r = w
                .try_decide(OUTSIDER, &cmd)
                .expect_err(&format!("outsider's {name} in {status:?} must be refused"));
            assert_eq!(r.code, "perm.denied", "{name} in {status:?}: {r}");
        }
    }
}

#[test]
fn an_item_the_actor_may_not_read_is_refused_as_an_unknown_id() {
    // On an internal or confidential item led by unit A with unit B participating, the
    // outsider (staff of unit C) may not read it. Every command, in every status, is refused
    // exactly as the same command on an id that names no item — the same code and the same
    // words — so the refusal tells neither that the item exists nor what status it is in:
    // task.not_found, and for Register the refusal of a new id (staff may not register
    // without a parent: perm.denied).
    for visibility in [Visibility::Internal, Visibility::Confidential] {
        for status in &COLUMNS[1..] {
            let mut w = fixture_with(*status, visibility);
            w.advance(Duration::hours(1));
            assert!(!may_view(&w.state, &actor(OUTSIDER), &w.units));
            let mut unknown = World::new();
            unknown.set_now(w.now);
            for kind in CommandKind::ALL {
                let (_, cmd) = representative(kind, &w);
                let name = kind_name(kind);
                let r = w.try_decide(OUTSIDER, &cmd).expect_err(&format!(
                    "outsider's {name} in {status:?} ({visibility:?}) must be refused"
                ));
                let as_unknown = unknown
                    .try_decide(OUTSIDER, &cmd)
                    .expect_err("refused on an unknown id");
                assert_eq!(r, as_unknown, "{name} in {status:?} ({visibility:?})");
                if kind != CommandKind::Register {
                    assert_eq!(r, Rejection::not_found(), "{name} in {status:?}");
                }
            }
        }
    }
}

/// The head of unit C: a registrar (unit heads register) who may not read A's internal items.
fn head_of_c() -> Actor {
    Actor {
        id: UserId::from_u128(0xC0),
        unit: Some(UNIT_C),
        roles: Roles::of(&[Role::UnitHead]),
    }
}

fn decide_as(w: &World, actor: &Actor, cmd: &Command) -> Result<(), Rejection> {
    let ctx = Context {
        actor,
        now: w.now,
        calendar: &w.calendar,
        policy: &w.policy,
        units: &w.units,
        parent: None,
    };
    duban_core::domain::decide(&w.state, cmd, &ctx).map(drop)
}

#[test]
fn registering_over_an_unreadable_item_tells_no_more_than_a_new_id() {
    // A registrar who may not read an existing item sends Register with its id. It is
    // decided as though the id were new: a registration with a fault gets that fault's
    // refusal (not task.exists, which would say the id is taken for free), and only one that
    // a new id would accept is refused, with task.exists. Someone who may read the item is
    // told task.exists at once.
    let head = head_of_c();
    let mut bad = registration("annual_key_work", 9);
    bad.title = " ".into();
    let good = register(registration("annual_key_work", 9));
    let bad = register(bad);
    for visibility in [Visibility::Internal, Visibility::Confidential] {
        for status in [Status::Draft, Status::InProgress, Status::Closed] {
            let w = fixture_with(status, visibility);
            assert!(!may_view(&w.state, &head, &w.units));
            let mut unknown = World::new();
            unknown.set_now(w.now);

            let r = decide_as(&w, &head, &bad).expect_err("a fault is refused");
            assert_eq!(Err(r.clone()), decide_as(&unknown, &head, &bad));
            assert_eq!(r.code, "input.title", "{status:?} ({visibility:?})");

            assert_eq!(
                decide_as(&unknown, &head, &good),
                Ok(()),
                "a new id accepts it"
            );
            let r = decide_as(&w, &head, &good).expect_err("the id is taken");
            assert_eq!(r, Rejection::exists(), "{status:?} ({visibility:?})");

            // The supervisor reads the item.
            let r = w.try_decide(SUPERVISOR, &bad).expect_err("the id is taken");
            assert_eq!(r, Rejection::exists());
        }
    }
}
