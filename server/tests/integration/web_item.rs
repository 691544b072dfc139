//! The item page: the trail with every step and its verification mark, no content for a
//! person who may not read the item, the acts through its forms (review and return, rating,
//! instruction, comment, extension approval) acting once per form, refusals shown with their
//! code, the files served to the item's readers only; and the page in a real browser.

use reqwest::header::{COOKIE, LOCATION};
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::support::*;
use crate::web::{browser, form_token, page, sign_in};

fn hash_of(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

/// The kinds of the item's events, in order (`registered`, `dispatched`, …).
fn kinds(detail: &Value) -> Vec<String> {
    detail["trail"]
        .as_array()
        .expect("trail")
        .iter()
        .map(|t| {
            let e = &t["event"];
            e["kind"]["event"]
                .as_str()
                .or_else(|| e["event"].as_str())
                .expect("an event kind")
                .to_owned()
        })
        .collect()
}

/// Posts an act's form as a plain browser would; returns the status, `Location` and body.
async fn act(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    task: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
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
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get(LOCATION)
        .map(|l| l.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    (status, location, r.text().await.expect("body"))
}

/// An item dispatched to unit A's `staff-a`, with the leader responsible and the deputy in
/// charge, received and reported complete with one image; returns its id and the image's
/// hash and bytes.
async fn completed_item(s: &Server, f: &Fixture) -> (String, String, Vec<u8>) {
    let sup = s.login("supervisor").await;
    let a = s.login("staff-a").await;
    let t = tid();
    s.ok(&sup, register(&t, "城区道路积水整治")).await;
    let mut d = dispatch(&t, f.unit_a, Some(f.staff_a));
    d["command"]["responsible_leader"] = json!(f.leader);
    d["command"]["deputy_leader"] = json!(f.deputy);
    s.ok(&sup, d).await;
    s.ok(&a, simple(&t, "receive", json!({}))).await;
    let photo: Vec<u8> = (0..3_000u32).map(|i| (i * 13 % 251) as u8).collect();
    let hash = hash_of(&photo);
    let put = s
        .http
        .put(format!("{}/api/v1/blobs/{hash}", s.base))
        .bearer_auth(&a)
        .header("content-type", "image/jpeg")
        .body(photo.clone())
        .send()
        .await
        .expect("upload");
    assert_eq!(put.status().as_u16(), 201);
    let file =
        json!({"hash": hash, "mime": "image/jpeg", "size": photo.len(), "name": "整改后.jpg"});
    s.ok(
        &a,
        simple(
            &t,
            "report_completion",
            json!({"report": {"id": tid(), "text": "积水点已全部疏通", "evidence": [file]}}),
        ),
    )
    .await;
    (t, hash, photo)
}

/// The command id the page rendered into the form `form_id`.
fn command_in(html: &str, form_id: &str) -> String {
    let start = html
        .find(&format!("id=\"{form_id}\""))
        .unwrap_or_else(|| panic!("no form {form_id}"));
    let marker = "name=\"command\" value=\"";
    let at = html[start..].find(marker).expect("a command id") + start + marker.len();
    html[at..at + 36].to_owned()
}

both!(
    the_countdown_runs_until_the_review_and_stops_once_completed,
    |s: Server| async move {
        let f = s.fixture().await;
        let (t, _, _) = completed_item(&s, &f).await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let url = format!("{}/items/{t}", s.base);
        let (status, html) = page(&web, &url, Some(&cookie)).await;
        assert_eq!(status, 200);
        assert!(
            html.contains("id=\"countdown\""),
            "under review the deadline still stands"
        );
        let sup = s.login("supervisor").await;
        s.ok(
            &sup,
            simple(
                &t,
                "review",
                json!({"accept": true, "opinion": "符合要求", "new_deadline": null}),
            ),
        )
        .await;
        let (status, html) = page(&web, &url, Some(&cookie)).await;
        assert_eq!(status, 200);
        assert!(html.contains("已完成"), "the page shows the item completed");
        assert!(
            !html.contains("id=\"countdown\""),
            "nothing is due once the item is completed"
        );
    }
);

both!(
    the_page_shows_the_trail_verified_and_nothing_to_others,
    |s: Server| async move {
        let f = s.fixture().await;
        let (t, hash, _) = completed_item(&s, &f).await;
        let sup = s.login("supervisor").await;
        let detail = s.get(&sup, &format!("/api/v1/tasks/{t}")).await.expect(200);
        let steps = kinds(&detail).len();
        assert_eq!(steps, 4, "registered, dispatched, received, reported");
        let web = browser();

        // Not signed in: to the sign-in page, coming back here.
        let r = web
            .get(format!("{}/items/{t}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()[LOCATION], format!("/login?next=/items/{t}"));

        let cookie = sign_in(&s, &web, "supervisor").await;
        let (status, html) = page(&web, &format!("{}/items/{t}", s.base), Some(&cookie)).await;
        assert_eq!(status, 200);
        assert!(html.contains("城区道路积水整治") && html.contains("积水点已全部疏通"));
        assert!(html.contains("交通运输局"), "the lead unit");
        assert_eq!(html.matches("class=\"step\"").count(), steps, "every step");
        assert_eq!(html.matches("✓ 已验证<").count(), steps, "each step marked");
        assert!(html.contains("data-code=\"trail.verified\""), "{html}");
        for (i, e) in detail["trail"].as_array().unwrap().iter().enumerate() {
            assert!(html.contains(&format!("data-seq=\"{}\"", i + 1)));
            assert!(html.contains(e["hash"].as_str().unwrap()), "the hash shown");
        }
        // The report's photo through the cookie route, with the reviewer's warning.
        assert!(html.contains(&format!("src=\"/files/{hash}\"")), "{html}");
        assert!(html.contains("data-code=\"evidence.unprocessed\""));
        // The reviewer's form is there; a rating is not (nothing to rate yet).
        assert!(html.contains("id=\"act-review\""));
        assert!(!html.contains("id=\"act-rate\""));
        // In English when asked: every label, the trail's steps and verdict, the report's kind
        // and status, the reviewer's warning; the item's own words as written.
        let url = format!("{}/items/{t}", s.base);
        let (status, en) = crate::web::page_in(&web, &url, Some(&cookie), Some("en")).await;
        assert_eq!(status, 200);
        assert!(en.contains("<h3>Review the completion</h3>"), "{en}");
        assert!(en.contains("The trail verifies: 4 steps"), "{en}");
        assert!(en.contains("data-code=\"evidence.unprocessed\""));
        let number = detail["number"].as_str().expect("number").to_owned();
        let data: Vec<String> = [
            "城区道路积水整治",
            "积水点已全部疏通",
            "会议议定事项,请抓好落实。",
            "整改后.jpg",
            "交通运输局",
            "县政府",
            number.as_str(),
        ]
        .iter()
        .map(|d| d.to_string())
        .collect();
        crate::web::all_english("the item page", &en, &data);

        // An altered step shows as such (the stored body edited behind the server's back).
        let seq: i64 = s
            .scalar(
                "SELECT MIN(seq) FROM changes WHERE task = $1 AND kind = 'event' AND task_seq = 2",
                vec![t.as_str().into()],
            )
            .await;
        let body: String = s
            .state
            .db
            .row("SELECT body FROM changes WHERE seq = $1", vec![seq.into()])
            .await
            .unwrap()
            .unwrap()
            .text(0)
            .unwrap();
        let tampered = {
            let mut v: Value = serde_json::from_str(&body).unwrap();
            v["at"] = json!("2020-01-01T00:00:00Z");
            v.to_string()
        };
        s.state
            .db
            .exec(
                "UPDATE changes SET body = $1 WHERE seq = $2",
                vec![tampered.as_str().into(), seq.into()],
            )
            .await
            .unwrap();
        let (_, html) = page(&web, &format!("{}/items/{t}", s.base), Some(&cookie)).await;
        assert!(html.contains("data-code=\"trail.altered\""), "{html}");
        assert_eq!(html.matches("✓ 已验证<").count(), 1, "only the first");

        // Unit B may not read it: the API's not-found, and nothing of the item.
        let other = sign_in(&s, &web, "staff-b").await;
        let (status, body) = page(&web, &format!("{}/items/{t}", s.base), Some(&other)).await;
        let api = s
            .get(&s.login("staff-b").await, &format!("/api/v1/tasks/{t}"))
            .await;
        assert_eq!(status, 404);
        assert_eq!(api.status, 404);
        // The same refusal, as the pages' HTML error page.
        let code = api.body["code"].as_str().expect("code");
        assert!(body.contains(&format!("data-code=\"{code}\"")), "{body}");
        assert!(!body.contains("积水"));
        // Nor may they act on it.
        let (status, _, body) = act(
            &s,
            &web,
            &other,
            &t,
            &[("command", &cid()), ("act", "comment"), ("text", "看看")],
        )
        .await;
        assert_eq!(status, 404);
        assert!(!body.contains("积水"));
    }
);

both!(
    the_forms_review_rate_instruct_and_comment_once_each,
    |s: Server| async move {
        let f = s.fixture().await;
        let (t, _, _) = completed_item(&s, &f).await;
        let sup = s.login("supervisor").await;
        let web = browser();
        let office = sign_in(&s, &web, "supervisor").await;
        let url = format!("{}/items/{t}", s.base);

        // A return without a new deadline: refused by the core, shown with its code, the
        // opinion kept.
        let (_, html) = page(&web, &url, Some(&office)).await;
        let command = command_in(&html, "act-review");
        let (status, _, html) = act(
            &s,
            &web,
            &office,
            &t,
            &[
                ("command", command.as_str()),
                ("act", "review"),
                ("decision", "return"),
                ("opinion", "照片不清楚,请补充"),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            html.contains("data-code=\"input.deadline_required\""),
            "{html}"
        );
        assert!(html.contains("退办须给出新的办理期限"));
        assert!(
            !html.contains("a return for rework needs a new deadline"),
            "one language"
        );
        assert!(html.contains(">照片不清楚,请补充</textarea>"), "kept");
        let detail = s.get(&sup, &format!("/api/v1/tasks/{t}")).await.expect(200);
        assert_eq!(detail["state"]["status"], "under_review");

        // With a new deadline: returned for rework. Sent twice with the same id: once.
        let command = command_in(&html, "act-review");
        let form = [
            ("command", command.as_str()),
            ("act", "review"),
            ("decision", "return"),
            ("opinion", "照片不清楚,请补充"),
            ("new_deadline", "2027-03-01"),
        ];
        for _ in 0..2 {
            let (status, location, _) = act(&s, &web, &office, &t, &form).await;
            assert_eq!(status, 303);
            assert_eq!(location, format!("/items/{t}"));
        }
        let detail = s.get(&sup, &format!("/api/v1/tasks/{t}")).await.expect(200);
        assert_eq!(detail["state"]["status"], "in_progress");
        let k = kinds(&detail);
        assert_eq!(
            k.iter().filter(|k| *k == "returned_for_rework").count(),
            1,
            "{k:?}"
        );
        let (_, html) = page(&web, &url, Some(&office)).await;
        assert!(
            html.contains("照片不清楚,请补充"),
            "the opinion in the trail"
        );

        // Reported again and accepted; the responsible leader rates it on the page.
        let a = s.login("staff-a").await;
        s.ok(
            &a,
            simple(
                &t,
                "report_completion",
                json!({"report": {"id": tid(), "text": "已补充照片", "evidence": []}}),
            ),
        )
        .await;
        s.ok(
            &sup,
            simple(
                &t,
                "review",
                json!({"accept": true, "opinion": "", "new_deadline": null}),
            ),
        )
        .await;
        let leader = sign_in(&s, &web, "leader").await;
        let (_, html) = page(&web, &url, Some(&leader)).await;
        let command = command_in(&html, "act-rate");
        let (status, _, _) = act(
            &s,
            &web,
            &leader,
            &t,
            &[
                ("command", command.as_str()),
                ("act", "rate"),
                ("stars", "4"),
                ("opinion", "整改及时"),
            ],
        )
        .await;
        assert_eq!(status, 303);
        let detail = s.get(&sup, &format!("/api/v1/tasks/{t}")).await.expect(200);
        assert_eq!(detail["state"]["ratings"][0]["stars"], 4);

        // An instruction from the leader, through htmx: the item's part answered, with it.
        let command = command_in(&html, "act-instruct");
        let r = web
            .post(format!("{}/items/{t}/act", s.base))
            .header(COOKIE, &leader)
            .header("HX-Request", "true")
            .header("X-CSRF-Token", form_token(&s, &web, &leader).await)
            .form(&[
                ("command", command.as_str()),
                ("act", "instruct"),
                ("text", "举一反三,排查其他积水点"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let fragment = r.text().await.unwrap();
        assert!(fragment.starts_with("<div id=\"item\""), "{fragment}");
        assert!(!fragment.contains("<html"), "only the item's part");
        assert!(fragment.contains("举一反三,排查其他积水点"));

        // A comment from the handler, and a reply to the instruction.
        let handler = sign_in(&s, &web, "staff-a").await;
        let (_, html) = page(&web, &url, Some(&handler)).await;
        assert!(
            !html.contains("id=\"act-instruct\""),
            "staff do not instruct"
        );
        let command = command_in(&html, "act-comment");
        let form = [
            ("command", command.as_str()),
            ("act", "comment"),
            ("text", "已安排排查"),
        ];
        for _ in 0..2 {
            assert_eq!(act(&s, &web, &handler, &t, &form).await.0, 303);
        }
        let detail = s.get(&sup, &format!("/api/v1/tasks/{t}")).await.expect(200);
        let k = kinds(&detail);
        assert_eq!(k.iter().filter(|k| *k == "instructed").count(), 1);
        assert_eq!(k.iter().filter(|k| *k == "commented").count(), 1, "{k:?}");
        let (_, html) = page(&web, &url, Some(&handler)).await;
        assert!(html.contains("已安排排查") && html.contains("举一反三"));
        assert_eq!(
            html.matches("class=\"step\"").count(),
            k.len(),
            "every step"
        );
    }
);

both!(
    an_extension_approved_on_the_page_moves_the_deadline,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let a = s.login("staff-a").await;
        let t = tid();
        s.ok(&sup, register(&t, "校舍维修")).await;
        let mut d = dispatch(&t, f.unit_b, None);
        d["command"]["lead"] = json!({"unit": f.unit_a, "user": f.staff_a});
        d["command"]["deputy_leader"] = json!(f.deputy);
        s.ok(&sup, d).await;
        s.ok(&a, simple(&t, "receive", json!({}))).await;
        let until = "2027-06-30T16:00:00Z";
        s.ok(
            &a,
            simple(
                &t,
                "request_extension",
                json!({"until": until, "reason": "材料未到货"}),
            ),
        )
        .await;
        let before = s.get(&sup, &format!("/api/v1/tasks/{t}")).await.expect(200);
        assert_ne!(before["state"]["deadline"], until);

        let web = browser();
        // The office sees the request but has no say in it.
        let office = sign_in(&s, &web, "supervisor").await;
        let url = format!("{}/items/{t}", s.base);
        let (_, html) = page(&web, &url, Some(&office)).await;
        assert!(!html.contains("id=\"act-decide_extension\""));
        // The deputy in charge decides it.
        let deputy = sign_in(&s, &web, "deputy").await;
        let (_, html) = page(&web, &url, Some(&deputy)).await;
        assert!(html.contains("材料未到货"), "the reason shown");
        let command = command_in(&html, "act-decide_extension");
        let (status, _, _) = act(
            &s,
            &web,
            &deputy,
            &t,
            &[
                ("command", command.as_str()),
                ("act", "decide_extension"),
                ("decision", "approve"),
                ("opinion", ""),
            ],
        )
        .await;
        assert_eq!(status, 303);
        let after = s.get(&sup, &format!("/api/v1/tasks/{t}")).await.expect(200);
        assert_eq!(
            after["state"]["deadline"]
                .as_str()
                .map(|d| chrono::DateTime::parse_from_rfc3339(d).unwrap()),
            Some(chrono::DateTime::parse_from_rfc3339(until).unwrap())
        );
        let (_, html) = page(&web, &url, Some(&deputy)).await;
        assert!(html.contains("2027-06-30"), "the new deadline on the page");
        assert!(!html.contains("id=\"act-decide_extension\""), "decided");
    }
);

both!(
    files_are_served_to_the_items_readers_only,
    |s: Server| async move {
        let f = s.fixture().await;
        let (_, hash, photo) = completed_item(&s, &f).await;
        let web = browser();
        let url = format!("{}/files/{hash}", s.base);
        for reader in ["supervisor", "head-a", "leader"] {
            let cookie = sign_in(&s, &web, reader).await;
            let r = web.get(&url).header(COOKIE, &cookie).send().await.unwrap();
            assert_eq!(r.status(), 200, "{reader}");
            assert_eq!(r.headers()["content-type"], "image/jpeg");
            assert_eq!(r.bytes().await.unwrap().as_ref(), photo.as_slice());
        }
        let other = sign_in(&s, &web, "staff-b").await;
        let hidden = web.get(&url).header(COOKIE, &other).send().await.unwrap();
        assert_eq!(hidden.status(), 404);
        // The pages' HTML error page, the same for both.
        let hidden = hidden.text().await.unwrap();
        assert!(hidden.contains("data-code=\"not_found\""), "{hidden}");
        let missing = web
            .get(format!("{}/files/{}", s.base, hash_of(b"never")))
            .header(COOKIE, &other)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(hidden, missing, "as if it did not exist");
        let anonymous = web.get(&url).send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_an_item_page_takes_a_comment_into_its_trail() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let b = Browser::start().await;
    b.sign_in(&s.base, "supervisor").await;
    b.go(&format!("{}/workbench", s.base)).await;
    b.wait_for(
        "return document.querySelectorAll('#overdue-list tbody tr a[href^=\"/items/\"]').length > 0",
        "an item linked from the workbench",
    )
    .await;
    b.click("#overdue-list tbody tr a[href^=\"/items/\"]").await;
    b.wait_for(
        "return location.pathname.startsWith('/items/') && !!document.querySelector('#trail')",
        "the item page",
    )
    .await;
    let steps = b
        .script("return document.querySelectorAll('#trail tr.step').length")
        .await
        .as_f64()
        .expect("steps");
    assert!(steps > 0.0);
    b.wait_for(
        "return document.querySelector('#verdict').dataset.code === 'trail.verified'",
        "the trail verified",
    )
    .await;
    b.screenshot("item").await;
    b.type_into("#act-comment textarea", "请于本周内反馈整改进度")
        .await;
    b.click("#act-comment button").await;
    b.wait_for(
        "return [...document.querySelectorAll('#trail tr.step')].some(r => r.textContent.includes('请于本周内反馈整改进度'))",
        "the comment in the trail, swapped in by htmx",
    )
    .await;
    let after = b
        .script("return document.querySelectorAll('#trail tr.step').length")
        .await
        .as_f64()
        .expect("steps");
    assert_eq!(after, steps + 1.0, "one comment, one step");
    b.script("document.querySelector('#trail').scrollIntoView()")
        .await;
    b.screenshot("item-trail").await;
}
