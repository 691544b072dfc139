//! Hotline work orders (12345 / 12369, seed 002): an order walked through each branch of
//! its process by the real rules.

use chrono::{DateTime, Duration, Utc};
use duban_core::domain::derived::duty::{duties, Duty};
use duban_core::domain::model::TaskId;
use duban_core::domain::order::{
    CallbackAnswers, CommitmentOutcome, ContactMethod, Line, NonAcceptance, NoticeAbout,
    Satisfaction,
};
use duban_core::domain::{
    confidential_audience, may_see_confidential, may_view, Command, Context, Status, UserId,
};

use super::support::*;

/// Monday 2 March 2026, 09:00: the call comes in a quarter of an hour earlier.
fn taken() -> World {
    let mut w = World::new();
    let called = w.now - Duration::minutes(15);
    w.ok(SUPERVISOR, register(hotline_registration(1, called)));
    w
}

fn accepted() -> World {
    let mut w = taken();
    w.ok(
        SUPERVISOR,
        Command::AcceptOrder {
            note: "属住建局职责".into(),
        },
    );
    w
}

/// Accepted and dispatched to the handler of unit A.
fn dispatched() -> World {
    let mut w = accepted();
    w.advance(Duration::hours(1))
        .ok(SUPERVISOR, dispatch(order_to(UNIT_A, HANDLER, None)));
    w
}

fn refuse(reason: NonAcceptance, note: &str) -> Command {
    Command::RefuseOrder {
        reason,
        note: note.into(),
    }
}

fn reply(sections: [&str; 3]) -> String {
    format!(
        "【办理结果】{}\n【政策依据】{}\n【承办人及联系电话】{}",
        sections[0], sections[1], sections[2]
    )
}

fn replied(n: u128) -> Command {
    Command::ReportCompletion {
        report: body(
            n,
            &reply([
                "已责令工地停止夜间施工",
                "《环境噪声污染防治法》第三十条",
                "李工 0571-12345678",
            ]),
        ),
    }
}

fn call_back(satisfaction: Satisfaction) -> Command {
    Command::CallBack {
        answers: CallbackAnswers {
            told_result_and_basis: true,
            factual: true,
            misconduct: false,
            satisfaction,
        },
        note: String::new(),
    }
}

fn tell(about: NoticeAbout, at: DateTime<Utc>) -> Command {
    Command::InformCaller {
        about,
        method: ContactMethod::Sms,
        told_at: at,
        note: "已短信告知".into(),
    }
}

#[test]
fn an_order_needs_its_intake_and_its_categorys_line() {
    let mut w = World::new();
    let mut plain = hotline_registration(1, w.now);
    plain.order = None;
    w.refused(SUPERVISOR, register(plain), "order.intake_required");
    let mut wrong = registration("annual_key_work", 1);
    wrong.order = hotline_registration(1, w.now).order;
    w.refused(SUPERVISOR, register(wrong), "order.not_an_order_category");
    let mut env = hotline_registration(1, w.now);
    if let Some(o) = env.order.as_mut() {
        o.line = Line::Environment;
    }
    w.refused(SUPERVISOR, register(env), "order.wrong_line");
    let future = hotline_registration(1, w.now + Duration::hours(1));
    w.refused(SUPERVISOR, register(future), "input.called_at");
    let mut blank = hotline_registration(1, w.now);
    if let Some(o) = blank.order.as_mut() {
        o.subject = " ".into();
    }
    w.refused(SUPERVISOR, register(blank), "input.order_subject");
    // A caller who asked for confidentiality: the order, and so its reply, is never public.
    let mut private = hotline_registration(1, w.now);
    private.visibility = duban_core::domain::model::Visibility::Public;
    if let Some(o) = private.order.as_mut() {
        o.keep_private = true;
    }
    w.refused(
        SUPERVISOR,
        register(private.clone()),
        "order.private_not_public",
    );
    private.visibility = duban_core::domain::model::Visibility::Internal;
    w.ok(SUPERVISOR, register(private));
}

#[test]
fn not_accepted_for_each_reason_and_the_caller_told() {
    let reasons = [
        (
            refuse(
                NonAcceptance::OutsideRemit {
                    refer_to: "市场监管局".into(),
                },
                "",
            ),
            "outside_remit",
        ),
        (
            refuse(
                NonAcceptance::LegalChannel {
                    channel: "劳动仲裁".into(),
                },
                "",
            ),
            "legal_channel",
        ),
        (
            refuse(
                NonAcceptance::AlreadyAccepted {
                    of: TaskId::from_u128(0xB22),
                    follow_up: "请凭原工单号查询办理进度".into(),
                },
                "",
            ),
            "already_accepted",
        ),
        (
            refuse(NonAcceptance::ContestedReply, "已于上月答复,无新情况"),
            "contested_reply",
        ),
    ];
    for (command, code) in reasons {
        let mut w = taken();
        // Only the office decides acceptance; an inspector reads the order but may not.
        w.refused(INSPECTOR, command.clone(), "perm.denied");
        w.ok(SUPERVISOR, command);
        assert_eq!(w.state.status, Status::NotAccepted);
        let o = w.state.order.as_ref().expect("an order");
        assert_eq!(o.non_acceptance().map(NonAcceptance::code), Some(code));
        assert_eq!(o.owed, vec![NoticeAbout::Acceptance]);
        assert_eq!(w.state.check_invariants(), Ok(()));
        // Not dispatched, not decided twice; the caller is told, once.
        w.refused(
            SUPERVISOR,
            dispatch(order_to(UNIT_A, HANDLER, None)),
            "state.not_allowed",
        );
        w.refused(
            SUPERVISOR,
            Command::AcceptOrder {
                note: String::new(),
            },
            "state.not_allowed",
        );
        w.advance(Duration::days(2));
        let told = w.now - Duration::hours(1);
        w.refused(
            SUPERVISOR,
            tell(NoticeAbout::Acceptance, w.now + Duration::hours(1)),
            "input.told_at",
        );
        w.ok(SUPERVISOR, tell(NoticeAbout::Acceptance, told));
        let o = w.state.order.as_ref().expect("an order");
        assert!(o.owed.is_empty());
        assert_eq!(o.notices.len(), 1);
        w.refused(
            SUPERVISOR,
            tell(NoticeAbout::Acceptance, told),
            "order.nothing_owed",
        );
        w.ok(SUPERVISOR, Command::Archive);
    }
    // Each reason needs its words.
    let mut w = taken();
    w.refused(
        SUPERVISOR,
        refuse(
            NonAcceptance::OutsideRemit {
                refer_to: String::new(),
            },
            "",
        ),
        "input.refer_to",
    );
    w.refused(
        SUPERVISOR,
        refuse(NonAcceptance::ContestedReply, ""),
        "input.note",
    );
}

#[test]
fn accepted_then_a_duplicate_refused_and_linked() {
    let first = accepted();
    assert!(first.state.order.as_ref().unwrap().accepted_at().is_some());
    let mut second = World::new();
    second.advance(Duration::days(3));
    let called = second.now;
    second.ok(SUPERVISOR, register(hotline_registration(2, called)));
    second.ok(
        SUPERVISOR,
        refuse(
            NonAcceptance::AlreadyAccepted {
                of: TASK,
                follow_up: "同一事项已于3月2日受理,请凭原工单号跟进".into(),
            },
            "",
        ),
    );
    match second.state.order.as_ref().unwrap().non_acceptance() {
        Some(NonAcceptance::AlreadyAccepted { of, .. }) => assert_eq!(*of, TASK),
        other => panic!("expected a link to the first order, got {other:?}"),
    }
}

#[test]
fn the_system_registers_the_platforms_orders_and_nothing_else() {
    let mut w = World::new();
    let mut posted = hotline_registration(1, w.now);
    if let Some(o) = posted.order.as_mut() {
        o.channel = duban_core::domain::order::OrderChannel::Platform;
        o.platform_number = Some("SZ12345-2026-000123".into());
    }
    w.refused(
        UserId::SYSTEM,
        register(hotline_registration(1, w.now)),
        "perm.denied",
    );
    w.refused(
        UserId::SYSTEM,
        register(registration("annual_key_work", 1)),
        "perm.denied",
    );
    w.ok(UserId::SYSTEM, register(posted));
    assert_eq!(w.state.creator(), Some(UserId::SYSTEM));
}

#[test]
fn an_urgent_public_safety_order_is_accepted_at_once() {
    let mut w = World::new();
    let mut r = hotline_registration(1, w.now);
    if let Some(o) = r.order.as_mut() {
        o.urgent_safety = true;
    }
    w.ok(SUPERVISOR, register(r));
    assert_eq!(w.events.len(), 2);
    assert!(w.state.order.as_ref().unwrap().accepted_at().is_some());
    w.refused(
        SUPERVISOR,
        Command::AcceptOrder {
            note: String::new(),
        },
        "order.decided",
    );
}

#[test]
fn dispatched_only_once_accepted_and_due_by_the_policy() {
    let mut w = taken();
    w.refused(
        SUPERVISOR,
        dispatch(order_to(UNIT_A, HANDLER, None)),
        "order.not_accepted",
    );
    let mut w = dispatched();
    let o = w.state.order.as_ref().unwrap();
    assert_eq!(o.first_dispatcher, Some(SUPERVISOR));
    // Five working days from Monday: the end of the next Monday.
    assert_eq!(w.state.deadline, Some(end_of(2026, 3, 9)));
    // A unit returns an order; it does not decline it.
    w.refused(
        HANDLER,
        Command::Decline {
            reason: "非本单位职责".into(),
        },
        "order.return_instead",
    );
}

#[test]
fn returned_and_transferred_and_the_first_unit_loses_sight_of_it() {
    let mut w = dispatched();
    // Only the lead side returns, within the policy's hours.
    w.refused(
        PARTICIPANT,
        Command::ReturnOrder {
            reason: "属供水公司职责".into(),
        },
        "task.not_found",
    );
    w.advance(Duration::hours(2)).ok(
        HANDLER,
        Command::ReturnOrder {
            reason: "属城管局职责".into(),
        },
    );
    assert_eq!(w.state.status, Status::Declined);
    let o = w.state.order.as_ref().unwrap();
    assert_eq!(o.returns.len(), 1);
    assert_eq!(o.returns[0].unit, UNIT_A);
    assert_eq!(o.returns[0].upheld, None);
    // The office transfers it to unit B.
    w.ok(SUPERVISOR, dispatch(order_to(UNIT_B, PARTICIPANT, None)));
    let o = w.state.order.as_ref().unwrap();
    assert_eq!(o.returns[0].upheld, Some(true));
    assert_eq!(o.transfers.len(), 1);
    assert_eq!((o.transfers[0].from, o.transfers[0].to), (UNIT_A, UNIT_B));
    assert_eq!(o.first_dispatcher, Some(SUPERVISOR));
    // Unit A only had the order transferred away: it reads neither the order nor the caller.
    let confidential = w.state.visibility != duban_core::domain::model::Visibility::Public;
    assert!(!may_see_confidential(&w.state, &actor(HANDLER), &w.units));
    assert!(!confidential_audience(&w.state, &w.units)
        .contains(&duban_core::domain::AudienceKey::Unit(UNIT_A)));
    if confidential {
        assert!(!may_view(&w.state, &actor(HANDLER), &w.units));
    }
    assert!(may_see_confidential(
        &w.state,
        &actor(PARTICIPANT),
        &w.units
    ));
    // Too late to return: after the policy's 24 hours.
    w.ok(PARTICIPANT, Command::Receive)
        .advance(Duration::hours(25));
    w.refused(
        PARTICIPANT,
        Command::ReturnOrder {
            reason: "属供水公司职责".into(),
        },
        "order.return_too_late",
    );
}

#[test]
fn a_return_the_office_does_not_uphold_is_not_a_transfer() {
    let mut w = dispatched();
    w.ok(
        HANDLER,
        Command::ReturnOrder {
            reason: "人手不足".into(),
        },
    );
    w.ok(SUPERVISOR, dispatch(order_to(UNIT_A, HANDLER, None)));
    let o = w.state.order.as_ref().unwrap();
    assert_eq!(o.returns[0].upheld, Some(false));
    assert!(o.transfers.is_empty());
}

#[test]
fn a_committed_deadline_requested_and_approved() {
    let mut w = dispatched();
    w.ok(HANDLER, Command::Receive);
    let until = local(2026, 3, 31, 17, 0);
    let ask = Command::RequestCommitment {
        until,
        reason: "需协调供电部门迁改线路".into(),
    };
    // The 12345 order asks for a committed deadline, not an extension.
    w.refused(
        HANDLER,
        Command::RequestExtension {
            until,
            reason: "需协调".into(),
        },
        "order.commitment_instead",
    );
    w.refused(
        HANDLER,
        Command::RequestCommitment {
            until: local(2026, 3, 31, 17, 30),
            reason: "需协调".into(),
        },
        "input.not_on_hour",
    );
    w.ok(HANDLER, ask.clone());
    w.refused(HANDLER, ask, "commitment.pending");
    let decide = Command::DecideCommitment {
        approve: true,
        opinion: "同意".into(),
    };
    w.refused(HANDLER, decide.clone(), "perm.denied");
    w.ok(SUPERVISOR, decide.clone());
    assert_eq!(w.state.deadline, Some(until));
    let o = w.state.order.as_ref().unwrap();
    assert_eq!(o.commitments[0].outcome, CommitmentOutcome::Approved);
    assert_eq!(o.commitments[0].unit, Some(UNIT_A));
    w.refused(SUPERVISOR, decide, "commitment.none_pending");
}

#[test]
fn replied_called_back_unsatisfied_reopened_and_satisfied_on_the_second_call_back() {
    let mut w = dispatched();
    w.ok(HANDLER, Command::Receive);
    // The reply follows the template, section by section.
    w.refused(
        HANDLER,
        Command::ReportCompletion {
            report: body(1, "已处理"),
        },
        "order.reply_template",
    );
    w.refused(
        HANDLER,
        Command::ReportCompletion {
            report: body(1, &reply(["已处理", " ", "李工"])),
        },
        "order.reply_template",
    );
    w.ok(HANDLER, replied(1));
    assert_eq!(w.state.status, Status::UnderReview);
    // The reply is accepted by calling the caller back, not by review.
    w.refused(SUPERVISOR, accept(), "order.call_back_first");
    // Only the dispatcher who first dispatched calls back.
    w.refused(DEPUTY, call_back(Satisfaction::Satisfied), "perm.denied");
    w.ok(SUPERVISOR, call_back(Satisfaction::Unsatisfied));
    assert_eq!(w.state.status, Status::UnderReview);
    w.refused(
        SUPERVISOR,
        call_back(Satisfaction::Satisfied),
        "order.called_back",
    );
    w.ok(
        SUPERVISOR,
        Command::ReopenOrder {
            reason: "来电人反映夜间仍有施工".into(),
        },
    );
    assert_eq!(w.state.status, Status::InProgress);
    // Due in three working days.
    assert_eq!(
        w.state.deadline,
        Some(w.calendar.deadline_after_working_days(w.now, 3))
    );
    w.advance(Duration::days(1)).ok(HANDLER, replied(2));
    w.ok(SUPERVISOR, call_back(Satisfaction::Satisfied));
    assert_eq!(w.state.status, Status::Completed);
    let o = w.state.order.as_ref().unwrap();
    assert_eq!(o.callbacks.len(), 2);
    assert_eq!(o.reopenings.len(), 1);
    assert_eq!(o.satisfaction(), Some(Satisfaction::Satisfied));
    assert_eq!(w.state.check_invariants(), Ok(()));
    w.ok(SUPERVISOR, Command::MarkTypical { typical: true });
    w.ok(SUPERVISOR, Command::Close);
    w.refused(
        SUPERVISOR,
        Command::MarkTypical { typical: true },
        "order.typical_unchanged",
    );
    w.ok(SUPERVISOR, Command::MarkTypical { typical: false });
}

#[test]
fn reopening_needs_an_unsatisfied_call_back() {
    let mut w = dispatched();
    w.ok(HANDLER, Command::Receive).ok(HANDLER, replied(1));
    w.refused(
        SUPERVISOR,
        Command::ReopenOrder {
            reason: "复查".into(),
        },
        "order.reopen_not_unsatisfied",
    );
    w.ok(SUPERVISOR, call_back(Satisfaction::Basic));
    assert_eq!(w.state.status, Status::Completed);
}

#[test]
fn the_12369_extension_once_and_never_twice() {
    let mut w = World::new();
    let mut r = hotline_registration(1, w.now);
    r.category = "env_hotline".into();
    r.number.prefix = "环".into();
    if let Some(o) = r.order.as_mut() {
        o.line = Line::Environment;
        o.kind = duban_core::domain::order::OrderKind::Report;
    }
    w.ok(SUPERVISOR, register(r)).ok(
        SUPERVISOR,
        Command::AcceptOrder {
            note: String::new(),
        },
    );
    let accepted_at = w.now;
    // Due 60 days after acceptance; a later deadline is refused.
    w.refused(
        SUPERVISOR,
        dispatch(order_to(
            UNIT_A,
            HANDLER,
            Some(accepted_at + Duration::days(61)),
        )),
        "order.environment_deadline",
    );
    w.ok(SUPERVISOR, dispatch(order_to(UNIT_A, HANDLER, None)));
    assert_eq!(w.state.deadline, Some(accepted_at + Duration::days(60)));
    w.ok(HANDLER, Command::Receive);
    let deadline = w.state.deadline.unwrap();
    let calendar = w.calendar.clone();
    let on_hour = |t: DateTime<Utc>| {
        let l = calendar.to_local(t);
        calendar.from_local(l.date().and_hms_opt(17, 0, 0).unwrap())
    };
    // The 12369 order has no committed deadline.
    w.refused(
        HANDLER,
        Command::RequestCommitment {
            until: on_hour(deadline + Duration::days(10)),
            reason: "需检测".into(),
        },
        "order.commitment_12345_only",
    );
    w.refused(
        HANDLER,
        Command::RequestExtension {
            until: on_hour(deadline + Duration::days(31)),
            reason: "需等待监测报告".into(),
        },
        "order.extension_too_long",
    );
    w.ok(
        HANDLER,
        Command::RequestExtension {
            until: on_hour(deadline + Duration::days(29)),
            reason: "需等待第三方监测报告".into(),
        },
    );
    // A leader approves; a unit head may not.
    let approve = Command::DecideExtension {
        approve: true,
        opinion: "同意延期,请告知举报人".into(),
    };
    w.refused(HEAD_A, approve.clone(), "perm.denied");
    w.ok(MAIN, approve);
    let o = w.state.order.as_ref().unwrap();
    assert!(o.owed.contains(&NoticeAbout::Extension));
    let told = w.now;
    w.ok(SUPERVISOR, tell(NoticeAbout::Extension, told));
    // Never twice.
    w.refused(
        HANDLER,
        Command::RequestExtension {
            until: on_hour(deadline + Duration::days(30)),
            reason: "仍需时间".into(),
        },
        "order.extension_once",
    );
    assert_eq!(w.state.check_invariants(), Ok(()));
}

#[test]
fn only_the_office_marks_typical_and_only_accepted_orders() {
    let mut w = taken();
    w.refused(
        SUPERVISOR,
        Command::MarkTypical { typical: true },
        "state.not_allowed",
    );
    let mut w = dispatched();
    w.refused(
        HANDLER,
        Command::MarkTypical { typical: true },
        "perm.denied",
    );
    w.ok(SUPERVISOR, Command::MarkTypical { typical: true });
    assert!(w.state.order.as_ref().unwrap().typical.is_some());
}

fn duties_of(w: &World, who: UserId) -> Vec<Duty> {
    let a = actor(who);
    let ctx = Context {
        actor: &a,
        now: w.now,
        calendar: &w.calendar,
        policy: &w.policy,
        units: &w.units,
        parent: None,
    };
    duties(&w.state, &ctx)
}

#[test]
fn the_office_and_the_unit_find_each_step_in_their_inbox() {
    let w = taken();
    assert_eq!(duties_of(&w, SUPERVISOR), vec![Duty::AcceptOrder]);
    let w = accepted();
    assert_eq!(
        duties_of(&w, SUPERVISOR),
        vec![Duty::Dispatch, Duty::InformCaller]
    );
    let mut w = dispatched();
    assert_eq!(duties_of(&w, HANDLER), vec![Duty::Receive]);
    w.ok(HANDLER, Command::Receive);
    assert_eq!(duties_of(&w, HANDLER), vec![Duty::Handle]);
    w.ok(
        HANDLER,
        Command::RequestCommitment {
            until: local(2026, 3, 31, 17, 0),
            reason: "需协调".into(),
        },
    );
    assert!(duties_of(&w, SUPERVISOR).contains(&Duty::DecideCommitment));
    w.ok(HANDLER, replied(1));
    assert!(duties_of(&w, SUPERVISOR).contains(&Duty::CallBack));
    assert!(!duties_of(&w, SUPERVISOR).contains(&Duty::Review));
    assert!(duties_of(&w, DEPUTY).is_empty());
}

/// A reply in the default template.
pub const TEMPLATE_REPLY: &str =
    "【办理结果】已现场核查处理\n【政策依据】相关规定\n【承办人及联系电话】李工 0571-12345678";

/// An order at one of its stages, for the properties: 0 taken, 1 accepted, 2 dispatched,
/// 3 in progress, 4 replied, 5 a committed deadline asked, 6 a 12369 order in progress.
/// Its policy gives units a month to return an order, so that random steps, hours apart,
/// still reach returns.
pub fn order_stage(stage: u8) -> World {
    let mut w = order_stage_at(stage);
    w.policy.hotline.return_hours = 24 * 30;
    w
}

fn order_stage_at(stage: u8) -> World {
    match stage % 7 {
        0 => taken(),
        1 => accepted(),
        2 => dispatched(),
        3 => {
            let mut w = dispatched();
            w.ok(HANDLER, Command::Receive);
            w
        }
        4 => {
            let mut w = dispatched();
            w.ok(HANDLER, Command::Receive).ok(HANDLER, replied(1));
            w
        }
        5 => {
            let mut w = dispatched();
            w.ok(HANDLER, Command::Receive).ok(
                HANDLER,
                Command::RequestCommitment {
                    until: local(2026, 3, 31, 17, 0),
                    reason: "需协调".into(),
                },
            );
            w
        }
        _ => {
            let mut w = World::new();
            let mut r = hotline_registration(1, w.now);
            r.category = "env_hotline".into();
            r.number.prefix = "环".into();
            if let Some(o) = r.order.as_mut() {
                o.line = Line::Environment;
            }
            w.ok(SUPERVISOR, register(r))
                .ok(
                    SUPERVISOR,
                    Command::AcceptOrder {
                        note: String::new(),
                    },
                )
                .ok(SUPERVISOR, dispatch(order_to(UNIT_A, HANDLER, None)))
                .ok(HANDLER, Command::Receive);
            w
        }
    }
}

/// Every kind of order event, for the trail's lines (see `screens`).
pub fn tour_events() -> Vec<duban_core::domain::Event> {
    let mut events = Vec::new();
    let mut w = taken();
    w.ok(SUPERVISOR, refuse(NonAcceptance::ContestedReply, "已答复"));
    w.ok(SUPERVISOR, tell(NoticeAbout::Acceptance, w.now));
    events.extend(w.events);
    let mut w = dispatched();
    w.advance(Duration::hours(1))
        .ok(
            HANDLER,
            Command::ReturnOrder {
                reason: "属城管局职责".into(),
            },
        )
        .ok(SUPERVISOR, dispatch(order_to(UNIT_A, HANDLER, None)))
        .ok(HANDLER, Command::Receive)
        .ok(
            HANDLER,
            Command::RequestCommitment {
                until: local(2026, 3, 31, 17, 0),
                reason: "需协调".into(),
            },
        )
        .ok(
            SUPERVISOR,
            Command::DecideCommitment {
                approve: false,
                opinion: "请按期办结".into(),
            },
        )
        .ok(
            HANDLER,
            Command::RequestCommitment {
                until: local(2026, 3, 31, 17, 0),
                reason: "需协调供电部门".into(),
            },
        )
        .ok(
            SUPERVISOR,
            Command::DecideCommitment {
                approve: true,
                opinion: String::new(),
            },
        )
        .ok(HANDLER, replied(1))
        .ok(SUPERVISOR, call_back(Satisfaction::Unsatisfied))
        .ok(
            SUPERVISOR,
            Command::ReopenOrder {
                reason: "仍有噪声".into(),
            },
        )
        .ok(HANDLER, replied(2))
        .ok(SUPERVISOR, call_back(Satisfaction::Satisfied))
        .ok(SUPERVISOR, Command::MarkTypical { typical: true });
    events.extend(w.events);
    events
}
