//! Every unit's act on the item page (签收, 拒签, 分解, 共享, reports with their files, the
//! requests, following) and urging with substance, over HTTP on both backends:
//!
//! - parity: each act through the page's form gives the same events (kinds and payloads,
//!   but for ids, numbers and times) as the same act through `POST /api/v1/sync/push`;
//! - the offered matrix: for every demo account and every demo item, the page's act forms are
//!   exactly the acts the core offers (`acts_on_offer` on the API's state of the item);
//! - urging: the note and a recorded phone call reach the trail; a second urging within the
//!   policy's interval asks to confirm and does not urge; confirmed, it urges.

use std::collections::BTreeSet;

use chrono::{Days, Duration, NaiveDate, Utc};
use duban_core::domain::offer::acts_on_offer;
use duban_core::domain::{Context, TaskState};
use duban_server::org::Org;
use reqwest::header::COOKIE;
use serde_json::{json, Value};

use crate::support::*;
use crate::web::{browser, demo_sign_in, form_token, page, sign_in};

/// The command id the page rendered into the form `form_id` (the form must be there).
fn command_in(html: &str, form_id: &str) -> String {
    let start = html
        .find(&format!("id=\"{form_id}\""))
        .unwrap_or_else(|| panic!("no form {form_id}"));
    let marker = "name=\"command\" value=\"";
    let at = html[start..].find(marker).expect("a command id") + start + marker.len();
    html[at..at + 36].to_owned()
}

/// The acts the page offers: the `act` field of each of its forms.
fn offered_on_page(html: &str) -> BTreeSet<String> {
    let marker = "name=\"act\" value=\"";
    html.match_indices(marker)
        .map(|(at, _)| {
            html[at + marker.len()..]
                .split('"')
                .next()
                .expect("value")
                .to_owned()
        })
        .collect()
}

/// Posts fields to the page's act route as a plain form; returns status and body.
async fn post_act(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    task: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let token = form_token(s, web, cookie).await;
    let mut fields = fields.to_vec();
    fields.push(("csrf", &token));
    let r = web
        .post(format!("{}/items/{task}/act", s.base))
        .header(COOKIE, cookie)
        .form(&fields)
        .send()
        .await
        .expect("post");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// Does `act` through the item page's own form (its command id), as a browser without
/// JavaScript would, and expects it accepted (303 back to the page); returns the command id.
async fn page_act(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    task: &str,
    act: &str,
    fields: &[(&str, &str)],
) -> String {
    let (status, html) = page(web, &format!("{}/items/{task}", s.base), Some(cookie)).await;
    assert_eq!(status, 200);
    let command = command_in(&html, &format!("act-{act}"));
    let mut all = vec![("command", command.as_str()), ("act", act)];
    all.extend_from_slice(fields);
    let (status, body) = post_act(s, web, cookie, task, &all).await;
    assert_eq!(
        status,
        303,
        "{act} refused: {}",
        body.split("data-code=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or(&body)
    );
    command
}

/// The item's events' kinds (the `kind` of each trail entry), as the API gives them.
async fn events(s: &Server, token: &str, task: &str) -> Vec<Value> {
    let d = s
        .get(token, &format!("/api/v1/tasks/{task}"))
        .await
        .expect(200);
    d["trail"]
        .as_array()
        .expect("trail")
        .iter()
        .map(|t| t["event"]["kind"].clone())
        .collect()
}

/// An event's kind without what names or counts things differently on two items: ids,
/// numbers, the sub-item and parent.
fn normal(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "id" | "child" | "number" | "parent"))
                .map(|(k, v)| (k.clone(), normal(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normal).collect()),
        other => other.clone(),
    }
}

/// Two items driven side by side: one through the pages, one through the API.
struct Pair {
    web_item: String,
    api_item: String,
    seen: (usize, usize),
}

impl Pair {
    /// The new events of both items since the last look, compared: same kinds, same
    /// payloads; returns them.
    async fn same(&mut self, s: &Server, sup: &str, what: &str) -> Vec<Value> {
        let a = events(s, sup, &self.web_item).await;
        let b = events(s, sup, &self.api_item).await;
        let new_a: Vec<Value> = a[self.seen.0..].iter().map(normal).collect();
        let new_b: Vec<Value> = b[self.seen.1..].iter().map(normal).collect();
        assert!(!new_a.is_empty(), "{what}: the page did nothing");
        assert_eq!(new_a, new_b, "{what}: the page and the API differ");
        self.seen = (a.len(), b.len());
        new_a
    }

    /// Catches up with what both items got through the API alike.
    async fn skip(&mut self, s: &Server, sup: &str) {
        self.seen = (
            events(s, sup, &self.web_item).await.len(),
            events(s, sup, &self.api_item).await.len(),
        );
    }
}

/// The organisation's local date `days` from today, as a date field reads it.
fn local_date(org: &Org, days: u64) -> (NaiveDate, String) {
    let today = org.calendar.to_local(Utc::now()).date();
    let d = today + Days::new(days);
    (d, d.format("%Y-%m-%d").to_string())
}

/// Registers and dispatches two alike items to unit A's `staff-a`, due at the end of a day
/// 30 days on.
async fn pair(s: &Server, f: &Fixture, sup: &str, org: &Org, title: &str) -> Pair {
    let (due, _) = local_date(org, 30);
    let deadline = org.calendar.end_of_day(due);
    let mut ids = Vec::new();
    for _ in 0..2 {
        let t = tid();
        s.ok(sup, register(&t, title)).await;
        let mut d = dispatch(&t, f.unit_a, Some(f.staff_a));
        d["command"]["deadline"] = json!(deadline);
        s.ok(sup, d).await;
        ids.push(t);
    }
    let mut p = Pair {
        web_item: ids.remove(0),
        api_item: ids.remove(0),
        seen: (0, 0),
    };
    p.skip(s, sup).await;
    p
}

/// Uploads `bytes` as `token`; returns the file's reference as JSON.
async fn upload(s: &Server, token: &str, bytes: &[u8], mime: &str, name: &str) -> Value {
    let hash = blake3::hash(bytes).to_hex().to_string();
    let put = s
        .http
        .put(format!("{}/api/v1/blobs/{hash}", s.base))
        .bearer_auth(token)
        .header("content-type", mime)
        .body(bytes.to_vec())
        .send()
        .await
        .expect("upload");
    assert!(put.status().is_success(), "{}", put.status());
    json!({"hash": hash, "mime": mime, "size": bytes.len(), "name": name})
}

both!(
    every_unit_act_through_the_page_equals_the_same_act_through_the_api,
    |s: Server| async move {
        let f = s.fixture().await;
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let sup = s.login("supervisor").await;
        let staff = s.login("staff-a").await;
        let web = browser();
        let staff_web = sign_in(&s, &web, "staff-a").await;
        let head_web = sign_in(&s, &web, "head-a").await;
        let sup_web = sign_in(&s, &web, "supervisor").await;

        // 拒签: declined with a reason.
        let mut p = pair(&s, &f, &sup, &org, "拒签对照").await;
        let reason = "该事项属教育局职责,不属本单位。";
        page_act(
            &s,
            &web,
            &staff_web,
            &p.web_item,
            "decline",
            &[("reason", reason)],
        )
        .await;
        s.ok(
            &staff,
            simple(&p.api_item, "decline", json!({ "reason": reason })),
        )
        .await;
        let e = p.same(&s, &sup, "decline").await;
        assert_eq!(e[0]["event"], "declined");

        let mut p = pair(&s, &f, &sup, &org, "全流程对照").await;
        // 签收.
        page_act(&s, &web, &staff_web, &p.web_item, "receive", &[]).await;
        s.ok(&staff, simple(&p.api_item, "receive", json!({})))
            .await;
        assert_eq!(p.same(&s, &sup, "receive").await[0]["event"], "received");

        // 分解: a sub-item for staff-a2, due in ten days.
        let (due, due_text) = local_date(&org, 10);
        let staff_a2 = format!("user:{}", f.staff_a2);
        page_act(
            &s,
            &web,
            &staff_web,
            &p.web_item,
            "decompose",
            &[
                ("title", "摸排积水点"),
                ("content", "逐路段摸排并登记。"),
                ("handler", &staff_a2),
                ("deadline", &due_text),
            ],
        )
        .await;
        let api_child = tid();
        s.ok(
            &staff,
            simple(
                &p.api_item,
                "decompose",
                json!({
                    "child": api_child,
                    "number": {"prefix": "", "year": 2026, "seq": 1},
                    "title": "摸排积水点",
                    "content": "逐路段摸排并登记。",
                    "lead": {"unit": f.unit_a, "user": f.staff_a2},
                    "deadline": org.calendar.end_of_day(due),
                }),
            ),
        )
        .await;
        let e = p.same(&s, &sup, "decompose").await;
        assert_eq!(e[0]["event"], "decomposed");
        // The sub-items alike too, each numbered by the server.
        let d = s
            .get(&sup, &format!("/api/v1/tasks/{}", p.web_item))
            .await
            .expect(200);
        let web_child = d["state"]["subtasks"][0]
            .as_str()
            .expect("a sub-item")
            .to_owned();
        let (a, b) = (
            events(&s, &sup, &web_child).await,
            events(&s, &sup, &api_child).await,
        );
        assert_eq!(
            a.iter().map(normal).collect::<Vec<_>>(),
            b.iter().map(normal).collect::<Vec<_>>()
        );
        assert!(a.len() >= 2, "registered and dispatched: {a:?}");
        let web_number = &s
            .get(&sup, &format!("/api/v1/tasks/{web_child}"))
            .await
            .expect(200)["number"];
        let api_number = &s
            .get(&sup, &format!("/api/v1/tasks/{api_child}"))
            .await
            .expect(200)["number"];
        assert_ne!(
            web_number, api_number,
            "each sub-item has a number of its own"
        );

        // 共享 and its withdrawal.
        let a2 = f.staff_a2.to_string();
        page_act(&s, &web, &staff_web, &p.web_item, "share", &[("with", &a2)]).await;
        s.ok(
            &staff,
            simple(&p.api_item, "share", json!({"with": [f.staff_a2]})),
        )
        .await;
        assert_eq!(p.same(&s, &sup, "share").await[0]["event"], "shared");
        page_act(
            &s,
            &web,
            &staff_web,
            &p.web_item,
            "unshare",
            &[("with", &a2)],
        )
        .await;
        s.ok(
            &staff,
            simple(&p.api_item, "unshare", json!({"with": [f.staff_a2]})),
        )
        .await;
        assert_eq!(p.same(&s, &sup, "unshare").await[0]["event"], "unshared");

        // 进展汇报 with a file.
        let photo: Vec<u8> = (0..2_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let file = upload(&s, &staff, &photo, "image/jpeg", "现场.jpg").await;
        let file_json = file.to_string();
        page_act(
            &s,
            &web,
            &staff_web,
            &p.web_item,
            "report_progress",
            &[
                ("text", "已完成三处积水点疏通"),
                ("percent", "40"),
                ("milestone", ""),
                ("evidence", &file_json),
            ],
        )
        .await;
        s.ok(
            &staff,
            simple(
                &p.api_item,
                "report_progress",
                json!({"report": {"id": tid(), "text": "已完成三处积水点疏通", "evidence": [file]},
                       "percent": 40, "milestone": null, "answers": null}),
            ),
        )
        .await;
        let e = p.same(&s, &sup, "report_progress").await;
        assert_eq!(e[0]["event"], "progress_reported");
        assert_eq!(e[0]["report"]["evidence"][0]["name"], "现场.jpg");

        // 延时申请, then approved alike by the deputy.
        let (until, until_text) = local_date(&org, 40);
        let why = "雨季施工受阻";
        page_act(
            &s,
            &web,
            &staff_web,
            &p.web_item,
            "request_extension",
            &[("until", &until_text), ("reason", why)],
        )
        .await;
        s.ok(
            &staff,
            simple(
                &p.api_item,
                "request_extension",
                json!({"until": org.calendar.end_of_day(until), "reason": why}),
            ),
        )
        .await;
        assert_eq!(
            p.same(&s, &sup, "request_extension").await[0]["event"],
            "extension_requested"
        );
        let deputy = s.login("deputy").await;
        for t in [&p.web_item, &p.api_item] {
            s.ok(
                &deputy,
                simple(
                    t,
                    "decide_extension",
                    json!({"approve": true, "opinion": ""}),
                ),
            )
            .await;
        }
        p.skip(&s, &sup).await;

        // 暂停申请, approved alike by the leader; then 恢复申请.
        let why = "等待上级批复";
        page_act(
            &s,
            &web,
            &staff_web,
            &p.web_item,
            "request_suspension",
            &[("reason", why)],
        )
        .await;
        s.ok(
            &staff,
            simple(&p.api_item, "request_suspension", json!({ "reason": why })),
        )
        .await;
        p.same(&s, &sup, "request_suspension").await;
        let leader = s.login("leader").await;
        for t in [&p.web_item, &p.api_item] {
            s.ok(
                &leader,
                simple(
                    t,
                    "decide_suspension",
                    json!({"approve": true, "opinion": ""}),
                ),
            )
            .await;
        }
        p.skip(&s, &sup).await;
        let why = "批复已下达";
        page_act(
            &s,
            &web,
            &staff_web,
            &p.web_item,
            "request_resumption",
            &[("reason", why)],
        )
        .await;
        s.ok(
            &staff,
            simple(&p.api_item, "request_resumption", json!({ "reason": why })),
        )
        .await;
        p.same(&s, &sup, "request_resumption").await;
        for t in [&p.web_item, &p.api_item] {
            s.ok(
                &leader,
                simple(
                    t,
                    "decide_resumption",
                    json!({"approve": true, "opinion": ""}),
                ),
            )
            .await;
        }
        p.skip(&s, &sup).await;

        // 关注 and 取消关注, by the unit head.
        let head = s.login("head-a").await;
        for act in ["follow", "unfollow"] {
            page_act(&s, &web, &head_web, &p.web_item, act, &[]).await;
            s.ok(&head, simple(&p.api_item, act, json!({}))).await;
            p.same(&s, &sup, act).await;
        }

        // 催办 by phone, the call recorded.
        let at = org.calendar.to_local(Utc::now() - Duration::hours(1));
        let at_text = at.format("%Y-%m-%dT%H:%M").to_string();
        let at_utc = org.calendar.from_local(
            chrono::NaiveDateTime::parse_from_str(&at_text, "%Y-%m-%dT%H:%M").expect("time"),
        );
        page_act(
            &s,
            &web,
            &sup_web,
            &p.web_item,
            "urge",
            &[
                ("channel", "phone"),
                ("note", "请本周内办结"),
                ("call_at", &at_text),
                ("answered_by", "张科长"),
            ],
        )
        .await;
        s.ok(
            &sup,
            simple(
                &p.api_item,
                "urge",
                json!({"channel": "phone", "note": "请本周内办结",
                       "call": {"at": at_utc, "answered_by": "张科长"}}),
            ),
        )
        .await;
        let e = p.same(&s, &sup, "urge").await;
        assert_eq!(e[0]["call"]["answered_by"], "张科长");

        // 完成汇报 with a file.
        let pdf = b"%PDF-1.4\n% a completion report\n".repeat(20);
        let file = upload(&s, &staff, &pdf, "application/pdf", "完成报告.pdf").await;
        let file_json = file.to_string();
        page_act(
            &s,
            &web,
            &staff_web,
            &p.web_item,
            "report_completion",
            &[("text", "全部疏通完毕"), ("evidence", &file_json)],
        )
        .await;
        s.ok(
            &staff,
            simple(
                &p.api_item,
                "report_completion",
                json!({"report": {"id": tid(), "text": "全部疏通完毕", "evidence": [file]}}),
            ),
        )
        .await;
        assert_eq!(
            p.same(&s, &sup, "report_completion").await[0]["event"],
            "completion_reported"
        );
    }
);

both!(
    the_office_escalates_and_archives_through_the_page_as_through_the_api,
    |s: Server| async move {
        let f = s.fixture().await;
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let sup = s.login("supervisor").await;
        let web = browser();
        let sup_web = sign_in(&s, &web, "supervisor").await;
        let staff_web = sign_in(&s, &web, "staff-a").await;

        // 升级督办 (R4.4), by hand with a reason.
        let mut p = pair(&s, &f, &sup, &org, "升级督办对照").await;
        let (_, html) = page(
            &web,
            &format!("{}/items/{}", s.base, p.web_item),
            Some(&staff_web),
        )
        .await;
        assert!(
            !html.contains("id=\"act-escalate\""),
            "a handler may not escalate"
        );
        let reason = "两次催办仍无进展";
        page_act(
            &s,
            &web,
            &sup_web,
            &p.web_item,
            "escalate",
            &[("reason", reason)],
        )
        .await;
        s.ok(
            &sup,
            simple(&p.api_item, "escalate", json!({ "reason": reason })),
        )
        .await;
        assert_eq!(p.same(&s, &sup, "escalate").await[0]["event"], "escalated");

        // 归档: offered once the item is over (here revoked), not before.
        let (_, html) = page(
            &web,
            &format!("{}/items/{}", s.base, p.web_item),
            Some(&sup_web),
        )
        .await;
        assert!(!html.contains("id=\"act-archive\""), "archived while open");
        for t in [&p.web_item, &p.api_item] {
            s.ok(&sup, simple(t, "revoke", json!({"reason": "重复立项"})))
                .await;
        }
        p.skip(&s, &sup).await;
        page_act(&s, &web, &sup_web, &p.web_item, "archive", &[]).await;
        s.ok(&sup, simple(&p.api_item, "archive", json!({}))).await;
        assert_eq!(p.same(&s, &sup, "archive").await[0]["event"], "archived");
        let (_, html) = page(
            &web,
            &format!("{}/items/{}", s.base, p.web_item),
            Some(&sup_web),
        )
        .await;
        assert!(
            !html.contains("name=\"act\""),
            "nothing left to do on an archived item"
        );
    }
);

both!(
    a_refused_unit_act_is_shown_at_its_form_with_what_was_typed,
    |s: Server| async move {
        let f = s.fixture().await;
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let sup = s.login("supervisor").await;
        let p = pair(&s, &f, &sup, &org, "拒绝示例").await;
        let web = browser();
        let cookie = sign_in(&s, &web, "staff-a").await;
        let t = &p.web_item;
        s.ok(&s.login("staff-a").await, simple(t, "receive", json!({})))
            .await;
        let (_, html) = page(&web, &format!("{}/items/{t}", s.base), Some(&cookie)).await;
        // A sub-item due after its parent: the core's refusal, the form as typed.
        let (_, late) = local_date(&org, 90);
        let command = command_in(&html, "act-decompose");
        let a2 = format!("user:{}", f.staff_a2);
        let (status, body) = post_act(
            &s,
            &web,
            &cookie,
            t,
            &[
                ("command", &command),
                ("act", "decompose"),
                ("title", "晚于上级的子事项"),
                ("handler", &a2),
                ("deadline", &late),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            body.contains("data-code=\"input.subtask_deadline\""),
            "{body}"
        );
        assert!(body.contains("value=\"晚于上级的子事项\""));
        assert!(body.contains(&format!("value=\"{late}\"")));
        assert!(body.contains(&format!("<option value=\"{a2}\" selected>")));
        // A file's reference that is not one: refused before the core, text kept.
        let command = command_in(&body, "act-report_progress");
        let (status, body) = post_act(
            &s,
            &web,
            &cookie,
            t,
            &[
                ("command", &command),
                ("act", "report_progress"),
                ("text", "进展文字"),
                ("percent", "20"),
                ("evidence", "{\"hash\": 1}"),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(body.contains("data-code=\"input.evidence\""));
        assert!(body.contains(">进展文字</textarea>"));
        // A key twice in a file's reference: refused as the API refuses such a body.
        let twice = r#"{"hash": "a", "hash": "b", "mime": "image/jpeg", "size": 1, "name": "x"}"#;
        let (status, body) = post_act(
            &s,
            &web,
            &cookie,
            t,
            &[
                ("command", &cid()),
                ("act", "report_progress"),
                ("text", "进展文字"),
                ("percent", "20"),
                ("evidence", twice),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(body.contains("data-code=\"input.evidence\""));
        // Too many files in one form: refused whole.
        let many: Vec<(&str, &str)> = std::iter::repeat_n(("evidence", "{}"), 51).collect();
        let mut fields = vec![("command", command.as_str()), ("act", "report_progress")];
        fields.extend(many);
        let (status, _) = post_act(&s, &web, &cookie, t, &fields).await;
        assert_eq!(status, 422);
        // A file the person never uploaded: the authority's refusal, as for the API.
        let ghost =
            json!({"hash": "ab".repeat(32), "mime": "image/jpeg", "size": 10, "name": "x.jpg"})
                .to_string();
        let (status, body) = post_act(
            &s,
            &web,
            &cookie,
            t,
            &[
                ("command", &cid()),
                ("act", "report_progress"),
                ("text", "进展"),
                ("percent", "20"),
                ("evidence", &ghost),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(body.contains("data-code=\"blob.missing\""), "{body}");
        // Nothing of it reached the trail.
        let e = events(&s, &sup, t).await;
        assert!(!e
            .iter()
            .any(|k| k["event"] == "progress_reported" || k["event"] == "decomposed"));
    }
);

both!(
    every_demo_account_is_offered_on_each_demo_item_exactly_what_the_core_accepts,
    |s: Server| async move {
        duban_server::seed::seed_demo(&s.state).await.expect("demo");
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let items = duban_server::bulletins::every_item(&s.state)
            .await
            .expect("items");
        let web = browser();
        let mut offered_any = BTreeSet::new();
        let mut pages = 0;
        for (username, _, _) in duban_server::demo::accounts() {
            let person = org
                .people
                .values()
                .find(|p| p.username == username)
                .expect("a demo person");
            let actor = org.actor(person.id).expect("actor");
            let cookie = demo_sign_in(&s, &web, &username).await;
            let token = s
                .login_with(&username, duban_server::demo::DEMO_PASSWORD)
                .await;
            for (task, _) in &items {
                let url = format!("{}/items/{task}", s.base);
                let (status, html) = page(&web, &url, Some(&cookie)).await;
                let detail = s.get(&token, &format!("/api/v1/tasks/{task}")).await;
                if detail.status == 404 {
                    assert_eq!(status, 404, "{username} on {task}");
                    continue;
                }
                assert_eq!(status, 200, "{username} on {task}");
                let state: TaskState =
                    serde_json::from_value(detail.body["state"].clone()).expect("state");
                let now = s.state.clock.now();
                let ctx = Context {
                    actor: &actor,
                    now,
                    calendar: &org.calendar,
                    policy: &org.policy,
                    units: &org.tree,
                    parent: None,
                };
                let core: BTreeSet<String> = acts_on_offer(&state, &ctx)
                    .into_iter()
                    .map(|k| {
                        serde_json::to_value(k)
                            .expect("kind")
                            .as_str()
                            .expect("a name")
                            .to_owned()
                    })
                    .collect();
                let shown = offered_on_page(&html);
                assert_eq!(
                    shown, core,
                    "{username} on {task} ({:?}): the page offers {shown:?}, the core {core:?}",
                    state.status
                );
                offered_any.extend(shown);
                pages += 1;
            }
        }
        assert!(pages > 100, "{pages} pages looked at");
        // (No demo item is within its decline window: declining is checked on fresh items
        // in the parity test above.)
        for act in [
            "receive",
            "decompose",
            "share",
            "report_progress",
            "report_completion",
            "request_extension",
            "request_suspension",
            "urge",
            "follow",
            "unfollow",
            "review",
            "comment",
        ] {
            assert!(
                offered_any.contains(act),
                "no demo page offers {act}: {offered_any:?}"
            );
        }
    }
);

both!(
    an_urge_records_its_call_and_a_second_within_the_interval_asks_to_confirm,
    |s: Server| async move {
        let f = s.fixture().await;
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let sup = s.login("supervisor").await;
        let p = pair(&s, &f, &sup, &org, "催办示例").await;
        let t = &p.web_item;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let urges = |e: &[Value]| e.iter().filter(|k| k["event"] == "urged").count();

        // By phone, the call recorded: the trail says when and who answered.
        let at = org.calendar.to_local(Utc::now() - Duration::minutes(30));
        let at_text = at.format("%Y-%m-%dT%H:%M").to_string();
        let fields = [
            ("channel", "phone"),
            ("note", "请尽快上报进展"),
            ("call_at", at_text.as_str()),
            ("answered_by", "李主任"),
        ];
        let first = page_act(&s, &web, &cookie, t, "urge", &fields).await;
        // The same form sent again: its outcome, not a second urging nor a question.
        let mut again = vec![("command", first.as_str()), ("act", "urge")];
        again.extend_from_slice(&fields);
        let (status, _) = post_act(&s, &web, &cookie, t, &again).await;
        assert_eq!(status, 303);
        let e = events(&s, &sup, t).await;
        assert_eq!(urges(&e), 1);
        let urged = e.iter().find(|k| k["event"] == "urged").expect("urged");
        assert_eq!(urged["channel"], "phone");
        assert_eq!(urged["note"], "请尽快上报进展");
        assert_eq!(urged["call"]["answered_by"], "李主任");
        let (_, html) = page(&web, &format!("{}/items/{t}", s.base), Some(&cookie)).await;
        let minute = at.format("%Y-%m-%d %H:%M").to_string();
        assert!(
            html.contains(&format!("催办(电话,{minute},接听人 李主任)")),
            "the trail describes the call"
        );
        assert!(html.contains("请尽快上报进展"));

        // Again within the interval: the page asks, nothing is urged.
        let command = command_in(&html, "act-urge");
        let (status, body) = post_act(
            &s,
            &web,
            &cookie,
            t,
            &[
                ("command", &command),
                ("act", "urge"),
                ("channel", "message"),
                ("note", "再次催办"),
            ],
        )
        .await;
        assert_eq!(status, 200);
        assert!(body.contains("data-code=\"urge.confirm\""), "{body}");
        assert!(body.contains("name=\"confirm\" value=\"1\""));
        assert!(body.contains(">再次催办</textarea>"), "the note is kept");
        assert_eq!(
            urges(&events(&s, &sup, t).await),
            1,
            "not urged unconfirmed"
        );
        // Confirmed: urged once.
        let command = command_in(&body, "act-urge");
        let (status, _) = post_act(
            &s,
            &web,
            &cookie,
            t,
            &[
                ("command", &command),
                ("act", "urge"),
                ("channel", "message"),
                ("note", "再次催办"),
                ("confirm", "1"),
            ],
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(urges(&events(&s, &sup, t).await), 2);

        // The workbench's quick urge asks the same way (htmx swaps the row).
        let token = form_token(&s, &web, &cookie).await;
        let quick = |fields: Vec<(&'static str, String)>| {
            let (web, cookie, token, base, t) = (&web, &cookie, &token, &s.base, t);
            async move {
                let mut fields = fields;
                fields.push(("csrf", token.clone()));
                let r = web
                    .post(format!("{base}/items/{t}/urge"))
                    .header(COOKIE, cookie.as_str())
                    .header("hx-request", "true")
                    .form(&fields)
                    .send()
                    .await
                    .expect("post");
                (r.status().as_u16(), r.text().await.expect("body"))
            }
        };
        let (status, row) = quick(vec![("command", cid())]).await;
        assert_eq!(status, 200);
        assert!(
            row.contains("data-code=\"urge.confirm\"") && row.contains("确认催办"),
            "{row}"
        );
        assert_eq!(urges(&events(&s, &sup, t).await), 2);
        let (status, row) = quick(vec![("command", cid()), ("confirm", "1".into())]).await;
        assert_eq!(status, 200);
        assert!(row.contains("已催办"), "{row}");
        assert_eq!(urges(&events(&s, &sup, t).await), 3);

        // A call's time later than now is the core's refusal, shown at the form.
        let later = org
            .calendar
            .to_local(Utc::now() + Duration::hours(3))
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let (status, body) = post_act(
            &s,
            &web,
            &cookie,
            t,
            &[
                ("command", &cid()),
                ("act", "urge"),
                ("channel", "phone"),
                ("call_at", &later),
                ("answered_by", "李主任"),
                ("confirm", "1"),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(body.contains("data-code=\"urge.call_future\""), "{body}");
        assert_eq!(urges(&events(&s, &sup, t).await), 3);

        // An item not urged lately is urged at once from the workbench row.
        let other = &p.api_item;
        let r = web
            .post(format!("{}/items/{other}/urge", s.base))
            .header(COOKIE, cookie.as_str())
            .header("hx-request", "true")
            .form(&[("command", cid()), ("csrf", token.clone())])
            .send()
            .await
            .expect("post");
        assert!(r.text().await.expect("row").contains("已催办"));
        assert_eq!(urges(&events(&s, &sup, other).await), 1);
    }
);

/// The item's status and trail as the API gives them to `token`.
async fn detail(s: &Server, token: &str, task: &str) -> Value {
    s.get(token, &format!("/api/v1/tasks/{task}"))
        .await
        .expect(200)
}

/// In a real browser, at a PC's size and at a phone's: a unit head receives an item and
/// decomposes it to a staff member, then asks for more time; a second unit declines an item
/// and the office dispatches it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_a_unit_receives_decomposes_asks_for_time_and_another_declines() {
    use crate::browser::Browser;

    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let org = s.state.org.latest(&s.state.db).await.expect("org");
    let person = |username: &str| {
        org.people
            .values()
            .find(|p| p.username == username)
            .cloned()
            .unwrap_or_else(|| panic!("no {username}"))
    };
    let (head, staff, head2) = (person("head-jtj"), person("staff-jtj"), person("head-jyj"));
    let (unit, unit2) = (head.unit.expect("unit"), head2.unit.expect("unit"));
    let sup = s
        .login_with("supervisor", duban_server::demo::DEMO_PASSWORD)
        .await;
    let (due, _) = local_date(&org, 20);
    let deadline = org.calendar.end_of_day(due);
    let (_, until) = local_date(&org, 30);
    let b = Browser::start().await;

    for (width, height, size) in [(1440, 900, "pc"), (390, 844, "phone")] {
        b.resize(width, height).await;
        let mut items = Vec::new();
        for (lead, title) in [(unit, "桥梁安全隐患排查"), (unit2, "校园周边交通秩序整治")]
        {
            let t = tid();
            s.ok(&sup, register(&t, &format!("{title}({size})"))).await;
            let mut d = dispatch(&t, lead, None);
            d["command"]["deadline"] = json!(deadline);
            s.ok(&sup, d).await;
            items.push(t);
        }
        let (t1, t2) = (&items[0], &items[1]);
        let no_sideways = format!("return document.documentElement.scrollWidth <= {width}");

        // The unit head receives the item …
        b.sign_in(&s.base, "head-jtj").await;
        b.go(&format!("{}/items/{t1}", s.base)).await;
        b.wait_for(
            "return !!document.querySelector('#act-receive')",
            "签收 offered",
        )
        .await;
        assert_eq!(
            b.script(&no_sideways).await,
            true,
            "{size}: no sideways scroll"
        );
        b.check_page(&format!("acts-{size}-to-receive")).await;
        b.click("#act-receive button").await;
        b.wait_for(
            "return !document.querySelector('#act-receive') && !!document.querySelector('#act-decompose')",
            "received; decomposing offered",
        )
        .await;
        // … and gives a part of it to a staff member.
        b.type_into("#act-decompose input[name=title]", "逐座排查危桥")
            .await;
        b.script(&format!(
            "document.querySelector('#act-decompose select[name=handler]').value = 'user:{}'; return true;",
            staff.id
        ))
        .await;
        b.click("#act-decompose button").await;
        b.wait_for(
            "const t = document.querySelector('#subtasks'); return !!t && t.textContent.includes('逐座排查危桥')",
            "the sub-item listed",
        )
        .await;
        assert_eq!(
            b.script(&no_sideways).await,
            true,
            "{size}: no sideways scroll"
        );
        b.check_page(&format!("acts-{size}-decomposed")).await;
        let d = detail(&s, &sup, t1).await;
        assert_eq!(d["state"]["status"], "in_progress", "{d}");
        let child = d["state"]["subtasks"][0].as_str().expect("a sub-item");
        let c = detail(&s, &sup, child).await;
        assert_eq!(
            c["state"]["lead"]["user"],
            json!(staff.id),
            "the staff member handles it"
        );

        // The head, handling the item, asks for more time.
        b.script(&format!(
            "document.querySelector('#act-request_extension input[name=until]').value = '{until}'; return true;"
        ))
        .await;
        b.type_into(
            "#act-request_extension textarea[name=reason]",
            "汛期施工窗口受限,需延后",
        )
        .await;
        b.click("#act-request_extension button").await;
        b.wait_for(
            "const n = document.querySelector('.notice'); return !!n && n.textContent.includes('已申请延时')",
            "the extension requested",
        )
        .await;
        b.check_page(&format!("acts-{size}-extension-requested"))
            .await;
        let d = detail(&s, &sup, t1).await;
        assert!(
            d["trail"]
                .as_array()
                .expect("trail")
                .iter()
                .any(|e| e["event"]["kind"]["event"] == "extension_requested"),
            "{d}"
        );

        // A second unit declines its item …
        b.sign_in(&s.base, "head-jyj").await;
        b.go(&format!("{}/items/{t2}", s.base)).await;
        b.wait_for(
            "return !!document.querySelector('#act-decline')",
            "拒签 offered",
        )
        .await;
        b.type_into(
            "#act-decline textarea[name=reason]",
            "道路交通秩序属交通运输局职责",
        )
        .await;
        b.click("#act-decline button").await;
        b.wait_for(
            "const n = document.querySelector('.notice'); return !!n && n.textContent.includes('已拒签')",
            "declined",
        )
        .await;
        assert_eq!(
            b.script(&no_sideways).await,
            true,
            "{size}: no sideways scroll"
        );
        b.check_page(&format!("acts-{size}-declined")).await;
        assert_eq!(detail(&s, &sup, t2).await["state"]["status"], "declined");

        // … and the office dispatches it again, to the unit it names.
        b.sign_in(&s.base, "supervisor").await;
        b.go(&format!("{}/dispatch/{t2}", s.base)).await;
        b.wait_for(
            "return !!document.querySelector('#dispatch-form')",
            "the dispatch form",
        )
        .await;
        b.click(&format!("#leads input[value='{unit}']")).await;
        b.check_page(&format!("acts-{size}-redispatch")).await;
        b.click("#submit").await;
        b.wait_for(
            "return location.pathname === '/workbench'",
            "back on the workbench",
        )
        .await;
        let d = detail(&s, &sup, t2).await;
        assert_eq!(d["state"]["status"], "dispatched", "{d}");
        assert_eq!(d["state"]["lead"]["unit"], json!(unit));
        b.go(&format!("{}/items/{t2}", s.base)).await;
        b.wait_for(
            "return document.querySelectorAll('#trail tr.step').length >= 4",
            "the trail",
        )
        .await;
        b.check_page(&format!("acts-{size}-redispatched")).await;
    }

    // The workbench's quick urge: once at a click; again, only once confirmed.
    b.go(&format!("{}/workbench", s.base)).await;
    b.wait_for(
        "return document.querySelectorAll('#overdue-list button.urge').length > 0",
        "an overdue item to urge",
    )
    .await;
    let urges =
        "return Number(document.querySelector('#overdue-list tbody tr .urges').textContent)";
    let before = b.script(urges).await.as_f64().expect("urges");
    b.click("#overdue-list tbody tr button.urge").await;
    b.wait_for(
        "return document.querySelector('#overdue-list tbody tr button.urge').textContent.includes('已催办')",
        "urged at once",
    )
    .await;
    assert_eq!(b.script(urges).await.as_f64(), Some(before + 1.0));
    b.click("#overdue-list tbody tr button.urge").await;
    b.wait_for(
        "return !!document.querySelector('#overdue-list tbody tr .notice.confirm')",
        "asked to confirm",
    )
    .await;
    assert_eq!(
        b.script(urges).await.as_f64(),
        Some(before + 1.0),
        "not urged before confirming"
    );
    b.check_page("acts-workbench-urge-confirm").await;
    b.click("#overdue-list tbody tr button.urge").await;
    b.wait_for(
        "return document.querySelector('#overdue-list tbody tr button.urge').textContent.includes('已催办')",
        "urged once confirmed",
    )
    .await;
    assert_eq!(b.script(urges).await.as_f64(), Some(before + 2.0));
}
