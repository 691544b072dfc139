//! The acts on offer (`domain::offer`): for every status of the matrix's item and every
//! person of the cast, an act is on offer exactly when the rules accept it with input of the
//! person's own, and every duty the phone answers comes with its act.

use duban_core::domain::command::CommandKind;
use duban_core::domain::derived::duty::duties;
use duban_core::domain::model::NoteId;
use duban_core::domain::offer::{act_for, acts_on_offer, may_register, OFFERED};
use duban_core::domain::{Command, Context, Status};

use super::matrix::fixture;
use super::support::*;

fn offered(w: &World, who: duban_core::domain::UserId) -> Vec<CommandKind> {
    let a = actor(who);
    let ctx = Context {
        actor: &a,
        now: w.now,
        calendar: &w.calendar,
        policy: &w.policy,
        units: &w.units,
        parent: None,
    };
    acts_on_offer(&w.state, &ctx)
}

/// Commands written as a person would, unlike the samples `acts_on_offer` tries.
fn own(kind: CommandKind) -> Option<Command> {
    Some(match kind {
        CommandKind::Receive => Command::Receive,
        CommandKind::Instruct => Command::Instruct {
            id: NoteId(uuid::Uuid::from_u128(0xBEEF)),
            text: "请抓紧办理。".into(),
        },
        CommandKind::Comment => Command::Comment {
            id: NoteId(uuid::Uuid::from_u128(0xBEEF)),
            text: "收到。".into(),
            reply_to: None,
        },
        CommandKind::Rate => Command::Rate {
            stars: 3,
            opinion: "尚可".into(),
        },
        CommandKind::RequestSuspension => Command::RequestSuspension {
            reason: "等待上级文件。".into(),
        },
        CommandKind::RequestResumption => Command::RequestResumption {
            reason: "文件已下发。".into(),
        },
        CommandKind::DecideExtension => Command::DecideExtension {
            approve: false,
            opinion: "理由不足。".into(),
        },
        CommandKind::DecideSuspension => Command::DecideSuspension {
            approve: false,
            opinion: "不宜暂停。".into(),
        },
        CommandKind::Follow => Command::Follow,
        CommandKind::Unfollow => Command::Unfollow,
        CommandKind::Decline => Command::Decline {
            reason: "不属本单位职责。".into(),
        },
        _ => return None,
    })
}

#[test]
fn an_act_is_on_offer_exactly_when_the_rules_take_it() {
    let mut checked = 0;
    for status in Status::ALL {
        let w = fixture(status);
        for who in CAST {
            let acts = offered(&w, who);
            assert!(acts.iter().all(|k| OFFERED.contains(k)), "{acts:?}");
            for kind in OFFERED {
                let Some(cmd) = own(kind) else { continue };
                let taken = w.try_decide(who, &cmd).is_ok();
                assert_eq!(
                    acts.contains(&kind),
                    taken,
                    "{kind:?} by {who:?} on a {status:?} item: offered {acts:?}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn every_duty_the_phone_answers_comes_with_its_act() {
    for status in Status::ALL {
        let w = fixture(status);
        for who in CAST {
            let a = actor(who);
            let ctx = Context {
                actor: &a,
                now: w.now,
                calendar: &w.calendar,
                policy: &w.policy,
                units: &w.units,
                parent: None,
            };
            let acts = acts_on_offer(&w.state, &ctx);
            for d in duties(&w.state, &ctx) {
                let act = act_for(d);
                if OFFERED.contains(&act) {
                    assert!(
                        acts.contains(&act),
                        "{d:?} of {who:?} on {status:?}: {acts:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_staff_member_is_not_offered_what_only_leaders_do() {
    let w = fixture(Status::InProgress);
    let staff = offered(&w, HANDLER);
    assert!(!staff.contains(&CommandKind::Instruct), "{staff:?}");
    assert!(staff.contains(&CommandKind::ReportProgress), "{staff:?}");
    let main = offered(&w, MAIN);
    assert!(main.contains(&CommandKind::Instruct), "{main:?}");
    assert!(!main.contains(&CommandKind::ReportProgress), "{main:?}");
    assert!(!may_register(&actor(HANDLER), &w.units));
    assert!(may_register(&actor(SUPERVISOR), &w.units));
}

#[test]
fn sharing_urging_closing_and_revoking_are_offered_to_whom_the_rules_allow() {
    let w = fixture(Status::InProgress);
    let handler = offered(&w, HANDLER);
    assert!(handler.contains(&CommandKind::Share), "{handler:?}");
    assert!(!handler.contains(&CommandKind::Urge), "{handler:?}");
    assert!(!handler.contains(&CommandKind::Close), "{handler:?}");
    let supervisor = offered(&w, SUPERVISOR);
    assert!(supervisor.contains(&CommandKind::Urge), "{supervisor:?}");
    assert!(supervisor.contains(&CommandKind::Revoke), "{supervisor:?}");
    assert!(!supervisor.contains(&CommandKind::Share), "{supervisor:?}");
    // Withdrawing a share is offered only while someone shares it.
    let unshare = |w: &World| offered(w, HANDLER).contains(&CommandKind::Unshare);
    let mut shared = fixture(Status::InProgress);
    assert_eq!(
        unshare(&shared),
        !shared.state.sharers.is_empty(),
        "{:?}",
        shared.state.sharers
    );
    if shared.state.sharers.is_empty() {
        shared.ok(
            HANDLER,
            Command::Share {
                with: vec![SHARER1],
            },
        );
        assert!(unshare(&shared));
    }
}
