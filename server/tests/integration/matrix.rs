//! The authorization matrix over HTTP: every fixture role against the signed-in endpoints and
//! against commands on an item dispatched to unit A, with the outcome the rules specify
//! (accepted, or refused with `perm.denied`, or `task.not_found` for those who may not read
//! the item, to whom it does not exist). The full command × status table is the core's
//! (core/tests/integration/matrix.rs); this checks that the server applies it per person.

use serde_json::json;

use crate::support::*;

const ROLES: [&str; 11] = [
    "admin",
    "leader",
    "deputy",
    "supervisor",
    "inspector",
    "head-a",
    "staff-a",
    "staff-a2",
    "staff-a1",
    "head-b",
    "staff-b",
];

/// Who may, per command, on an Internal item registered by the supervisor and dispatched to
/// staff-a in unit A.
fn allowed(command: &str) -> &'static [&'static str] {
    match command {
        "receive" => &["head-a", "staff-a"],
        "urge" => &["admin", "leader", "deputy", "supervisor"],
        "instruct" => &["leader", "deputy"],
        "follow" => &[
            "admin",
            "leader",
            "deputy",
            "supervisor",
            "inspector",
            "head-a",
            "staff-a",
            "staff-a2",
        ],
        "revoke" => &["admin", "supervisor"],
        "register" => &[
            "admin",
            "leader",
            "deputy",
            "supervisor",
            "inspector",
            "head-a",
            "head-b",
        ],
        _ => unreachable!(),
    }
}

/// Who may not read that item: they are refused as on an unknown id (docs/domain.md, "An
/// item one may not read does not exist for them").
const NON_READERS: [&str; 3] = ["staff-a1", "head-b", "staff-b"];

fn command(task: &str, name: &str) -> serde_json::Value {
    match name {
        "receive" | "follow" => simple(task, name, json!({})),
        "urge" => simple(
            task,
            "urge",
            json!({"channel": "message", "note": "请加快办理"}),
        ),
        "instruct" => simple(task, "instruct", json!({"id": tid(), "text": "请抓紧落实"})),
        "revoke" => simple(task, "revoke", json!({"reason": "情况已变化"})),
        "register" => register(task, "新事项"),
        _ => unreachable!(),
    }
}

both!(
    every_role_gets_the_specified_outcome_for_each_command,
    |s: Server| async move {
        let f = s.fixture().await;
        // One session per device: each account signs in once.
        let mut tokens = Vec::new();
        for who in ROLES {
            tokens.push((who, s.login(who).await));
        }
        let sup = tokens
            .iter()
            .find(|(w, _)| *w == "supervisor")
            .unwrap()
            .1
            .clone();
        for name in [
            "receive", "urge", "instruct", "follow", "revoke", "register",
        ] {
            for (who, token) in &tokens {
                let t = tid();
                if name != "register" {
                    s.ok(&sup, register(&t, "矩阵")).await;
                    s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
                }
                let out = s.push(token, vec![command(&t, name)]).await.remove(0);
                if allowed(name).contains(who) {
                    assert_eq!(out["status"], "accepted", "{who} {name}: {out}");
                } else {
                    assert_eq!(out["status"], "rejected", "{who} {name}: {out}");
                    let code = if name != "register" && NON_READERS.contains(who) {
                        "task.not_found"
                    } else {
                        "perm.denied"
                    };
                    assert_eq!(out["code"], code, "{who} {name}: {out}");
                }
            }
        }
    }
);

both!(
    every_role_reaches_the_signed_in_endpoints_and_nobody_without_a_token,
    |s: Server| async move {
        s.fixture().await;
        let paths = [
            "/api/v1/auth/me",
            "/api/v1/auth/sessions",
            "/api/v1/sync/pull",
            "/api/v1/sync/snapshot",
            "/api/v1/tasks",
            "/api/v1/stats",
        ];
        for who in ROLES {
            let token = s.login(who).await;
            for p in paths {
                s.get(&token, p).await.expect(200);
            }
            // The admin API is the admin's alone (its full matrix is in `admin`).
            let r = s.get(&token, "/api/v1/admin/users").await;
            if who == "admin" {
                r.expect(200);
            } else {
                r.error(403, "perm.denied");
            }
        }
        for p in paths {
            s.call(reqwest::Method::GET, p, None, None)
                .await
                .error(401, "auth.unauthorized");
        }
        s.call(
            reqwest::Method::POST,
            "/api/v1/sync/push",
            None,
            Some(json!({"commands": []})),
        )
        .await
        .error(401, "auth.unauthorized");
    }
);
