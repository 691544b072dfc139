//! Who may send an item where (issue 16, item 1), over the real sync push: staff register
//! only sub-items, under an existing parent they handle, and send them only within the
//! parent's lead unit; a unit head sends only to their own unit and the units below it; the
//! office, leaders and inspectors send anywhere. A parent that does not exist and one the
//! pusher may not read get the same refusal.

use serde_json::{json, Value};

use crate::support::*;

/// `register` of a sub-item under `parent`.
fn register_under(task: &str, parent: &str) -> Value {
    let mut c = register(task, "子事项");
    c["command"]["parent"] = json!(parent);
    c
}

/// `dispatch` to `lead` with these participant units.
fn dispatch_with(
    task: &str,
    lead: duban_core::domain::UnitId,
    participants: &[duban_core::domain::UnitId],
) -> Value {
    let mut c = dispatch(task, lead, None);
    c["command"]["participants"] = participants
        .iter()
        .map(|u| json!({"unit": u, "user": null}))
        .collect();
    c
}

/// `decompose` of `task` into `child`, led by `lead`.
fn decompose(task: &str, child: &str, lead: duban_core::domain::UnitId) -> Value {
    simple(
        task,
        "decompose",
        json!({
            "child": child,
            "number": {"prefix": "议", "year": 2026, "seq": 1},
            "title": "分解的子事项",
            "content": "",
            "lead": {"unit": lead, "user": null},
            "deadline": null
        }),
    )
}

/// Pushes one command and returns its refusal (asserting it was refused with `code`).
async fn refusal(s: &Server, token: &str, command: Value, code: &str) -> Value {
    let out = s.push(token, vec![command]).await.remove(0);
    assert_eq!(out["status"], "rejected", "{out}");
    assert_eq!(out["code"], code, "{out}");
    out
}

/// How many items with this id are stored (0: the command wrote nothing).
async fn stored(s: &Server, task: &str) -> i64 {
    s.scalar(
        "SELECT COUNT(*) FROM tasks WHERE id = $1",
        vec![task.to_owned().into()],
    )
    .await
}

/// An item the supervisor registers and dispatches to `unit` (its `user`, if given),
/// received by `receiver`; returns its id.
async fn item_for(
    s: &Server,
    unit: duban_core::domain::UnitId,
    user: Option<duban_core::domain::UserId>,
    receiver: &str,
) -> String {
    let sup = s.login("supervisor").await;
    let t = tid();
    s.ok(&sup, register(&t, "上级事项")).await;
    s.ok(&sup, dispatch(&t, unit, user)).await;
    let r = s.login(receiver).await;
    s.ok(&r, simple(&t, "receive", json!({}))).await;
    t
}

both!(
    staff_registering_under_a_random_parent_is_refused_like_an_unknown_item,
    |s: Server| async move {
        let f = s.fixture().await;
        let a = s.login("staff-a").await;
        let (t, random) = (tid(), tid());
        // Registering and sending to another unit in one push: neither is applied.
        let out = s
            .push(
                &a,
                vec![register_under(&t, &random), dispatch(&t, f.unit_b, None)],
            )
            .await;
        assert_eq!(out[0]["status"], "rejected", "{}", out[0]);
        assert_eq!(out[0]["code"], "input.unknown_parent", "{}", out[0]);
        assert_eq!(out[1]["status"], "rejected", "{}", out[1]);
        assert_eq!(stored(&s, &t).await, 0, "no item, no official number");
        let b = s.login("staff-b").await;
        let seen = serde_json::to_string(&s.pull_all(&b, 0).await).unwrap();
        assert!(!seen.contains(&t), "nothing reaches unit B");
    }
);

both!(
    staff_registering_under_another_units_item_gets_the_same_refusal_as_an_unknown_one,
    |s: Server| async move {
        let f = s.fixture().await;
        let theirs = item_for(&s, f.unit_b, None, "staff-b").await;
        let a = s.login("staff-a").await;
        let (t1, t2) = (tid(), tid());
        let hidden = refusal(&s, &a, register_under(&t1, &theirs), "input.unknown_parent").await;
        let unknown = refusal(&s, &a, register_under(&t2, &tid()), "input.unknown_parent").await;
        for field in ["code", "zh", "en"] {
            assert_eq!(hidden[field], unknown[field], "{field}: existence shows");
        }
        assert_eq!(stored(&s, &t1).await, 0);
    }
);

both!(
    staff_send_a_sub_item_of_their_own_item_only_within_its_lead_unit,
    |s: Server| async move {
        let f = s.fixture().await;
        let own = item_for(&s, f.unit_a, Some(f.staff_a), "staff-a").await;
        let a = s.login("staff-a").await;
        let t = tid();
        s.ok(&a, register_under(&t, &own)).await;
        // Another unit as lead, or as a participant: beyond reach.
        s.refused(&a, dispatch(&t, f.unit_b, None), "perm.out_of_reach")
            .await;
        s.refused(
            &a,
            dispatch_with(&t, f.unit_a, &[f.unit_b]),
            "perm.out_of_reach",
        )
        .await;
        // The parent's lead unit (and a unit below it as participant).
        s.ok(&a, dispatch_with(&t, f.unit_a, &[f.unit_a1])).await;
        let lead = s
            .scalar(
                "SELECT COUNT(*) FROM tasks WHERE id = $1 AND lead_unit = $2 AND status = 'dispatched'",
                vec![t.clone().into(), f.unit_a.to_string().into()],
            )
            .await;
        assert_eq!(lead, 1);
        // A decomposition keeps to the same reach.
        let (c1, c2) = (tid(), tid());
        s.refused(&a, decompose(&own, &c1, f.unit_b), "perm.out_of_reach")
            .await;
        assert_eq!(stored(&s, &c1).await, 0);
        s.ok(&a, decompose(&own, &c2, f.unit_a1)).await;
        assert_eq!(stored(&s, &c2).await, 1);
    }
);

both!(
    staff_may_not_register_a_sub_item_under_an_item_they_only_read,
    |s: Server| async move {
        let f = s.fixture().await;
        // Led by staff-a; staff-a2 is a colleague of the lead unit who reads it but does
        // not handle it.
        let own = item_for(&s, f.unit_a, Some(f.staff_a), "staff-a").await;
        let a2 = s.login("staff-a2").await;
        let t = tid();
        s.refused(&a2, register_under(&t, &own), "perm.denied")
            .await;
        assert_eq!(stored(&s, &t).await, 0);
    }
);

both!(
    a_unit_head_sends_only_to_their_own_unit_and_below,
    |s: Server| async move {
        let f = s.fixture().await;
        let h = s.login("head-a").await;
        let t = tid();
        s.ok(&h, register(&t, "单位负责人立项")).await;
        s.refused(&h, dispatch(&t, f.unit_b, None), "perm.out_of_reach")
            .await;
        s.refused(&h, dispatch(&t, f.root, None), "perm.out_of_reach")
            .await;
        s.refused(
            &h,
            dispatch_with(&t, f.unit_a1, &[f.unit_b]),
            "perm.out_of_reach",
        )
        .await;
        s.ok(&h, dispatch_with(&t, f.unit_a1, &[f.unit_a])).await;
        // Re-dispatch after a decline: the same reach.
        let a1 = s.login("staff-a1").await;
        s.ok(
            &a1,
            simple(&t, "decline", json!({"reason": "不属于本单位职责"})),
        )
        .await;
        s.refused(&h, dispatch(&t, f.unit_b, None), "perm.out_of_reach")
            .await;
        s.ok(&h, dispatch(&t, f.unit_a, None)).await;
    }
);

both!(
    the_office_leaders_and_inspectors_send_anywhere_but_not_under_an_unknown_parent,
    |s: Server| async move {
        let f = s.fixture().await;
        let theirs = item_for(&s, f.unit_b, None, "staff-b").await;
        for who in ["supervisor", "admin", "leader", "deputy", "inspector"] {
            let token = s.login(who).await;
            let t = tid();
            s.ok(&token, register(&t, "任意单位")).await;
            s.ok(&token, dispatch_with(&t, f.unit_b, &[f.unit_a1]))
                .await;
            // Under an item they read, without handling it.
            let sub = tid();
            s.ok(&token, register_under(&sub, &theirs)).await;
            s.ok(&token, dispatch(&sub, f.unit_a, None)).await;
            // Not under one that does not exist.
            let ghost = tid();
            s.refused(
                &token,
                register_under(&ghost, &tid()),
                "input.unknown_parent",
            )
            .await;
            assert_eq!(stored(&s, &ghost).await, 0, "{who}");
        }
    }
);
