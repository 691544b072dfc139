//! The sync protocol: push (idempotent, serialised by the rules), pull (only what the person
//! may see; grants and revokes), snapshot.

use serde_json::json;

use crate::support::*;

both!(
    a_handler_sees_only_their_units_items,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let (ta, tb) = (tid(), tid());
        s.ok(&sup, register(&ta, "甲单位的事项")).await;
        s.ok(&sup, dispatch(&ta, f.unit_a, Some(f.staff_a))).await;
        s.ok(&sup, register(&tb, "乙单位的事项")).await;
        s.ok(&sup, dispatch(&tb, f.unit_b, None)).await;

        let a = s.login("staff-a").await;
        let changes = s.pull_all(&a, 0).await;
        let text = serde_json::to_string(&changes).unwrap();
        assert!(text.contains(&ta), "A's item reaches A");
        assert!(!text.contains(&tb), "B's item never reaches A");
        assert!(!text.contains("乙单位的事项"));
        let snap = s.get(&a, "/api/v1/sync/snapshot").await.expect(200);
        let text = snap["tasks"].to_string();
        assert!(text.contains(&ta) && !text.contains(&tb));

        let b = s.login("staff-b").await;
        let text = serde_json::to_string(&s.pull_all(&b, 0).await).unwrap();
        assert!(text.contains(&tb) && !text.contains(&ta));
        // To B, A's item does not exist: refused as an unknown id.
        s.refused(&b, simple(&ta, "follow", json!({})), "task.not_found")
            .await;
    }
);

both!(
    the_same_push_three_times_applies_once,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        let reg = register(&t, "重复推送");
        let disp = dispatch(&t, f.unit_a, None);
        let first = s.push(&sup, vec![reg.clone(), disp.clone()]).await;
        let second = s.push(&sup, vec![reg.clone(), disp.clone()]).await;
        let third = s.push(&sup, vec![reg, disp]).await;
        assert_eq!(first, second);
        assert_eq!(first, third);
        assert_eq!(first[0]["status"], "accepted");
        let n = s
            .scalar("SELECT COUNT(*) FROM changes WHERE kind = 'event'", vec![])
            .await;
        assert_eq!(n, 2, "register and dispatch, once each");
    }
);

both!(
    bad_input_gets_a_4xx_and_writes_nothing,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let before = s.changes_count().await;
        let url = format!("{}/api/v1/sync/push", s.base);
        let raw = |body: &'static str| {
            s.http
                .post(&url)
                .bearer_auth(&sup)
                .header("content-type", "application/json")
                .body(body)
                .send()
        };
        let shape = |status: u16, body: serde_json::Value, code: &str| {
            assert_eq!(body["code"], code, "{body}");
            // Without Accept-Language, the message is the zh-CN sentence, alone.
            assert_eq!(body["message"], body["zh"], "{body}");
            assert_ne!(body["zh"], body["en"], "{body}");
            assert!((400..500).contains(&status), "{status}");
        };
        // Malformed JSON.
        let r = raw("{\"commands\": [").await.unwrap();
        let st = r.status().as_u16();
        shape(st, r.json().await.unwrap(), "request.malformed_json");
        // Unknown field on the envelope, on the request, inside a command.
        let t = tid();
        let mut env = register(&t, "未知字段");
        env["colour"] = json!("red");
        let r = s
            .post(&sup, "/api/v1/sync/push", json!({"commands": [env]}))
            .await;
        shape(r.status, r.body, "request.invalid_body");
        let r = s
            .post(
                &sup,
                "/api/v1/sync/push",
                json!({"commands": [register(&t, "x")], "extra": 1}),
            )
            .await;
        shape(r.status, r.body, "request.invalid_body");
        let mut env = register(&t, "未知字段");
        env["command"]["colour"] = json!("red");
        let r = s
            .post(&sup, "/api/v1/sync/push", json!({"commands": [env]}))
            .await;
        shape(r.status, r.body, "request.invalid_body");
        let mut env = dispatch(&t, f.unit_a, None);
        env["command"]["lead"]["extra"] = json!(true);
        let r = s
            .post(&sup, "/api/v1/sync/push", json!({"commands": [env]}))
            .await;
        shape(r.status, r.body, "request.invalid_body");
        // Unknown field on a command that has no fields at all.
        let r = s
            .post(
                &sup,
                "/api/v1/sync/push",
                json!({"commands": [simple(&t, "receive", json!({"signature": "x"}))]}),
            )
            .await;
        shape(r.status, r.body, "request.invalid_body");
        // Unknown command.
        let r = s
            .post(
                &sup,
                "/api/v1/sync/push",
                json!({"commands": [simple(&t, "teleport", json!({}))]}),
            )
            .await;
        shape(r.status, r.body, "request.invalid_body");
        // Wrong types, missing fields, empty and too many commands.
        let mut env = register(&t, "类型错误");
        env["command"]["urgency"] = json!(3);
        let r = s
            .post(&sup, "/api/v1/sync/push", json!({"commands": [env]}))
            .await;
        shape(r.status, r.body, "request.invalid_body");
        let r = s.post(&sup, "/api/v1/sync/push", json!({})).await;
        shape(r.status, r.body, "request.invalid_body");
        let r = s
            .post(&sup, "/api/v1/sync/push", json!({"commands": []}))
            .await;
        shape(r.status, r.body, "sync.push_size");
        let many: Vec<_> = (0..501)
            .map(|_| simple(&tid(), "follow", json!({})))
            .collect();
        let r = s
            .post(&sup, "/api/v1/sync/push", json!({"commands": many}))
            .await;
        shape(r.status, r.body, "sync.push_size");
        // Oversized body (the limit is 2 MiB by default). The server answers before reading
        // it all and closes that connection, so this goes on a client of its own.
        let mut env = register(&t, "过大");
        env["command"]["content"] = json!("长".repeat(1_000_000));
        let r = reqwest::Client::new()
            .post(&url)
            .bearer_auth(&sup)
            .json(&json!({"commands": [env]}))
            .send()
            .await
            .unwrap();
        let st = r.status().as_u16();
        shape(st, r.json().await.unwrap(), "request.too_large");
        // Not JSON at all.
        let r = s
            .http
            .post(&url)
            .bearer_auth(&sup)
            .body("commands=1")
            .send()
            .await
            .unwrap();
        let st = r.status().as_u16();
        shape(st, r.json().await.unwrap(), "request.content_type");
        // Stale and forged tokens.
        let stale = s.login("staff-a").await;
        s.post(&stale, "/api/v1/auth/logout", json!({}))
            .await
            .expect(200);
        let forged = format!("dbn_{}", "ab".repeat(32));
        for token in [stale.as_str(), forged.as_str(), "dbn_short", "Basic abc"] {
            s.post(
                token,
                "/api/v1/sync/push",
                json!({"commands": [register(&tid(), "x")]}),
            )
            .await
            .error(401, "auth.unauthorized");
            s.get(token, "/api/v1/sync/pull")
                .await
                .error(401, "auth.unauthorized");
        }
        // Bad pull cursors and parameters.
        s.get(&sup, "/api/v1/sync/pull?after=-1")
            .await
            .error(400, "sync.bad_cursor");
        s.get(&sup, "/api/v1/sync/pull?limit=0")
            .await
            .error(400, "sync.bad_cursor");
        s.get(&sup, "/api/v1/sync/pull?after=abc")
            .await
            .error(400, "request.bad_query");
        s.get(&sup, "/api/v1/sync/pull?colour=1")
            .await
            .error(400, "request.bad_query");
        s.get(&sup, "/api/v1/no/such/thing")
            .await
            .error(404, "not_found");

        assert_eq!(s.changes_count().await, before, "nothing was written");
        let n = s.scalar("SELECT COUNT(*) FROM tasks", vec![]).await;
        assert_eq!(n, 0);
    }
);

both!(
    conflicting_commands_at_the_same_moment_are_serialised_by_the_rules,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let staff = s.login("staff-a").await;
        let head = s.login("head-a").await;
        for round in 0..6 {
            let t = tid();
            s.ok(&sup, register(&t, "并发")).await;
            s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
            let decline = simple(&t, "decline", json!({"reason": "不属于本单位职责"}));
            let receive = simple(&t, "receive", json!({}));
            let (a, b) = if round % 2 == 0 {
                tokio::join!(s.push(&staff, vec![receive]), s.push(&head, vec![decline]))
            } else {
                tokio::join!(s.push(&head, vec![decline]), s.push(&staff, vec![receive]))
            };
            let outcomes = [&a[0], &b[0]];
            let accepted = outcomes
                .iter()
                .filter(|o| o["status"] == "accepted")
                .count();
            assert_eq!(accepted, 1, "exactly one wins: {outcomes:?}");
            let loser = outcomes.iter().find(|o| o["status"] == "rejected").unwrap();
            assert!(
                loser["code"].as_str().unwrap().starts_with("state."),
                "{loser}"
            );
        }
    }
);

both!(
    the_same_command_raced_from_two_connections_applies_once,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, "重试竞争")).await;
        let d = dispatch(&t, f.unit_a, None);
        let (a, b, c) = tokio::join!(
            s.push(&sup, vec![d.clone()]),
            s.push(&sup, vec![d.clone()]),
            s.push(&sup, vec![d.clone()])
        );
        assert_eq!(a[0]["status"], "accepted", "{a:?}");
        assert_eq!(a, b);
        assert_eq!(a, c);
        let n = s
            .scalar("SELECT COUNT(*) FROM changes WHERE kind = 'event'", vec![])
            .await;
        assert_eq!(n, 2);
        // The same id for a different command is refused, not applied.
        let mut other = simple(&t, "follow", json!({}));
        other["id"] = d["id"].clone();
        let out = s.push(&sup, vec![other]).await.remove(0);
        assert_eq!(out["code"], "command.id_reused", "{out}");
    }
);

both!(
    gaining_access_brings_the_history_and_losing_it_a_revoke,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let staff_a = s.login("staff-a").await;
        let staff_b = s.login("staff-b").await;
        let t = tid();
        s.ok(&sup, register(&t, "共享给乙单位人员")).await;
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;
        s.ok(&staff_a, simple(&t, "receive", json!({}))).await;
        let cursor = s.get(&staff_b, "/api/v1/sync/pull").await.expect(200)["next"]
            .as_i64()
            .unwrap();
        assert!(!serde_json::to_string(&s.pull_all(&staff_b, 0).await)
            .unwrap()
            .contains(&t));

        s.ok(&staff_a, simple(&t, "share", json!({"with": [f.staff_b]})))
            .await;
        let changes = s.pull_all(&staff_b, cursor).await;
        let grant = changes
            .iter()
            .find(|c| c["type"] == "grant" && c["task"] == t.as_str())
            .unwrap_or_else(|| panic!("a grant: {changes:?}"));
        let events = grant["events"].as_array().unwrap();
        let kinds: Vec<_> = events
            .iter()
            .map(|e| e["event"]["kind"]["event"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["registered", "dispatched", "received"],
            "the whole history"
        );
        let seqs: Vec<_> = events
            .iter()
            .map(|e| e["task_seq"].as_u64().unwrap())
            .collect();
        assert_eq!(seqs, [1, 2, 3]);
        // The shared event itself follows as an ordinary event.
        assert!(changes
            .iter()
            .any(|c| c["type"] == "event" && c["event"]["kind"]["event"] == "shared"));
        let cursor = s
            .get(&staff_b, &format!("/api/v1/sync/pull?after={cursor}"))
            .await
            .expect(200)["next"]
            .as_i64()
            .unwrap();

        s.ok(
            &staff_a,
            simple(&t, "unshare", json!({"with": [f.staff_b]})),
        )
        .await;
        s.ok(
            &staff_a,
            simple(
                &t,
                "report_progress",
                json!({
                    "report": {"id": tid(), "text": "已完成一半", "evidence": []},
                    "percent": 50, "milestone": null, "answers": null
                }),
            ),
        )
        .await;
        let changes = s.pull_all(&staff_b, cursor).await;
        assert!(
            changes
                .iter()
                .any(|c| c["type"] == "revoke" && c["task"] == t.as_str()),
            "{changes:?}"
        );
        assert!(
            !changes
                .iter()
                .any(|c| c["type"] == "event" && c["task"] == t.as_str()),
            "nothing after the revoke: {changes:?}"
        );
        // The next pull starts after everything examined, and sees nothing new.
        let last = s
            .get(&staff_b, &format!("/api/v1/sync/pull?after={cursor}"))
            .await
            .expect(200);
        let again = s
            .get(
                &staff_b,
                &format!("/api/v1/sync/pull?after={}", last["next"]),
            )
            .await
            .expect(200);
        assert_eq!(again["changes"].as_array().unwrap().len(), 0);
    }
);

both!(
    confidential_fields_travel_apart_and_only_to_those_who_may_see_them,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        let attrs =
            json!({"caller_name": "刘桂芬", "caller_phone": "13800005678", "ticket": "RX-1"});
        s.ok(
            &sup,
            register_order(&t, "12345热线:路灯损坏", "internal", attrs),
        )
        .await;
        s.ok(&sup, accept_order(&t)).await;
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;

        let may = ["supervisor", "staff-a", "leader", "inspector", "head-a"];
        let may_not = ["staff-a2", "deputy", "staff-b", "staff-a1"];
        for who in may {
            let token = s.login(who).await;
            let feed = serde_json::to_string(&s.pull_all(&token, 0).await).unwrap();
            assert!(
                feed.contains("13800005678"),
                "{who} may see the caller's phone"
            );
            let snap = s.get(&token, "/api/v1/sync/snapshot").await.expect(200);
            let item = snap["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["task"] == t.as_str())
                .unwrap()
                .clone();
            assert_eq!(item["confidential"]["caller_phone"], "13800005678", "{who}");
        }
        for who in may_not {
            let token = s.login(who).await;
            let feed = serde_json::to_string(&s.pull_all(&token, 0).await).unwrap();
            let snap = s
                .get(&token, "/api/v1/sync/snapshot")
                .await
                .expect(200)
                .to_string();
            for text in [&feed, &snap] {
                assert!(
                    !text.contains("13800005678") && !text.contains("刘桂芬"),
                    "{who}"
                );
            }
        }
        // The colleague in unit A reads the item itself (Internal), just not the caller.
        let a2 = s.login("staff-a2").await;
        let feed = serde_json::to_string(&s.pull_all(&a2, 0).await).unwrap();
        assert!(
            feed.contains("RX-1"),
            "non-confidential attributes stay on the item"
        );
        // Stored apart: the trail holds no trace of the caller.
        for r in s
            .state
            .db
            .rows("SELECT body FROM changes WHERE kind = 'event'", vec![])
            .await
            .unwrap()
        {
            assert!(!r.text(0).unwrap().contains("13800005678"));
        }
        let row = s
            .state
            .db
            .row("SELECT state FROM tasks", vec![])
            .await
            .unwrap()
            .unwrap();
        assert!(!row.text(0).unwrap().contains("13800005678"));
    }
);

both!(numbers_are_the_servers_to_give, |s: Server| async move {
    let f = s.fixture().await;
    let sup = s.login("supervisor").await;
    let mut numbers = Vec::new();
    for i in 0..3 {
        let t = tid();
        let out = s.ok(&sup, register(&t, &format!("编号{i}"))).await;
        numbers.push(
            out["events"][0]["event"]["kind"]["number"]["seq"]
                .as_u64()
                .unwrap(),
        );
        s.ok(&sup, dispatch(&t, f.unit_a, None)).await;
    }
    assert_eq!(
        numbers,
        [1, 2, 3],
        "the client's provisional number 1 was replaced"
    );
});

both!(
    a_reader_polling_during_concurrent_writes_never_skips_a_sequence_number,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let start = s.get(&sup, "/api/v1/sync/pull").await.expect(200)["next"]
            .as_i64()
            .unwrap();
        let writers = (0..4).map(|w| {
            let s = &s;
            let sup = sup.clone();
            async move {
                for i in 0..15 {
                    let t = tid();
                    s.ok(&sup, register(&t, &format!("写入者{w}-{i}"))).await;
                    s.ok(&sup, dispatch(&t, f.unit_a, None)).await;
                }
            }
        });
        let reader = async {
            let mut seen = Vec::new();
            let mut after = start;
            for _ in 0..400 {
                let r = s
                    .get(&sup, &format!("/api/v1/sync/pull?after={after}"))
                    .await
                    .expect(200);
                for c in r["changes"].as_array().unwrap() {
                    if c["type"] == "event" {
                        seen.push(c["seq"].as_i64().unwrap());
                    }
                }
                after = r["next"].as_i64().unwrap();
                tokio::task::yield_now().await;
            }
            (seen, after)
        };
        let (_, (mut seen, after)) = tokio::join!(futures_join(writers), reader);
        // Catch up after the writers are done.
        let rest = s.pull_all(&sup, after).await;
        seen.extend(
            rest.iter()
                .filter(|c| c["type"] == "event")
                .map(|c| c["seq"].as_i64().unwrap()),
        );
        let all: Vec<i64> = s
            .state
            .db
            .rows(
                "SELECT seq FROM changes WHERE kind = 'event' AND seq > $1 ORDER BY seq",
                vec![start.into()],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.int(0).unwrap())
            .collect();
        assert_eq!(all.len(), 120);
        assert_eq!(seen, all, "every event seen once, in order, none skipped");
    }
);

both!(
    a_snapshot_without_items_carries_the_reference_data_alone,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, "只取参考数据")).await;
        s.ok(&sup, dispatch(&t, f.unit_a, Some(f.staff_a))).await;

        let a = s.login("staff-a").await;
        let full = s.get(&a, "/api/v1/sync/snapshot").await.expect(200);
        let light = s
            .get(&a, "/api/v1/sync/snapshot?items=false")
            .await
            .expect(200);
        assert_eq!(full["tasks"].as_array().map(Vec::len), Some(1), "{full}");
        assert_eq!(light["tasks"], json!([]), "no item is carried");
        for key in ["seq", "me", "units", "people", "policy", "calendar"] {
            assert_eq!(light[key], full[key], "{key} is the same in both");
        }
        assert_eq!(light["me"]["username"], "staff-a");
        assert!(!light.to_string().contains("只取参考数据"));
        // `items=true` is the default spelled out.
        let explicit = s
            .get(&a, "/api/v1/sync/snapshot?items=true")
            .await
            .expect(200);
        assert_eq!(explicit, full);
        // The items then come from the feed, pulled from 0.
        let feed = serde_json::to_string(&s.pull_all(&a, 0).await).unwrap();
        assert!(feed.contains(&t));

        // Unknown parameters and values that are not booleans are refused.
        s.get(&a, "/api/v1/sync/snapshot?colour=red")
            .await
            .error(400, "request.bad_query");
        s.get(&a, "/api/v1/sync/snapshot?items=false&after=3")
            .await
            .error(400, "request.bad_query");
        s.get(&a, "/api/v1/sync/snapshot?items=maybe")
            .await
            .error(400, "request.bad_query");
    }
);

both!(
    a_position_past_the_head_is_gone_and_the_head_is_reported,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let t = tid();
        s.ok(&sup, register(&t, "游标")).await;
        s.ok(&sup, dispatch(&t, f.unit_a, None)).await;
        let head = s
            .scalar("SELECT value FROM counters WHERE name = 'changes'", vec![])
            .await;
        assert!(head > 0);

        // Every page reports the counter's value as its head.
        let first = s
            .get(&sup, "/api/v1/sync/pull?after=0&limit=1")
            .await
            .expect(200);
        assert_eq!(first["head"], head, "{first}");
        assert_eq!(first["more"], true);
        let all = s.get(&sup, "/api/v1/sync/pull?after=0").await.expect(200);
        assert_eq!(all["head"], head);
        assert_eq!(all["next"], head);

        // Exactly at the head: nothing new, and fine.
        let at = s
            .get(&sup, &format!("/api/v1/sync/pull?after={head}"))
            .await
            .expect(200);
        assert_eq!(at["changes"], json!([]), "{at}");
        assert_eq!(at["next"], head);
        assert_eq!(at["more"], false);
        assert_eq!(at["head"], head);

        // Past it: a position this server never gave (restored from a backup).
        for after in [head + 1, head + 1000] {
            let r = s
                .get(&sup, &format!("/api/v1/sync/pull?after={after}"))
                .await;
            assert_eq!(
                r.body["zh"],
                "同步位置已失效(服务器数据已恢复或重置),请重新同步全部数据"
            );
            assert_eq!(
                r.body["en"],
                "the feed position is no longer held by the server (its data was restored or \
                 reset); take a new snapshot"
            );
            r.error(410, "sync.cursor_gone");
        }

        // The head moves with the feed, and the old position past it becomes valid.
        s.ok(&sup, simple(&t, "follow", json!({}))).await;
        let now = s
            .scalar("SELECT value FROM counters WHERE name = 'changes'", vec![])
            .await;
        assert!(now > head);
        let r = s
            .get(&sup, &format!("/api/v1/sync/pull?after={}", head + 1))
            .await
            .expect(200);
        assert_eq!(r["head"], now);
        assert_eq!(r["next"], now);
    }
);

async fn futures_join<F: std::future::Future<Output = ()>>(fs: impl Iterator<Item = F>) {
    let handles: Vec<_> = fs.collect();
    let mut set = Vec::new();
    for h in handles {
        set.push(Box::pin(h));
    }
    // Poll all writers together on this task.
    std::future::poll_fn(|cx| {
        set.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if set.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}
