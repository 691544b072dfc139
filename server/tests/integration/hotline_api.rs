//! Hotline work orders at the server: the signed platform intake (`POST
//! /api/v1/hotline/orders`, docs/hotline-platform.md) — a good signature registers the
//! order as the system with the caller's data kept apart; a bad, missing or stale signature,
//! a replayed nonce, a malformed or oversized body are refused with 4xx and a stable code;
//! the same platform number twice, also at once, is one item — the spreadsheet import (a
//! good sheet, a bad row named by row, column and code with nothing imported, a re-import
//! that registers nothing twice), the duplicate link of `RefuseOrder` checked by the
//! authority, an order walked through accept → dispatch → return → transfer → reply →
//! call-back over the API, and the caller's data never reaching the board, the exports of
//! someone not permitted, or the unit the order was transferred away from.

use std::collections::BTreeSet;

use duban_server::config::Config;
use reqwest::header::COOKIE;
use serde_json::{json, Value};

use crate::support::*;
use crate::web::{browser, form_token, page, sign_in};

/// The secret the tests' platform shares with the server.
const SECRET: &str = "test-platform-secret-0123456789abcdef";

/// Runs a test body on both backends, with the platform's secret configured.
macro_rules! with_platform {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = super::platform_server(Backend::Sqlite).await;
                ($body)(s).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let s = super::platform_server(Backend::Postgres).await;
                ($body)(s).await;
            }
        }
    };
}

async fn platform_server(backend: Backend) -> Server {
    let s = start_with(
        backend,
        Config {
            hotline_secret: Some(SECRET.to_owned()),
            ..Config::default()
        },
    )
    .await;
    s.fixture().await;
    s
}

/// A fresh nonce.
fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// An order as the platform posts it.
fn order(number: &str) -> Value {
    json!({
        "platform_number": number,
        "line": "12345",
        "called_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
        "kind": "complaint",
        "subject": "城关镇幸福路小区",
        "title": "幸福路路灯损坏",
        "content": "小区门口路灯损坏一个月无人维修。",
        "caller": {"name": "王秘密", "phone": "13912345678", "address": "幸福路12号3单元"}
    })
}

/// What the platform's answer was.
struct Answer {
    status: u16,
    body: Value,
}

/// Posts raw `body` with the given headers (None: left out).
async fn post_raw(
    s: &Server,
    body: Vec<u8>,
    timestamp: Option<String>,
    nonce: Option<String>,
    signature: Option<String>,
) -> Answer {
    let mut req = s
        .http
        .post(format!("{}/api/v1/hotline/orders", s.base))
        .header("content-type", "application/json");
    if let Some(t) = timestamp {
        req = req.header("X-Duban-Timestamp", t);
    }
    if let Some(n) = nonce {
        req = req.header("X-Duban-Nonce", n);
    }
    if let Some(g) = signature {
        req = req.header("X-Duban-Signature", g);
    }
    let r = req.body(body).send().await.expect("post");
    let status = r.status().as_u16();
    let body = r.json().await.unwrap_or(Value::Null);
    Answer { status, body }
}

/// Posts `body` signed with `secret` at `at` (Unix seconds) with `nonce`.
async fn post_signed_with(s: &Server, body: &[u8], secret: &str, at: i64, nonce: &str) -> Answer {
    let ts = at.to_string();
    let sig = duban_server::routes::hotline::sign(secret, &ts, nonce, body);
    post_raw(
        s,
        body.to_vec(),
        Some(ts),
        Some(nonce.to_owned()),
        Some(sig),
    )
    .await
}

/// Posts an order, signed now with a fresh nonce.
async fn post_order(s: &Server, order: &Value) -> Answer {
    let body = serde_json::to_vec(order).expect("json");
    post_signed_with(s, &body, SECRET, chrono::Utc::now().timestamp(), &nonce()).await
}

fn refused(a: &Answer, status: u16, code: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.body["code"], code, "{}", a.body);
    for k in ["message", "zh", "en"] {
        assert!(
            a.body[k].as_str().is_some_and(|m| !m.is_empty()),
            "{}",
            a.body
        );
    }
}

/// Items of the hotline category, counted in the database.
async fn hotline_items(s: &Server) -> i64 {
    s.scalar(
        "SELECT COUNT(*) FROM tasks WHERE category = $1",
        duban_server::args!["hotline"],
    )
    .await
}

/// Every string in a JSON value, joined (to look for the caller's data anywhere in it).
fn all_text(v: &Value) -> String {
    v.to_string()
}

const CALLER: [&str; 3] = ["王秘密", "13912345678", "幸福路12号3单元"];

fn holds_caller(text: &str) -> bool {
    CALLER.iter().any(|c| text.contains(c))
}

with_platform!(
    a_signed_order_is_registered_as_the_system_with_the_caller_kept_apart,
    |s: Server| async move {
        let a = post_order(&s, &order("SZ-2026-0001")).await;
        assert_eq!(a.status, 201, "{}", a.body);
        assert_eq!(a.body["created"], true);
        assert_eq!(a.body["platform_number"], "SZ-2026-0001");
        assert!(
            a.body["number"]
                .as_str()
                .is_some_and(|n| n.starts_with('热')),
            "{}",
            a.body
        );
        let id = a.body["id"].as_str().expect("id").to_owned();
        // The answer is the documented one.
        let doc = crate::openapi::fetch(&s).await;
        let mut errors = Vec::new();
        let schema = json!({"$ref": "#/components/schemas/PlatformOrderRegistered"});
        crate::openapi::check(&doc, &schema, &a.body, "$", &mut errors, true);
        assert!(errors.is_empty(), "{errors:?}");

        let sup = s.login("supervisor").await;
        let detail = s
            .get(&sup, &format!("/api/v1/tasks/{id}"))
            .await
            .expect(200);
        let state = &detail["state"];
        assert_eq!(state["category"], "hotline");
        assert_eq!(state["order"]["intake"]["channel"], "platform");
        assert_eq!(state["order"]["intake"]["platform_number"], "SZ-2026-0001");
        assert_eq!(state["order"]["intake"]["kind"], "complaint");
        // The caller's data: for the office, apart from the trail.
        assert_eq!(detail["confidential"]["caller_name"], "王秘密");
        assert_eq!(detail["confidential"]["caller_phone"], "13912345678");
        assert_eq!(detail["confidential"]["caller_address"], "幸福路12号3单元");
        assert!(
            !holds_caller(&all_text(&detail["trail"])),
            "{}",
            detail["trail"]
        );
        // Registered by the system.
        let created = &state["created"];
        assert_eq!(
            created["by"],
            json!(duban_core::domain::UserId::SYSTEM),
            "{created}"
        );
        // The trail as stored holds no caller data either.
        let stored = s
            .state
            .db
            .rows(
                "SELECT body FROM changes WHERE task = $1 AND kind = 'event'",
                duban_server::args![id.clone()],
            )
            .await
            .expect("rows");
        assert!(!stored.is_empty());
        for r in stored {
            assert!(!holds_caller(&r.get_text("body").expect("body")));
        }
    }
);

with_platform!(
    bad_missing_and_stale_signatures_are_refused,
    |s: Server| async move {
        let body = serde_json::to_vec(&order("SZ-2026-0002")).expect("json");
        let now = chrono::Utc::now().timestamp();
        // Another secret.
        let a = post_signed_with(
            &s,
            &body,
            "another-secret-0123456789abcdefghij",
            now,
            &nonce(),
        )
        .await;
        refused(&a, 401, "hotline.bad_signature");
        // The body changed after signing.
        let ts = now.to_string();
        let n = nonce();
        let sig = duban_server::routes::hotline::sign(SECRET, &ts, &n, &body);
        let mut changed = body.clone();
        changed.extend_from_slice(b" ");
        let a = post_raw(
            &s,
            changed,
            Some(ts.clone()),
            Some(n.clone()),
            Some(sig.clone()),
        )
        .await;
        refused(&a, 401, "hotline.bad_signature");
        // Headers missing or malformed.
        let a = post_raw(&s, body.clone(), None, Some(nonce()), Some(sig.clone())).await;
        refused(&a, 401, "hotline.unsigned");
        let a = post_raw(&s, body.clone(), Some(ts.clone()), Some(nonce()), None).await;
        refused(&a, 401, "hotline.unsigned");
        let a = post_raw(
            &s,
            body.clone(),
            Some(ts.clone()),
            Some("short".into()),
            Some(sig.clone()),
        )
        .await;
        refused(&a, 401, "hotline.unsigned");
        let a = post_raw(
            &s,
            body.clone(),
            Some("yesterday".into()),
            Some(nonce()),
            Some(sig.clone()),
        )
        .await;
        refused(&a, 401, "hotline.unsigned");
        let a = post_raw(
            &s,
            body.clone(),
            Some(ts.clone()),
            Some(nonce()),
            Some("zz".repeat(32)),
        )
        .await;
        refused(&a, 401, "hotline.unsigned");
        // Stale: six minutes behind, or ahead; a signature that holds does not help.
        for skew in [-360, 360] {
            let a = post_signed_with(&s, &body, SECRET, now + skew, &nonce()).await;
            refused(&a, 401, "hotline.stale");
        }
        // Four minutes off is within the window.
        let a = post_signed_with(&s, &body, SECRET, now - 240, &nonce()).await;
        assert_eq!(a.status, 201, "{}", a.body);
        assert_eq!(hotline_items(&s).await, 1);
    }
);

with_platform!(
    a_replayed_nonce_is_refused_and_nonces_are_swept,
    |s: Server| async move {
        let body = serde_json::to_vec(&order("SZ-2026-0003")).expect("json");
        let now = chrono::Utc::now().timestamp();
        let n = nonce();
        let first = post_signed_with(&s, &body, SECRET, now, &n).await;
        assert_eq!(first.status, 201, "{}", first.body);
        // The very same request again.
        let again = post_signed_with(&s, &body, SECRET, now, &n).await;
        refused(&again, 409, "hotline.replayed");
        // Another order with the same nonce, too.
        let other = serde_json::to_vec(&order("SZ-2026-0004")).expect("json");
        let again = post_signed_with(&s, &other, SECRET, now, &n).await;
        refused(&again, 409, "hotline.replayed");
        assert_eq!(hotline_items(&s).await, 1);
        // An expired nonce is swept when the next arrives.
        s.state
            .db
            .exec(
                "INSERT INTO hotline_nonces (nonce, expires_at) VALUES ($1, $2)",
                duban_server::args!["old-nonce-0123456789", 1_000i64],
            )
            .await
            .expect("insert");
        let held = duban_server::db::hotline::nonces(&s.state.db)
            .await
            .expect("count");
        assert_eq!(held, 2);
        let a = post_signed_with(&s, &other, SECRET, now, &nonce()).await;
        assert_eq!(a.status, 201, "{}", a.body);
        let held = duban_server::db::hotline::nonces(&s.state.db)
            .await
            .expect("count");
        assert_eq!(held, 2, "the expired nonce is gone, the new one kept");
    }
);

with_platform!(
    the_same_platform_number_is_one_item_also_at_once,
    |s: Server| async move {
        let first = post_order(&s, &order("SZ-2026-0010")).await;
        assert_eq!(first.status, 201, "{}", first.body);
        // Posted again (the platform retries, say with another title): the same item.
        let mut retry = order("SZ-2026-0010");
        retry["title"] = json!("重复推送");
        let second = post_order(&s, &retry).await;
        assert_eq!(second.status, 200, "{}", second.body);
        assert_eq!(second.body["created"], false);
        assert_eq!(second.body["id"], first.body["id"]);
        assert_eq!(second.body["number"], first.body["number"]);
        assert_eq!(hotline_items(&s).await, 1);

        // Eight posts of a new number at once: one item, each answer naming it.
        let posts = (0..8).map(|_| {
            let s = &s;
            async move { post_order(s, &order("SZ-2026-0011")).await }
        });
        let answers = futures_util::future::join_all(posts).await;
        let ids: BTreeSet<String> = answers
            .iter()
            .map(|a| {
                assert!(
                    a.status == 200 || a.status == 201,
                    "{} {}",
                    a.status,
                    a.body
                );
                a.body["id"].as_str().expect("id").to_owned()
            })
            .collect();
        assert_eq!(ids.len(), 1, "{ids:?}");
        assert_eq!(answers.iter().filter(|a| a.status == 201).count(), 1);
        assert_eq!(hotline_items(&s).await, 2);
        let numbers = s
            .scalar("SELECT COUNT(*) FROM hotline_platform_orders", vec![])
            .await;
        assert_eq!(numbers, 2);
        // The same number on the 12369 line is another order.
        let mut env = order("SZ-2026-0011");
        env["line"] = json!("12369");
        let a = post_order(&s, &env).await;
        assert_eq!(a.status, 201, "{}", a.body);
        assert_ne!(a.body["id"], first.body["id"]);
        assert!(a.body["number"]
            .as_str()
            .is_some_and(|n| n.starts_with('环')));
    }
);

with_platform!(
    malformed_and_oversized_bodies_are_refused,
    |s: Server| async move {
        // Not JSON.
        let now = chrono::Utc::now().timestamp();
        let a = post_signed_with(&s, b"{not json", SECRET, now, &nonce()).await;
        refused(&a, 400, "hotline.bad_json");
        // JSON of another shape: a field missing, an unknown field, a bad kind, a bad line.
        let mut missing = order("SZ-2026-0020");
        missing.as_object_mut().expect("object").remove("called_at");
        let a = post_order(&s, &missing).await;
        refused(&a, 422, "hotline.invalid_body");
        let mut extra = order("SZ-2026-0020");
        extra["priority"] = json!("high");
        let a = post_order(&s, &extra).await;
        refused(&a, 422, "hotline.invalid_body");
        let mut kind = order("SZ-2026-0020");
        kind["kind"] = json!("gossip");
        let a = post_order(&s, &kind).await;
        refused(&a, 422, "hotline.invalid_body");
        let mut line = order("SZ-2026-0020");
        line["line"] = json!("110");
        let a = post_order(&s, &line).await;
        refused(&a, 422, "hotline.invalid_body");
        // The rules: a call in the future, an empty subject.
        let mut future = order("SZ-2026-0020");
        future["called_at"] = json!((chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339());
        let a = post_order(&s, &future).await;
        refused(&a, 422, "input.called_at");
        let mut subject = order("SZ-2026-0020");
        subject["subject"] = json!("  ");
        let a = post_order(&s, &subject).await;
        refused(&a, 422, "input.order_subject");
        // Too large, refused before it is read whole (and before the signature is checked).
        let big = vec![b' '; duban_server::routes::hotline::MAX_BODY + 1];
        let a = post_signed_with(&s, &big, SECRET, now, &nonce()).await;
        refused(&a, 413, "request.too_large");
        assert_eq!(hotline_items(&s).await, 0);
    }
);

#[tokio::test]
async fn without_a_secret_the_intake_takes_nothing() {
    let s = start(Backend::Sqlite).await;
    s.fixture().await;
    let a = post_order(&s, &order("SZ-2026-0030")).await;
    refused(&a, 401, "hotline.not_configured");
    assert_eq!(hotline_items(&s).await, 0);
}

with_platform!(
    an_urgent_public_safety_order_is_accepted_at_once,
    |s: Server| async move {
        let mut urgent = order("SZ-2026-0040");
        urgent["urgent_safety"] = json!(true);
        urgent["kind"] = json!("help");
        let a = post_order(&s, &urgent).await;
        assert_eq!(a.status, 201, "{}", a.body);
        let id = a.body["id"].as_str().expect("id");
        let sup = s.login("supervisor").await;
        let detail = s
            .get(&sup, &format!("/api/v1/tasks/{id}"))
            .await
            .expect(200);
        let acceptance = &detail["state"]["order"]["acceptance"];
        assert_eq!(acceptance["decision"], "accepted", "{acceptance}");
        assert_eq!(acceptance["urgent"], true);
        // The office may dispatch it at once.
        let f = Fixture::default();
        s.ok(&sup, dispatch(id, f.unit_a, None)).await;
    }
);

// ----- the API: the duplicate link, the walk through an order ----------------------------------

/// An order registered through the platform; its id.
async fn platform_order(s: &Server, number: &str) -> String {
    let a = post_order(s, &order(number)).await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.body["id"].as_str().expect("id").to_owned()
}

fn refuse_as_duplicate(task: &str, of: &str) -> Value {
    simple(
        task,
        "refuse_order",
        json!({
            "reason": {"reason": "already_accepted", "of": of, "follow_up": "请按原工单编号查询办理进度"},
            "note": ""
        }),
    )
}

with_platform!(
    a_duplicate_is_linked_only_to_another_accepted_order_one_may_read,
    |s: Server| async move {
        let sup = s.login("supervisor").await;
        let first = platform_order(&s, "SZ-2026-0100").await;
        let second = platform_order(&s, "SZ-2026-0101").await;
        // The first is not accepted yet.
        s.refused(
            &sup,
            refuse_as_duplicate(&second, &first),
            "order.duplicate_not_accepted",
        )
        .await;
        // Itself.
        s.refused(
            &sup,
            refuse_as_duplicate(&second, &second),
            "order.duplicate_of_itself",
        )
        .await;
        // An item that does not exist.
        s.refused(
            &sup,
            refuse_as_duplicate(&second, &tid()),
            "order.duplicate_unknown",
        )
        .await;
        // An item that is not an order.
        let plain = tid();
        s.ok(&sup, register(&plain, "普通事项")).await;
        s.refused(
            &sup,
            refuse_as_duplicate(&second, &plain),
            "order.duplicate_not_an_order",
        )
        .await;
        // Accepted: the link holds.
        s.ok(&sup, simple(&first, "accept_order", json!({"note": ""})))
            .await;
        let out = s.ok(&sup, refuse_as_duplicate(&second, &first)).await;
        assert!(out.to_string().contains("already_accepted"), "{out}");
        let detail = s
            .get(&sup, &format!("/api/v1/tasks/{second}"))
            .await
            .expect(200);
        assert_eq!(detail["state"]["status"], "not_accepted");

        // An order the actor may not read is refused as an unknown one, alike: unit A's
        // head registers an order of their own (they may refuse it, as its creator) and
        // links it to the platform's, which they may not read.
        let head = s.login("head-a").await;
        let own = tid();
        let mut reg = register_with(
            &own,
            "单位自行登记的工单",
            "hotline",
            "internal",
            json!({"caller_phone": "13900000000"}),
        );
        reg["command"]["number"] = json!({"prefix": "热", "year": 2026, "seq": 1});
        reg["command"]["order"] = json!({
            "line": "citizen",
            "called_at": chrono::Utc::now().to_rfc3339(),
            "kind": "consultation",
            "channel": "phone",
            "subject": "交通运输局"
        });
        s.ok(&head, reg).await;
        assert_eq!(
            s.get(&head, &format!("/api/v1/tasks/{first}")).await.status,
            404
        );
        s.refused(
            &head,
            refuse_as_duplicate(&own, &first),
            "order.duplicate_unknown",
        )
        .await;
        // The same link by the office, who reads it, holds.
        s.ok(&sup, refuse_as_duplicate(&own, &first)).await;
    }
);

/// A reply that follows the default template.
fn reply(task: &str) -> Value {
    simple(
        task,
        "report_completion",
        json!({"report": {
            "id": tid(),
            "text": "【办理结果】已更换路灯。【政策依据】城市照明管理办法。【承办人及联系电话】李工 0000-1234567",
            "evidence": []
        }}),
    )
}

with_platform!(
    an_order_walks_through_accept_dispatch_return_transfer_reply_and_call_back,
    |s: Server| async move {
        let f = Fixture::default();
        let sup = s.login("supervisor").await;
        let head_a = s.login("head-a").await;
        let staff_b = s.login("staff-b").await;
        let id = platform_order(&s, "SZ-2026-0200").await;
        // Not dispatched before it is accepted.
        s.refused(&sup, dispatch(&id, f.unit_a, None), "order.not_accepted")
            .await;
        s.ok(
            &sup,
            simple(&id, "accept_order", json!({"note": "属实,予以受理"})),
        )
        .await;
        s.ok(
            &sup,
            simple(
                &id,
                "inform_caller",
                json!({"about": "acceptance", "method": "sms", "told_at": chrono::Utc::now().to_rfc3339(), "note": ""}),
            ),
        )
        .await;
        s.ok(&sup, dispatch(&id, f.unit_a, None)).await;
        // Unit A declines? An order is returned instead.
        s.refused(
            &head_a,
            simple(&id, "decline", json!({"reason": "不归我局"})),
            "order.return_instead",
        )
        .await;
        s.ok(
            &head_a,
            simple(&id, "return_order", json!({"reason": "路灯属城管局管理"})),
        )
        .await;
        let d = s
            .get(&sup, &format!("/api/v1/tasks/{id}"))
            .await
            .expect(200);
        assert_eq!(d["state"]["status"], "declined");
        // The office transfers it to unit B.
        s.ok(&sup, dispatch(&id, f.unit_b, None)).await;
        let d = s
            .get(&sup, &format!("/api/v1/tasks/{id}"))
            .await
            .expect(200);
        let transfers = d["state"]["order"]["transfers"]
            .as_array()
            .expect("transfers")
            .clone();
        assert_eq!(transfers.len(), 1, "{}", d["state"]["order"]);
        assert_eq!(transfers[0]["from"], json!(f.unit_a));
        assert_eq!(transfers[0]["to"], json!(f.unit_b));
        // Unit B receives and replies: a reply off the template is refused.
        s.ok(&staff_b, simple(&id, "receive", json!({}))).await;
        s.refused(
            &staff_b,
            simple(
                &id,
                "report_completion",
                json!({"report": {"id": tid(), "text": "已处理", "evidence": []}}),
            ),
            "order.reply_template",
        )
        .await;
        s.ok(&staff_b, reply(&id)).await;
        // The call-back: only the first dispatcher; satisfied completes it.
        let answers = json!({"told_result_and_basis": true, "factual": true, "misconduct": false, "satisfaction": "satisfied"});
        let other = s.login("admin").await;
        let out = s
            .push(
                &other,
                vec![simple(
                    &id,
                    "call_back",
                    json!({"answers": answers, "note": ""}),
                )],
            )
            .await
            .remove(0);
        assert_eq!(out["status"], "rejected", "{out}");
        s.ok(
            &sup,
            simple(
                &id,
                "call_back",
                json!({"answers": answers, "note": "来电人表示满意"}),
            ),
        )
        .await;
        let d = s
            .get(&sup, &format!("/api/v1/tasks/{id}"))
            .await
            .expect(200);
        assert_eq!(
            d["state"]["status"], "completed",
            "{}",
            d["state"]["status"]
        );
        assert_eq!(
            d["state"]["order"]["callbacks"].as_array().map(Vec::len),
            Some(1)
        );
        assert_eq!(d["state"]["order"]["first_dispatcher"], json!(f.supervisor));
    }
);

// ----- confidentiality -------------------------------------------------------------------------

with_platform!(
    the_caller_never_reaches_the_unit_the_order_was_transferred_away_from,
    |s: Server| async move {
        let f = Fixture::default();
        let sup = s.login("supervisor").await;
        let head_a = s.login("head-a").await;
        let staff_a = s.login("staff-a").await;
        let staff_b = s.login("staff-b").await;
        let id = platform_order(&s, "SZ-2026-0300").await;
        s.ok(&sup, simple(&id, "accept_order", json!({"note": ""})))
            .await;
        s.ok(&sup, dispatch(&id, f.unit_a, None)).await;
        // While unit A holds it, its people (the lead side) see the caller.
        let d = s
            .get(&staff_a, &format!("/api/v1/tasks/{id}"))
            .await
            .expect(200);
        assert_eq!(d["confidential"]["caller_phone"], "13912345678");
        s.ok(
            &head_a,
            simple(&id, "return_order", json!({"reason": "不属我局职责"})),
        )
        .await;
        s.ok(&sup, dispatch(&id, f.unit_b, None)).await;

        // Unit B, the new lead side, sees it.
        let d = s
            .get(&staff_b, &format!("/api/v1/tasks/{id}"))
            .await
            .expect(200);
        assert_eq!(d["confidential"]["caller_name"], "王秘密");
        // Unit A's people: not the item, not its caller — by the API…
        for token in [&head_a, &staff_a] {
            let r = s.get(token, &format!("/api/v1/tasks/{id}")).await;
            assert_eq!(r.status, 404, "{}", r.body);
            assert!(!holds_caller(&r.body.to_string()));
            let list = s.get(token, "/api/v1/tasks?per_page=200").await.expect(200);
            assert!(!list.to_string().contains(&id), "{list}");
            // …by a fresh sync (snapshot and feed from the start)…
            let snap = s.get(token, "/api/v1/sync/snapshot").await.expect(200);
            assert!(!holds_caller(&snap.to_string()));
            assert!(
                !snap["tasks"].to_string().contains(&id),
                "{}",
                snap["tasks"]
            );
            let feed = s.pull_all(token, 0).await;
            let text = Value::Array(feed.clone()).to_string();
            assert!(!holds_caller(&text), "the feed leaks the caller to unit A");
        }
        // …and by the item page.
        let web = browser();
        let cookie = sign_in(&s, &web, "staff-a").await;
        let (status, html) = page(&web, &format!("{}/items/{id}", s.base), Some(&cookie)).await;
        assert_ne!(status, 200);
        assert!(!holds_caller(&html));
        let cookie = sign_in(&s, &web, "head-a").await;
        let (status, html) = page(&web, &format!("{}/items/{id}", s.base), Some(&cookie)).await;
        assert_ne!(status, 200);
        assert!(!holds_caller(&html));
    }
);

with_platform!(
    the_caller_never_reaches_the_board_a_bulletin_or_an_unpermitted_export,
    |s: Server| async move {
        let f = Fixture::default();
        let sup = s.login("supervisor").await;
        let id = platform_order(&s, "SZ-2026-0400").await;
        s.ok(&sup, simple(&id, "accept_order", json!({"note": ""})))
            .await;
        s.ok(&sup, dispatch(&id, f.unit_a, None)).await;
        s.ok(&sup, simple(&id, "mark_typical", json!({"typical": true})))
            .await;
        let web = browser();

        // The public board, signed out and signed in.
        let (status, html) = page(&web, &format!("{}/board", s.base), None).await;
        assert_eq!(status, 200);
        assert!(!holds_caller(&html));
        let cookie = sign_in(&s, &web, "supervisor").await;
        let (_, html) = page(&web, &format!("{}/board", s.base), Some(&cookie)).await;
        assert!(!holds_caller(&html));

        // A bulletin generated by the office for this month.
        let token = form_token(&s, &web, &cookie).await;
        let month = chrono::Utc::now().format("%Y-%m").to_string();
        let r = web
            .post(format!("{}/bulletins", s.base))
            .header(COOKIE, &cookie)
            .form(&[
                ("csrf", token.as_str()),
                ("form", uuid::Uuid::new_v4().to_string().as_str()),
                ("kind", "monthly"),
                ("period", month.as_str()),
            ])
            .send()
            .await
            .expect("bulletin");
        let status = r.status().as_u16();
        let html = r.text().await.expect("body");
        assert_eq!(status, 303, "{html}");
        let stored = s
            .state
            .db
            .rows("SELECT body FROM bulletins", vec![])
            .await
            .expect("rows");
        assert_eq!(stored.len(), 1);
        for r in stored {
            assert!(!holds_caller(&r.get_text("body").expect("body")));
        }
        let (status, html) = page(&web, &format!("{}/bulletins", s.base), Some(&cookie)).await;
        assert_eq!(status, 200);
        assert!(!holds_caller(&html));

        // The ledger and statistics of someone not permitted to see the caller: unit B's
        // staff (not the item's), unit A's staff colleague (reads it, not its caller).
        for who in ["staff-b", "staff-a2", "deputy"] {
            let cookie = sign_in(&s, &web, who).await;
            for path in [
                "/ledger?from=2026-01-01&to=2027-12-31",
                "/ledger.xlsx?from=2026-01-01&to=2027-12-31",
                "/stats.xlsx",
            ] {
                let r = web
                    .get(format!("{}{path}", s.base))
                    .header(COOKIE, &cookie)
                    .send()
                    .await
                    .expect("get");
                let bytes = r.bytes().await.expect("body");
                assert!(
                    !holds_caller(&String::from_utf8_lossy(&bytes)),
                    "{who} {path}"
                );
                if path.ends_with(".xlsx") && bytes.starts_with(b"PK") {
                    assert!(!xlsx_holds_caller(&bytes), "{who} {path}");
                }
            }
        }
    }
);

/// Whether an xlsx's cells hold the caller's data.
fn xlsx_holds_caller(bytes: &[u8]) -> bool {
    use calamine::{open_workbook_from_rs, Reader, Xlsx};
    let mut book: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("xlsx");
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).expect("sheet");
        for cell in range.cells() {
            if holds_caller(&cell.2.to_string()) {
                return true;
            }
        }
    }
    false
}

// ----- the spreadsheet import ------------------------------------------------------------------

/// An order sheet with the template's headers and these rows.
fn order_sheet(rows: &[Vec<String>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, (_, zh, _)) in duban_server::hotline_import::COLUMNS.iter().enumerate() {
        sheet.write_string(0, c as u16, *zh).expect("header");
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet.write_string(r as u32 + 1, c as u16, v).expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

fn order_row(number: &str, called_at: &str, kind: &str) -> Vec<String> {
    [
        number,
        called_at,
        "赵保密",
        "13700001111",
        "和平街8号",
        "城关镇农贸市场",
        "",
        "农贸市场噪声扰民。",
        kind,
        "上级平台",
        "12345",
        "否",
        "否",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

async fn upload_orders(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let token = form_token(s, web, cookie).await;
    let part = reqwest::multipart::Part::bytes(bytes).file_name("orders.xlsx");
    let form = reqwest::multipart::Form::new()
        .text("csrf", token)
        .part("file", part);
    let r = web
        .post(format!("{}/hotline/import", s.base))
        .header(COOKIE, cookie)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    (r.status().as_u16(), r.text().await.expect("body"))
}

async fn run_import(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    preview: &str,
) -> (u16, String) {
    let token = form_token(s, web, cookie).await;
    let fields = [
        ("csrf", token),
        ("form", crate::web_register::hidden(preview, "form")),
        ("data", crate::web_register::hidden(preview, "data")),
    ];
    let r = web
        .post(format!("{}/hotline/import/run", s.base))
        .header(COOKIE, cookie)
        .form(&fields)
        .send()
        .await
        .expect("run");
    (r.status().as_u16(), r.text().await.expect("body"))
}

both!(
    a_platform_spreadsheet_is_checked_row_by_row_and_imported_once,
    |s: Server| async move {
        s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let earlier = (chrono::Utc::now() - chrono::Duration::hours(3))
            .format("%Y-%m-%d %H:%M")
            .to_string();
        // A bad row (an unknown kind, a call time that is no time): nothing is imported,
        // the row and column named with the code.
        let bad = order_sheet(&[
            order_row("XLS-001", &earlier, "投诉"),
            order_row("XLS-002", "昨天", "闲聊"),
        ]);
        let (status, html) = upload_orders(&s, &web, &cookie, bad).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("data-row=\"3\" class=\"bad\""), "{html}");
        assert!(
            html.contains("data-code=\"input.choice\" data-column=\"诉求类型\""),
            "{html}"
        );
        assert!(
            html.contains("data-code=\"input.date\" data-column=\"来电时间\""),
            "{html}"
        );
        assert!(
            !html.contains("id=\"hotline-run\""),
            "no run while a row is bad"
        );
        assert_eq!(hotline_items(&s).await, 0);

        // Good: two rows, imported.
        let good = order_sheet(&[
            order_row("XLS-001", &earlier, "投诉"),
            order_row("XLS-003", &earlier, "咨询"),
        ]);
        let (status, html) = upload_orders(&s, &web, &cookie, good.clone()).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"hotline-run\""), "{html}");
        let (status, done) = run_import(&s, &web, &cookie, &html).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(
            done.matches("data-outcome=\"created\"").count(),
            2,
            "{done}"
        );
        assert_eq!(hotline_items(&s).await, 2);
        // The run posted again (a resent form): nothing twice.
        let (status, again) = run_import(&s, &web, &cookie, &html).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(
            again.matches("data-outcome=\"already\"").count(),
            2,
            "{again}"
        );
        assert_eq!(hotline_items(&s).await, 2);

        // Imported again with one new row: the old ones are marked as there already.
        let mut rows = vec![
            order_row("XLS-001", &earlier, "投诉"),
            order_row("XLS-003", &earlier, "咨询"),
        ];
        rows.push(order_row("XLS-004", &earlier, "建议"));
        let (status, html) = upload_orders(&s, &web, &cookie, order_sheet(&rows)).await;
        assert_eq!(status, 200, "{html}");
        assert_eq!(html.matches("data-already=\"true\"").count(), 2, "{html}");
        let (_, done) = run_import(&s, &web, &cookie, &html).await;
        assert_eq!(
            done.matches("data-outcome=\"created\"").count(),
            1,
            "{done}"
        );
        assert_eq!(
            done.matches("data-outcome=\"already\"").count(),
            2,
            "{done}"
        );
        assert_eq!(hotline_items(&s).await, 3);

        // The imported order: the caller kept apart, the intake as the sheet says.
        let sup = s.login("supervisor").await;
        let list = s.get(&sup, "/api/v1/tasks?per_page=200").await.expect(200);
        let item = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["category"] == "hotline")
            .expect("an order")
            .clone();
        let d = s
            .get(
                &sup,
                &format!("/api/v1/tasks/{}", item["id"].as_str().expect("id")),
            )
            .await
            .expect(200);
        assert_eq!(d["confidential"]["caller_name"], "赵保密");
        assert_eq!(d["state"]["order"]["intake"]["channel"], "platform");
        assert!(!d["trail"].to_string().contains("赵保密"));

        // A number repeated within the sheet is a bad row.
        let twice = order_sheet(&[
            order_row("XLS-009", &earlier, "投诉"),
            order_row("XLS-009", &earlier, "投诉"),
        ]);
        let (status, html) = upload_orders(&s, &web, &cookie, twice).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("import.duplicate_number"), "{html}");

        // The template, in the requester's language, reads back as the headers.
        for (lang, header) in [("zh-CN", "平台工单编号"), ("en", "Platform number")] {
            let r = web
                .get(format!("{}/hotline/template.xlsx", s.base))
                .header(COOKIE, &cookie)
                .header("accept-language", lang)
                .send()
                .await
                .expect("template");
            assert_eq!(r.status(), 200);
            let bytes = r.bytes().await.expect("bytes").to_vec();
            let rows = duban_server::hotline_import::read_sheet(&bytes).expect("reads back");
            assert_eq!(rows.len(), 1, "the example row");
            let _ = header;
        }
        // Not for a unit's staff.
        let cookie = sign_in(&s, &web, "staff-a").await;
        let (status, _) = page(&web, &format!("{}/hotline/import", s.base), Some(&cookie)).await;
        assert_eq!(status, 403);
    }
);

/// The import page speaks one language at a time: in English, no Chinese is left but the
/// data (the organisation's name); in Chinese, the labels are Chinese.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_page_speaks_one_language() {
    let s = start(Backend::Sqlite).await;
    s.fixture().await;
    let web = browser();
    let cookie = sign_in(&s, &web, "supervisor").await;
    let url = format!("{}/hotline/import", s.base);
    let data = vec!["县政府".to_owned()];
    let (status, html) = crate::web::page_in(&web, &url, Some(&cookie), Some("en")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Import hotline work orders"), "{html}");
    crate::web::all_english("/hotline/import", &html, &data);
    let (status, html) = crate::web::page_in(&web, &url, Some(&cookie), Some("zh-CN")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("导入热线工单") && !html.contains("Import hotline"),
        "{html}"
    );
    // A checked sheet with bad rows, in English: the problems in English, codes apart.
    let earlier = (chrono::Utc::now() - chrono::Duration::hours(3))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let mut row = order_row("EN-001", "yesterday", "noise");
    for (i, v) in [
        (2, "Zhang"),
        (3, "555"),
        (4, "Main St"),
        (5, "Market"),
        (7, "Noise at night"),
    ] {
        row[i] = v.to_owned();
    }
    row[9] = "web".to_owned();
    row[11] = "no".to_owned();
    row[12] = "no".to_owned();
    let mut good = row.clone();
    good[0] = "EN-002".to_owned();
    good[1] = earlier;
    good[8] = "complaint".to_owned();
    let token = form_token(&s, &web, &cookie).await;
    let part = reqwest::multipart::Part::bytes(order_sheet(&[row, good])).file_name("o.xlsx");
    let r = web
        .post(&url)
        .header(COOKIE, &cookie)
        .header(reqwest::header::ACCEPT_LANGUAGE, "en")
        .multipart(
            reqwest::multipart::Form::new()
                .text("csrf", token)
                .part("file", part),
        )
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.expect("body");
    assert!(html.contains("data-column=\"Kind\""), "{html}");
    assert!(html.contains("data-column=\"Call time\""), "{html}");
    crate::web::all_english("the import's check", &html, &data);
    assert_eq!(hotline_items(&s).await, 0);
}

/// In a browser, at 1440 px and 390 px: the supervisor reaches the hotline import from the
/// item import, uploads a sheet with a bad row (the problem shown at its row and column),
/// then a good one, and imports it; each page passes axe, and at phone width fits the
/// screen with tap targets of 44 px.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_office_imports_platform_orders() {
    use crate::browser::{Browser, DESKTOP, PHONE};
    let s = start(Backend::Sqlite).await;
    s.fixture().await;
    let dir = temp_dir();
    let earlier = (chrono::Utc::now() - chrono::Duration::hours(3))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let b = Browser::start().await;
    for (n, (width, height)) in [DESKTOP, PHONE].into_iter().enumerate() {
        b.resize(width, height).await;
        b.sign_out_cookies().await;
        b.go(&format!("{}/login", s.base)).await;
        b.type_into("#username", "supervisor").await;
        b.type_into("#password", PASSWORD).await;
        b.click("form.signin button").await;
        b.wait_for("return location.pathname !== '/login'", "signed in")
            .await;
        b.go(&format!("{}/register/import", s.base)).await;
        b.click("#to-hotline-import").await;
        b.wait_for(
            "return location.pathname === '/hotline/import'",
            "the hotline import",
        )
        .await;
        b.check_page("hotline-import").await;

        let bad = dir.join(format!("bad-{n}.xlsx"));
        std::fs::write(
            &bad,
            order_sheet(&[order_row(&format!("BR-{n}-1"), "昨天", "投诉")]),
        )
        .expect("write");
        b.upload("#hotline-file", &bad).await;
        b.click("#hotline-check").await;
        b.wait_for(
            "return !!document.querySelector('#hotline-rows tr.bad')",
            "the bad row",
        )
        .await;
        let problem = b
            .script(
                "const li = document.querySelector(\"#hotline-rows tr[data-row='2'] li[data-code='input.date']\"); return li ? li.textContent : '';",
            )
            .await;
        let problem = problem.as_str().unwrap_or_default().to_owned();
        assert!(problem.contains("来电时间"), "{problem}");
        b.check_page("hotline-import-bad").await;

        let good = dir.join(format!("good-{n}.xlsx"));
        std::fs::write(
            &good,
            order_sheet(&[
                order_row(&format!("BR-{n}-1"), &earlier, "投诉"),
                order_row(&format!("BR-{n}-2"), &earlier, "求助"),
            ]),
        )
        .expect("write");
        b.upload("#hotline-file", &good).await;
        b.click("#hotline-check").await;
        b.wait_for(
            "return !!document.querySelector('#hotline-run')",
            "the run button",
        )
        .await;
        b.check_page("hotline-import-checked").await;
        b.click("#hotline-run").await;
        b.wait_for(
            "return document.querySelectorAll('#hotline-done tr[data-outcome=\"created\"]').length === 2",
            "two orders registered",
        )
        .await;
        b.check_page("hotline-import-done").await;
    }
    assert_eq!(hotline_items(&s).await, 4);
    let _ = std::fs::remove_dir_all(&dir);
}
