//! Reading holes of issue 16: an item one may not read is refused exactly as an unknown id,
//! over the sync API and on the pages (no status oracle, item 7); and a file's hash and size
//! unlock nothing — a command may cite a file only if its actor uploaded it or may read an
//! item citing it, and a stored file is told as stored only to them (item 8).

use duban_core::domain::{UnitId, UserId};
use reqwest::header::{COOKIE, ORIGIN};
use serde_json::{json, Value};

use crate::support::*;
use crate::web::{browser, sign_in};

fn hash_of(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

/// Bytes unlike any other test's, so that their hash names one file.
fn bytes(seed: u8, n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// `PUT /api/v1/blobs/{hash}` of the whole file, or of one chunk `start..end`; the status.
async fn upload(s: &Server, token: &str, data: &[u8], chunk: Option<(usize, usize)>) -> u16 {
    let mut req = s
        .http
        .put(format!("{}/api/v1/blobs/{}", s.base, hash_of(data)))
        .bearer_auth(token)
        .header("content-type", "image/jpeg");
    req = match chunk {
        Some((start, end)) => req
            .header(
                "content-range",
                format!("bytes {start}-{}/{}", end - 1, data.len()),
            )
            .body(data[start..end].to_vec()),
        None => req.body(data.to_vec()),
    };
    req.send().await.expect("upload").status().as_u16()
}

/// A file reference as a command cites it.
fn file(hash: &str, size: usize, name: &str) -> Value {
    json!({"hash": hash, "mime": "image/jpeg", "size": size, "name": name})
}

/// `report_progress` on `task` citing `evidence`.
fn progress(task: &str, evidence: Vec<Value>) -> Value {
    simple(
        task,
        "report_progress",
        json!({
            "report": {"id": tid(), "text": "已完成一半", "evidence": evidence},
            "percent": 50, "milestone": null, "answers": null
        }),
    )
}

/// An internal item registered by the supervisor (`sup`, a token) and dispatched to `user`
/// of `unit`, who receives it (`handler`, their token). One session per person: signing in
/// again signs the earlier session out.
async fn received(s: &Server, sup: &str, unit: UnitId, user: UserId, handler: &str) -> String {
    let t = tid();
    s.ok(sup, register(&t, "城区道路积水整治")).await;
    s.ok(sup, dispatch(&t, unit, Some(user))).await;
    s.ok(handler, simple(&t, "receive", json!({}))).await;
    t
}

/// One command's refusal as pushed, without its ids: status, code and both texts.
async fn refusal(s: &Server, token: &str, command: Value) -> Value {
    let mut out = s.push(token, vec![command]).await.remove(0);
    assert_eq!(out["status"], "rejected", "{out}");
    let o = out.as_object_mut().expect("an outcome");
    o.remove("id");
    o.remove("task");
    out
}

/// `command` on `task` and the same command on an unknown id, both refused alike.
async fn same_as_unknown(s: &Server, token: &str, task: &str, command: &Value) -> Value {
    let on = |t: &str| {
        let mut c = command.clone();
        c["id"] = json!(cid());
        c["task"] = json!(t);
        c
    };
    let hidden = refusal(s, token, on(task)).await;
    let unknown = refusal(s, token, on(&tid())).await;
    assert_eq!(
        hidden, unknown,
        "a command on an unreadable item is answered as on an unknown id"
    );
    hidden
}

both!(
    an_unreadable_item_is_refused_over_push_exactly_as_an_unknown_id,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let a = s.login("staff-a").await;
        // Unit A's internal item, in progress; another one revoked.
        let t = received(&s, &sup, f.unit_a, f.staff_a, &a).await;
        let revoked = received(&s, &sup, f.unit_a, f.staff_a, &a).await;
        s.ok(
            &sup,
            simple(&revoked, "revoke", json!({"reason": "情况变化"})),
        )
        .await;

        // Unit B's staff may read neither.
        let b = s.login("staff-b").await;
        s.get(&b, &format!("/api/v1/tasks/{t}"))
            .await
            .error(404, "not_found");
        let commands = [
            simple(&t, "receive", json!({})),
            simple(&t, "decline", json!({"reason": "不属于本单位职责"})),
            simple(
                &t,
                "comment",
                json!({"id": tid(), "text": "请加快进度", "reply_to": null}),
            ),
            progress(&t, vec![]),
            simple(
                &t,
                "report_completion",
                json!({"report": {"id": tid(), "text": "已完成", "evidence": []}}),
            ),
            simple(
                &t,
                "request_extension",
                json!({"until": "2027-06-30T16:00:00Z", "reason": "材料未到货"}),
            ),
            simple(&t, "follow", json!({})),
            simple(&t, "close", json!({})),
        ];
        for item in [&t, &revoked] {
            for c in &commands {
                let r = same_as_unknown(&s, &b, item, c).await;
                assert_eq!(r["code"], "task.not_found", "{c}: {r}");
            }
        }

        // Register on a taken id the registrar may not read: a fault is told as on a new id;
        // only a registration a new id would accept learns that the id is taken.
        let head_b = s.login("head-b").await;
        let faulty = register(&t, " ");
        let r = same_as_unknown(&s, &head_b, &t, &faulty).await;
        assert_eq!(r["code"], "input.title", "{r}");
        s.refused(&head_b, register(&t, "另一事项"), "task.exists")
            .await;
        // Nothing was written on the item.
        let d = s.get(&sup, &format!("/api/v1/tasks/{t}")).await.expect(200);
        assert_eq!(d["state"]["status"], "in_progress");
        assert_eq!(d["state"]["title"], "城区道路积水整治");
    }
);

/// Posts a page's form as the browser does (cookie, origin, then the form token last);
/// returns the status and the body.
async fn post_form(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let mut fields = fields.to_vec();
    fields.push(("csrf", token));
    let r = web
        .post(format!("{}{path}", s.base))
        .header(COOKIE, cookie)
        .header(ORIGIN, s.base.as_str())
        .form(&fields)
        .send()
        .await
        .expect("post");
    (r.status().as_u16(), r.text().await.expect("body"))
}

/// The refusal a page shows: its `data-code` block.
fn shown_error(html: &str) -> &str {
    let start = html.find("<div class=\"error\"").expect("a refusal shown");
    let end = html[start..].find("</div>").expect("its end") + start;
    &html[start..end]
}

both!(
    an_unreadable_item_is_refused_on_the_pages_exactly_as_an_unknown_id,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let a = s.login("staff-a").await;
        let t = received(&s, &sup, f.unit_a, f.staff_a, &a).await;
        let web = browser();
        let cookie = sign_in(&s, &web, "head-b").await;
        let token = crate::web::form_token(&s, &web, &cookie).await;

        // The item page's acts (here a comment): the same answer as for an unknown item.
        let (s, web, cookie, token) = (&s, &web, &cookie, &token);
        let act = |task: String| {
            let command = cid();
            async move {
                let fields = [
                    ("command", command.as_str()),
                    ("act", "comment"),
                    ("text", "请加快进度"),
                ];
                post_form(
                    s,
                    web,
                    cookie,
                    token,
                    &format!("/items/{task}/act"),
                    &fields,
                )
                .await
            }
        };
        let hidden = act(t.clone()).await;
        let unknown = act(tid()).await;
        assert_eq!(hidden, unknown);
        assert_eq!(hidden.0, 404);

        // A score adjustment names its item by id: the refusal shown is an unknown item's.
        let adjust = |task: String| {
            let form = cid();
            let unit = f.unit_a.to_string();
            async move {
                let fields = [
                    ("form", form.as_str()),
                    ("unit", unit.as_str()),
                    ("task", task.as_str()),
                    ("points", "-2"),
                    ("reason", "未按要求提供整改台账"),
                    ("period", "month"),
                ];
                post_form(s, web, cookie, token, "/scores/adjust", &fields).await
            }
        };
        let (hidden_status, hidden) = adjust(t.clone()).await;
        let (unknown_status, unknown) = adjust(tid()).await;
        assert_eq!(hidden_status, 422);
        assert_eq!(hidden_status, unknown_status);
        assert_eq!(shown_error(&hidden), shown_error(&unknown));
        assert!(shown_error(&hidden).contains("task.not_found"), "{hidden}");
    }
);

both!(
    citing_another_units_file_by_its_hash_is_refused_and_unlocks_nothing,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let a = s.login("staff-a").await;
        let b = s.login("staff-b").await;

        // Unit A reports on its item with a photo.
        let ta = received(&s, &sup, f.unit_a, f.staff_a, &a).await;
        let photo = bytes(1, 4_000);
        let hash = hash_of(&photo);
        assert_eq!(upload(&s, &a, &photo, None).await, 201);
        s.ok(
            &a,
            progress(&ta, vec![file(&hash, photo.len(), "现场.jpg")]),
        )
        .await;

        // Unit B, on its own item, cites A's photo by its hash and size: refused, exactly as
        // a file never uploaded is, and the photo still does not download for B.
        let tb = received(&s, &sup, f.unit_b, f.staff_b, &b).await;
        let stolen = refusal(
            &s,
            &b,
            progress(&tb, vec![file(&hash, photo.len(), "现场.jpg")]),
        )
        .await;
        let never = hash_of(b"never uploaded");
        let missing = refusal(
            &s,
            &b,
            progress(&tb, vec![file(&never, photo.len(), "现场.jpg")]),
        )
        .await;
        assert_eq!(stolen, missing);
        assert_eq!(stolen["code"], "blob.missing");
        let got = s.get(&b, &format!("/api/v1/blobs/{hash}")).await;
        assert_eq!(got.status, 404);
        assert_eq!(
            got.body,
            s.get(&b, &format!("/api/v1/blobs/{never}")).await.body
        );
        let d = s
            .get(&sup, &format!("/api/v1/tasks/{tb}"))
            .await
            .expect(200);
        assert_eq!(d["state"]["progress"], 0, "nothing reported on B's item");

        // B's own upload is cited.
        let own = bytes(2, 3_000);
        assert_eq!(upload(&s, &b, &own, None).await, 201);
        s.ok(
            &b,
            progress(&tb, vec![file(&hash_of(&own), own.len(), "b.jpg")]),
        )
        .await;

        // So is a file of an item B may read: a public item's photo.
        let public_photo = bytes(3, 2_000);
        let public_hash = hash_of(&public_photo);
        assert_eq!(upload(&s, &sup, &public_photo, None).await, 201);
        let tp = tid();
        let mut reg = register_with(&tp, "公开事项", "meeting_decision", "public", json!({}));
        reg["command"]["attachments"] = json!([file(&public_hash, public_photo.len(), "公示.jpg")]);
        s.ok(&sup, reg).await;
        s.ok(
            &b,
            progress(
                &tb,
                vec![file(&public_hash, public_photo.len(), "公示.jpg")],
            ),
        )
        .await;

        // Whoever sends A's photo's whole content holds it: then it may be cited.
        assert_eq!(upload(&s, &b, &photo, None).await, 200, "stored already");
        s.ok(
            &b,
            progress(&tb, vec![file(&hash, photo.len(), "现场.jpg")]),
        )
        .await;
        assert_eq!(
            s.get(&b, &format!("/api/v1/blobs/{hash}")).await.status,
            200
        );
    }
);

both!(
    a_stored_file_is_told_only_to_those_who_may_use_it,
    |s: Server| async move {
        s.fixture().await;
        let a = s.login("staff-a").await;
        let b = s.login("staff-b").await;
        let photo = bytes(4, 3_000);
        let hash = hash_of(&photo);
        assert_eq!(upload(&s, &a, &photo, None).await, 201);
        let status = |token: String, hash: String| {
            let s = &s;
            async move {
                s.get(&token, &format!("/api/v1/blobs/{hash}/status"))
                    .await
                    .expect(200)
            }
        };
        assert_eq!(status(a.clone(), hash.clone()).await["complete"], true);

        // To B the stored file is as unknown as any other hash.
        let never = hash_of(b"never uploaded either");
        let mut told = status(b.clone(), hash.clone()).await;
        let mut unknown = status(b.clone(), never).await;
        told.as_object_mut().unwrap().remove("hash");
        unknown.as_object_mut().unwrap().remove("hash");
        assert_eq!(told, unknown);
        assert_eq!(told["complete"], false);

        // A chunk of it is kept like any upload's; the last one, the whole content sent,
        // says it was stored already and makes B a holder.
        assert_eq!(upload(&s, &b, &photo, Some((0, 1_000))).await, 202);
        assert_eq!(upload(&s, &b, &photo, Some((1_000, 3_000))).await, 200);
        assert_eq!(status(b.clone(), hash.clone()).await["complete"], true);
        assert_eq!(
            s.get(&b, &format!("/api/v1/blobs/{hash}")).await.status,
            200
        );
        assert_eq!(
            s.scalar("SELECT COUNT(*) FROM blobs", vec![]).await,
            1,
            "stored once"
        );
        assert_eq!(
            s.scalar("SELECT COUNT(*) FROM blob_chunks", vec![]).await,
            0
        );
    }
);
