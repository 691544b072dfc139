//! Queries: `GET /tasks` (views of R8.2, filters, paging), `GET /tasks/{id}` (detail with
//! confidential attributes only for those who must see them) and `GET /stats` (R8.4), each
//! answering only what the person may read.

use std::collections::BTreeSet;

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::support::*;

/// The items of the small world, by role in the tests.
struct World {
    f: Fixture,
    /// A, staff-a named; received, reported and accepted: completed.
    a_named: String,
    /// A as a whole, urgent, due in about a day; received by staff-a2.
    a_whole: String,
    /// A1 as a whole.
    a1: String,
    /// B as a whole, deadline 2030-06-14; followed by the deputy.
    b: String,
    /// A, staff-a named, received and shared with staff-a2.
    shared: String,
    /// Registered by head-a, A1 with staff-a1 named.
    by_head: String,
    /// B as a whole, instructed on by the leader.
    instructed: String,
    /// Hotline ticket to A, staff-a named, received; caller's name and phone confidential.
    hotline: String,
    /// A draft (annual key work), never dispatched.
    draft: String,
}

impl World {
    fn all(&self) -> Vec<&str> {
        vec![
            &self.a_named,
            &self.a_whole,
            &self.a1,
            &self.b,
            &self.shared,
            &self.by_head,
            &self.instructed,
            &self.hotline,
            &self.draft,
        ]
    }
}

const CALLER_PHONE: &str = "13900001234";
const CALLER_NAME: &str = "张三丰";

async fn world(s: &Server) -> World {
    let f = s.fixture().await;
    let sup = s.login("supervisor").await;
    let staff_a = s.login("staff-a").await;
    let staff_a2 = s.login("staff-a2").await;
    let head_a = s.login("head-a").await;
    let deputy = s.login("deputy").await;
    let leader = s.login("leader").await;
    let w = World {
        f: f.clone(),
        a_named: tid(),
        a_whole: tid(),
        a1: tid(),
        b: tid(),
        shared: tid(),
        by_head: tid(),
        instructed: tid(),
        hotline: tid(),
        draft: tid(),
    };

    s.ok(&sup, register(&w.a_named, "甲单位点名事项")).await;
    s.ok(&sup, dispatch(&w.a_named, f.unit_a, Some(f.staff_a)))
        .await;
    s.ok(&staff_a, simple(&w.a_named, "receive", json!({})))
        .await;
    s.ok(
        &staff_a,
        simple(
            &w.a_named,
            "report_completion",
            json!({"report": {"id": tid(), "text": "已全部完成。", "evidence": []}}),
        ),
    )
    .await;
    s.ok(
        &sup,
        simple(
            &w.a_named,
            "review",
            json!({"accept": true, "opinion": "符合要求", "new_deadline": null}),
        ),
    )
    .await;

    let mut reg = register(&w.a_whole, "甲单位整体事项 Urgent Road");
    reg["command"]["urgency"] = json!("urgent");
    s.ok(&sup, reg).await;
    // Due in about a day (rolled forward over days off): near its deadline, a yellow light.
    let mut d = dispatch(&w.a_whole, f.unit_a, None);
    d["command"]["deadline"] = json!((Utc::now() + Duration::hours(26)).to_rfc3339());
    s.ok(&sup, d).await;
    s.ok(&staff_a2, simple(&w.a_whole, "receive", json!({})))
        .await;

    s.ok(&sup, register(&w.a1, "公路股事项")).await;
    s.ok(&sup, dispatch(&w.a1, f.unit_a1, None)).await;

    s.ok(&sup, register(&w.b, "乙单位事项")).await;
    let mut d = dispatch(&w.b, f.unit_b, None);
    d["command"]["deadline"] = json!("2030-06-14T16:00:00Z");
    s.ok(&sup, d).await;
    s.ok(&deputy, simple(&w.b, "follow", json!({}))).await;

    s.ok(&sup, register(&w.shared, "共享事项")).await;
    s.ok(&sup, dispatch(&w.shared, f.unit_a, Some(f.staff_a)))
        .await;
    s.ok(&staff_a, simple(&w.shared, "receive", json!({})))
        .await;
    s.ok(
        &staff_a,
        simple(&w.shared, "share", json!({"with": [f.staff_a2]})),
    )
    .await;

    s.ok(&head_a, register(&w.by_head, "局长交办事项")).await;
    s.ok(&head_a, dispatch(&w.by_head, f.unit_a1, Some(f.staff_a1)))
        .await;

    s.ok(&sup, register(&w.instructed, "领导批示事项")).await;
    s.ok(&sup, dispatch(&w.instructed, f.unit_b, None)).await;
    s.ok(
        &leader,
        simple(
            &w.instructed,
            "instruct",
            json!({"id": tid(), "text": "请抓紧办理,按期报结。"}),
        ),
    )
    .await;

    s.ok(
        &sup,
        register_order(
            &w.hotline,
            "热线工单:路灯不亮",
            "internal",
            json!({"caller_name": CALLER_NAME, "caller_phone": CALLER_PHONE, "address": "人民路"}),
        ),
    )
    .await;
    s.ok(&sup, accept_order(&w.hotline)).await;
    s.ok(&sup, dispatch(&w.hotline, f.unit_a, Some(f.staff_a)))
        .await;
    s.ok(&staff_a, simple(&w.hotline, "receive", json!({})))
        .await;

    s.ok(
        &sup,
        register_with(
            &w.draft,
            "年度重点工作草稿",
            "annual_key_work",
            "internal",
            json!({}),
        ),
    )
    .await;
    w
}

/// The ids `GET /tasks?{query}` answers (one page of up to 200), checking the total.
async fn ids(s: &Server, token: &str, query: &str) -> BTreeSet<String> {
    let sep = if query.is_empty() { "" } else { "&" };
    let r = s
        .get(token, &format!("/api/v1/tasks?per_page=200{sep}{query}"))
        .await
        .expect(200);
    let items = r["items"].as_array().expect("items");
    assert_eq!(r["total"].as_u64(), Some(items.len() as u64), "{r}");
    items
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).clone()).collect()
}

both!(
    each_view_answers_exactly_its_items,
    |s: Server| async move {
        let w = world(&s).await;
        let token = |name: &'static str| s.login(name);

        // staff-a: A's items (colleague of every A item), nothing of A1 or B.
        let a = token("staff-a").await;
        let a_items = set(&[&w.a_named, &w.a_whole, &w.shared, &w.hotline]);
        assert_eq!(ids(&s, &a, "").await, a_items);
        assert_eq!(ids(&s, &a, "view=all").await, a_items);
        assert_eq!(ids(&s, &a, "view=responsible").await, a_items);
        assert_eq!(ids(&s, &a, "view=department").await, a_items);
        assert!(ids(&s, &a, "view=created").await.is_empty());
        assert!(ids(&s, &a, "view=shared").await.is_empty());
        assert!(ids(&s, &a, "view=subordinates").await.is_empty());
        assert!(ids(&s, &a, "view=instructed").await.is_empty());
        assert!(ids(&s, &a, "view=followed").await.is_empty());

        // staff-a2: responsible for the unit-wide item and the one shared with her.
        let a2 = token("staff-a2").await;
        assert_eq!(ids(&s, &a2, "").await, a_items);
        assert_eq!(
            ids(&s, &a2, "view=responsible").await,
            set(&[&w.a_whole, &w.shared])
        );
        assert_eq!(ids(&s, &a2, "view=shared").await, set(&[&w.shared]));

        // staff-a1: A1's items.
        let a1 = token("staff-a1").await;
        assert_eq!(ids(&s, &a1, "").await, set(&[&w.a1, &w.by_head]));
        assert_eq!(
            ids(&s, &a1, "view=responsible").await,
            set(&[&w.a1, &w.by_head])
        );

        // head-a: A's and A1's items; A1's are the subordinates'; one created.
        let ha = token("head-a").await;
        assert_eq!(
            ids(&s, &ha, "").await,
            set(&[&w.a_named, &w.a_whole, &w.a1, &w.shared, &w.by_head, &w.hotline])
        );
        assert_eq!(ids(&s, &ha, "view=created").await, set(&[&w.by_head]));
        assert_eq!(
            ids(&s, &ha, "view=subordinates").await,
            set(&[&w.a1, &w.by_head])
        );
        assert_eq!(ids(&s, &ha, "view=department").await, a_items);
        assert_eq!(ids(&s, &ha, "view=responsible").await, set(&[&w.a_whole]));

        // deputy (in charge of A): reads everything; follows B's item; A and A1 are hers.
        let dep = token("deputy").await;
        let everything: BTreeSet<String> = w.all().into_iter().map(str::to_owned).collect();
        assert_eq!(ids(&s, &dep, "").await, everything);
        assert_eq!(ids(&s, &dep, "view=followed").await, set(&[&w.b]));
        assert_eq!(
            ids(&s, &dep, "view=subordinates").await,
            set(&[&w.a_named, &w.a_whole, &w.a1, &w.shared, &w.by_head, &w.hotline])
        );
        assert!(ids(&s, &dep, "view=instructed").await.is_empty());

        // leader: instructed one; the main leader's subordinates are everything.
        let leader = token("leader").await;
        assert_eq!(
            ids(&s, &leader, "view=instructed").await,
            set(&[&w.instructed])
        );
        assert_eq!(ids(&s, &leader, "view=subordinates").await, everything);

        // supervisor: created all but head-a's.
        let sup = token("supervisor").await;
        assert_eq!(ids(&s, &sup, "").await, everything);
        let mut created = everything.clone();
        created.remove(&w.by_head);
        assert_eq!(ids(&s, &sup, "view=created").await, created);
        assert!(ids(&s, &sup, "view=department").await.is_empty());

        // staff-b and head-b: only B's items.
        let b_items = set(&[&w.b, &w.instructed]);
        let sb = token("staff-b").await;
        assert_eq!(ids(&s, &sb, "").await, b_items);
        assert_eq!(ids(&s, &sb, "view=department").await, b_items);
        assert_eq!(ids(&s, &sb, "view=responsible").await, b_items);
        let hb = token("head-b").await;
        assert_eq!(ids(&s, &hb, "").await, b_items);
        assert!(ids(&s, &hb, "view=subordinates").await.is_empty());
    }
);

both!(
    filters_select_by_status_category_unit_urgency_date_text_and_light,
    |s: Server| async move {
        let w = world(&s).await;
        let sup = s.login("supervisor").await;
        let f = &w.f;

        assert_eq!(ids(&s, &sup, "status=draft").await, set(&[&w.draft]));
        assert_eq!(ids(&s, &sup, "status=completed").await, set(&[&w.a_named]));
        assert_eq!(
            ids(&s, &sup, "status=in_progress").await,
            set(&[&w.a_whole, &w.shared, &w.hotline])
        );
        assert_eq!(
            ids(&s, &sup, "status=dispatched,draft").await,
            set(&[&w.a1, &w.b, &w.by_head, &w.instructed, &w.draft])
        );
        assert_eq!(ids(&s, &sup, "category=hotline").await, set(&[&w.hotline]));
        assert_eq!(
            ids(&s, &sup, "category=hotline,annual_key_work").await,
            set(&[&w.hotline, &w.draft])
        );
        // A unit includes its sub-units.
        assert_eq!(
            ids(&s, &sup, &format!("unit={}", f.unit_a)).await,
            set(&[&w.a_named, &w.a_whole, &w.a1, &w.shared, &w.by_head, &w.hotline])
        );
        assert_eq!(
            ids(&s, &sup, &format!("unit={}", f.unit_a1)).await,
            set(&[&w.a1, &w.by_head])
        );
        assert_eq!(
            ids(&s, &sup, &format!("unit={}&status=dispatched", f.unit_a)).await,
            set(&[&w.a1, &w.by_head])
        );
        assert_eq!(ids(&s, &sup, "urgency=urgent").await, set(&[&w.a_whole]));
        assert!(ids(&s, &sup, "urgency=extra_urgent").await.is_empty());

        // Creation dates in local time: a window around today holds everything.
        let today = (Utc::now() + Duration::hours(8)).date_naive();
        let day = |d: i64| (today + Duration::days(d)).format("%Y-%m-%d").to_string();
        assert_eq!(
            ids(&s, &sup, &format!("from={}&to={}", day(-1), day(1)))
                .await
                .len(),
            9
        );
        assert!(ids(&s, &sup, &format!("from={}", day(2))).await.is_empty());
        assert!(ids(&s, &sup, &format!("to={}", day(-2))).await.is_empty());
        // Deadlines: B's falls due on 2030-06-14 (local), and on no other day.
        assert_eq!(
            ids(
                &s,
                &sup,
                "date_field=deadline&from=2030-06-01&to=2030-06-14"
            )
            .await,
            set(&[&w.b])
        );
        assert_eq!(
            ids(
                &s,
                &sup,
                "date_field=deadline&from=2030-06-14&to=2030-06-14"
            )
            .await,
            set(&[&w.b])
        );
        assert!(ids(&s, &sup, "date_field=deadline&from=2030-06-15")
            .await
            .is_empty());
        assert_eq!(
            ids(&s, &sup, &format!("date_field=deadline&to={}", day(40)))
                .await
                .len(),
            7,
            "every dispatched item but B's"
        );

        // Text in the title (case-insensitive for Latin letters) or the number.
        assert_eq!(ids(&s, &sup, "q=路灯").await, set(&[&w.hotline]));
        assert_eq!(ids(&s, &sup, "q=urgent%20road").await, set(&[&w.a_whole]));
        assert_eq!(
            ids(&s, &sup, "q=%E7%83%AD%E3%80%94").await,
            set(&[&w.hotline])
        );
        assert!(ids(&s, &sup, "q=%25%25").await.is_empty(), "% is literal");

        // Lights: urgent is near its deadline; the draft has none; the rest are green.
        assert_eq!(ids(&s, &sup, "light=yellow").await, set(&[&w.a_whole]));
        assert_eq!(ids(&s, &sup, "light=none").await, set(&[&w.draft]));
        assert_eq!(ids(&s, &sup, "light=green").await.len(), 7);
        assert!(ids(&s, &sup, "light=red").await.is_empty());
        assert_eq!(
            ids(&s, &sup, "light=yellow,none").await,
            set(&[&w.a_whole, &w.draft])
        );

        // A filter never widens what a person may read.
        let sb = s.login("staff-b").await;
        assert!(ids(&s, &sb, &format!("unit={}", f.unit_a)).await.is_empty());
        assert!(ids(&s, &sb, "category=hotline").await.is_empty());
        assert!(ids(&s, &sb, "q=路灯").await.is_empty());
    }
);

both!(pages_and_sorting, |s: Server| async move {
    let w = world(&s).await;
    let sup = s.login("supervisor").await;

    let mut seen = Vec::new();
    for page in 1..=5 {
        let r = s
            .get(&sup, &format!("/api/v1/tasks?per_page=2&page={page}"))
            .await
            .expect(200);
        assert_eq!(r["total"], 9);
        assert_eq!(r["page"], page);
        assert_eq!(r["per_page"], 2);
        let items = r["items"].as_array().unwrap();
        assert_eq!(items.len(), if page == 5 { 1 } else { 2 });
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
    }
    let distinct: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(distinct.len(), 9, "pages do not overlap");
    let r = s
        .get(&sup, "/api/v1/tasks?per_page=2&page=6")
        .await
        .expect(200);
    assert_eq!(r["total"], 9);
    assert!(r["items"].as_array().unwrap().is_empty());

    // Default order: last updated first; the draft was written last.
    let r = s.get(&sup, "/api/v1/tasks").await.expect(200);
    assert_eq!(r["per_page"], 20);
    assert_eq!(r["items"][0]["id"], json!(w.draft));
    let updated: Vec<chrono::DateTime<Utc>> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["updated_at"].as_str().unwrap().parse().unwrap())
        .collect();
    let mut sorted = updated.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(updated, sorted);

    // By deadline: the urgent one first, then … B's (2030), then the draft (none).
    let r = s.get(&sup, "/api/v1/tasks?sort=deadline").await.expect(200);
    let order: Vec<&str> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(order.len(), 9);
    assert_eq!(order[0], w.a_whole);
    assert_eq!(order[7], w.b);
    assert_eq!(order[8], w.draft);
    let r = s
        .get(&sup, "/api/v1/tasks?sort=deadline&order=desc")
        .await
        .expect(200);
    assert_eq!(r["items"][0]["id"], json!(w.b));
    assert_eq!(r["items"][8]["id"], json!(w.draft), "no deadline: last");

    // Paging after a filter computed in Rust.
    let r = s
        .get(&sup, "/api/v1/tasks?light=green&per_page=3&page=3")
        .await
        .expect(200);
    assert_eq!(r["total"], 7);
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
});

both!(a_summary_carries_its_figures, |s: Server| async move {
    let w = world(&s).await;
    let sup = s.login("supervisor").await;
    let r = s
        .get(
            &sup,
            "/api/v1/tasks?q=%E7%94%B2%E5%8D%95%E4%BD%8D%E6%95%B4%E4%BD%93",
        )
        .await
        .expect(200);
    let item = &r["items"][0];
    assert_eq!(item["id"], json!(w.a_whole));
    assert_eq!(item["status"], "in_progress");
    assert_eq!(item["status_zh"], "办理中");
    assert_eq!(item["status_en"], "in progress");
    assert_eq!(item["category"], "meeting_decision");
    assert_eq!(item["category_zh"], "议定事项");
    assert_eq!(item["urgency"], "urgent");
    assert_eq!(item["visibility"], "internal");
    assert_eq!(item["lead_unit"]["id"], json!(w.f.unit_a));
    assert_eq!(item["lead_unit"]["name"], "交通运输局");
    assert_eq!(item["lead_user"], Value::Null);
    assert!(item["number"].as_str().unwrap().starts_with("议〔"));
    assert!(item["deadline"].is_string());
    assert_eq!(item["deadline"], item["effective_deadline"]);
    assert_eq!(item["light"]["colour"], "yellow");
    assert_eq!(item["light"]["code"], "light.near_deadline");
    assert_eq!(item["progress"], 0);
    assert_eq!(item["reports"], 0);
    assert_eq!(item["urges"], 0);
    assert!(item["created_at"].is_string() && item["updated_at"].is_string());

    let r = s
        .get(&sup, "/api/v1/tasks?status=completed")
        .await
        .expect(200);
    let done = &r["items"][0];
    assert_eq!(done["lead_user"]["id"], json!(w.f.staff_a));
    assert_eq!(done["lead_user"]["name"], "staff-a");
    assert_eq!(done["progress"], 100);
    assert_eq!(done["reports"], 1);
    assert_eq!(done["light"]["code"], "light.on_time");
});

both!(
    detail_shows_the_item_and_its_trail_only_to_readers,
    |s: Server| async move {
        let w = world(&s).await;
        let sup = s.login("supervisor").await;
        let d = s
            .get(&sup, &format!("/api/v1/tasks/{}", w.a_named))
            .await
            .expect(200);
        assert_eq!(d["id"], json!(w.a_named));
        assert_eq!(d["status"], "completed");
        assert_eq!(d["state"]["status"], "completed");
        assert_eq!(d["state"]["lead"]["user"], json!(w.f.staff_a));
        assert_eq!(d["quality_card"]["code"], "card.good");
        assert!(d["score"]["total"].as_f64().is_some(), "{d}");
        assert_eq!(d["score"]["base"], 100.0);
        let trail = d["trail"].as_array().unwrap();
        let kinds: Vec<&str> = trail
            .iter()
            .map(|e| e["event"]["kind"]["event"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.first(), Some(&"registered"));
        assert_eq!(trail.len(), 5, "{kinds:?}");
        for (i, e) in trail.iter().enumerate() {
            assert_eq!(e["task_seq"], i as u64 + 1);
            assert_eq!(e["hash"].as_str().unwrap().len(), 64);
        }
        assert!(d.get("confidential").is_none(), "no confidential fields");

        // Not completed yet: no score.
        let d = s
            .get(&sup, &format!("/api/v1/tasks/{}", w.a1))
            .await
            .expect(200);
        assert_eq!(d["score"], Value::Null);

        // staff-b may read B's items and not A's: 404 as for an item that does not exist.
        let sb = s.login("staff-b").await;
        s.get(&sb, &format!("/api/v1/tasks/{}", w.b))
            .await
            .expect(200);
        for t in [&w.a_named, &w.hotline, &w.a1, &w.draft] {
            s.get(&sb, &format!("/api/v1/tasks/{t}"))
                .await
                .error(404, "not_found");
        }
        s.get(&sb, &format!("/api/v1/tasks/{}", tid()))
            .await
            .error(404, "not_found");
        s.get(&sb, "/api/v1/tasks/not-an-id")
            .await
            .error(404, "not_found");
        s.call(reqwest::Method::GET, "/api/v1/tasks", None, None)
            .await
            .error(401, "auth.unauthorized");
    }
);

both!(
    confidential_attributes_reach_only_those_who_must_see_them,
    |s: Server| async move {
        let w = world(&s).await;
        let path = format!("/api/v1/tasks/{}", w.hotline);
        for who in ["supervisor", "staff-a", "head-a", "leader", "inspector"] {
            let t = s.login(who).await;
            let d = s.get(&t, &path).await.expect(200);
            assert_eq!(d["confidential"]["caller_phone"], CALLER_PHONE, "{who}");
            assert_eq!(d["confidential"]["caller_name"], CALLER_NAME, "{who}");
        }
        // Readers who must not see them: a colleague, the deputy leader not involved.
        for who in ["staff-a2", "deputy"] {
            let t = s.login(who).await;
            let d = s.get(&t, &path).await.expect(200);
            assert!(d.get("confidential").is_none(), "{who}: {d}");
            let text = d.to_string();
            assert!(!text.contains(CALLER_PHONE), "{who}: {text}");
            assert!(!text.contains(CALLER_NAME), "{who}");
            assert!(
                text.contains("人民路"),
                "other attributes stay in the trail"
            );
            let list = s
                .get(&t, "/api/v1/tasks?category=hotline")
                .await
                .expect(200);
            assert_eq!(list["total"], 1);
            assert!(!list.to_string().contains(CALLER_PHONE));
        }
        // staff-b may not even read the item.
        let sb = s.login("staff-b").await;
        s.get(&sb, &path).await.error(404, "not_found");

        // Once shared with staff-a2, she handles it and sees them.
        let a = s.login("staff-a").await;
        s.ok(
            &a,
            simple(&w.hotline, "share", json!({"with": [w.f.staff_a2]})),
        )
        .await;
        let a2 = s.login("staff-a2").await;
        let d = s.get(&a2, &path).await.expect(200);
        assert_eq!(d["confidential"]["caller_phone"], CALLER_PHONE);
        // The list never carries them, even to those who may see them.
        let sup = s.login("supervisor").await;
        let list = s.get(&sup, "/api/v1/tasks").await.expect(200);
        assert!(!list.to_string().contains(CALLER_PHONE));
    }
);

both!(
    bad_parameters_are_refused_with_a_code,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        for (query, code) in [
            ("view=bogus", "query.bad_view"),
            ("status=bogus", "query.bad_filter"),
            ("status=draft,Done", "query.bad_filter"),
            ("category=nope", "query.bad_filter"),
            ("urgency=very", "query.bad_filter"),
            ("unit=not-a-uuid", "query.bad_filter"),
            ("light=purple", "query.bad_filter"),
            ("from=2026-13-01", "query.bad_filter"),
            ("from=2026-06-02&to=2026-06-01", "query.bad_filter"),
            ("date_field=due", "query.bad_filter"),
            ("sort=title", "query.bad_filter"),
            ("order=up", "query.bad_filter"),
            ("page=0", "query.bad_filter"),
            ("per_page=0", "query.bad_filter"),
            ("per_page=201", "query.bad_filter"),
            ("page=abc", "request.bad_query"),
            ("colour=red", "request.bad_query"),
        ] {
            let r = s.get(&sup, &format!("/api/v1/tasks?{query}")).await;
            assert_eq!(r.status, 400, "{query}: {}", r.body);
            assert_eq!(r.body["code"], code, "{query}: {}", r.body);
        }
        // An unknown unit id is refused too.
        s.get(&sup, &format!("/api/v1/tasks?unit={}", tid()))
            .await
            .error(400, "query.bad_filter");
        s.get(&sup, &format!("/api/v1/tasks?unit={}", f.unit_a))
            .await
            .expect(200);
        // The same checks on the statistics.
        s.get(&sup, "/api/v1/stats?view=bogus")
            .await
            .error(400, "query.bad_view");
        s.get(&sup, "/api/v1/stats?status=bogus")
            .await
            .error(400, "query.bad_filter");
        s.get(&sup, "/api/v1/stats?page=1")
            .await
            .error(400, "request.bad_query");
    }
);

fn bucket(stats: &Value, by: &str, key: &str) -> Option<u64> {
    stats[by]
        .as_array()
        .expect(by)
        .iter()
        .find(|b| b["key"] == key)
        .map(|b| b["count"].as_u64().unwrap())
}

fn sum(stats: &Value, by: &str) -> u64 {
    stats[by]
        .as_array()
        .expect(by)
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum()
}

both!(
    stats_count_what_the_person_may_read,
    |s: Server| async move {
        let w = world(&s).await;
        let f = &w.f;
        let sup = s.login("supervisor").await;
        let st = s.get(&sup, "/api/v1/stats").await.expect(200);
        assert_eq!(st["total"], 9);
        for by in [
            "by_status",
            "by_category",
            "by_urgency",
            "by_unit",
            "by_person",
            "by_light",
        ] {
            assert_eq!(sum(&st, by), 9, "{by}: {st}");
        }
        assert_eq!(bucket(&st, "by_status", "in_progress"), Some(3));
        assert_eq!(bucket(&st, "by_status", "dispatched"), Some(4));
        assert_eq!(bucket(&st, "by_status", "completed"), Some(1));
        assert_eq!(bucket(&st, "by_status", "draft"), Some(1));
        let draft = st["by_status"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["key"] == "draft")
            .unwrap();
        assert_eq!(draft["zh"], "草稿");
        assert_eq!(bucket(&st, "by_category", "hotline"), Some(1));
        assert_eq!(bucket(&st, "by_category", "meeting_decision"), Some(7));
        assert_eq!(bucket(&st, "by_category", "annual_key_work"), Some(1));
        let hotline = st["by_category"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["key"] == "hotline")
            .unwrap();
        assert_eq!(hotline["zh"], "12345热线工单");
        assert_eq!(bucket(&st, "by_urgency", "urgent"), Some(1));
        assert_eq!(bucket(&st, "by_urgency", "normal"), Some(8));
        assert_eq!(bucket(&st, "by_unit", &f.unit_a.to_string()), Some(4));
        assert_eq!(bucket(&st, "by_unit", &f.unit_a1.to_string()), Some(2));
        assert_eq!(bucket(&st, "by_unit", &f.unit_b.to_string()), Some(2));
        assert_eq!(bucket(&st, "by_unit", "none"), Some(1));
        assert_eq!(bucket(&st, "by_person", &f.staff_a.to_string()), Some(3));
        assert_eq!(bucket(&st, "by_person", &f.staff_a1.to_string()), Some(1));
        assert_eq!(bucket(&st, "by_person", "none"), Some(5));
        assert_eq!(st["by_person"][0]["key"], json!(f.staff_a), "most first");
        assert_eq!(bucket(&st, "by_light", "green"), Some(7));
        assert_eq!(bucket(&st, "by_light", "yellow"), Some(1));
        assert_eq!(bucket(&st, "by_light", "none"), Some(1));
        assert_eq!(bucket(&st, "by_light", "red"), None);
        assert_eq!(st["overdue"], 0);
        assert_eq!(st["escalated"], 0);
        // One item completed (accepted, on time); nothing else has fallen due.
        assert_eq!(st["completion"]["due"], 1);
        assert_eq!(st["completion"]["on_time"], 1);
        assert_eq!(st["completion"]["percent"], 100.0);

        // Filters apply as on the list.
        let st = s
            .get(&sup, &format!("/api/v1/stats?unit={}", f.unit_a))
            .await
            .expect(200);
        assert_eq!(st["total"], 6);
        let st = s
            .get(&sup, "/api/v1/stats?view=created&status=draft")
            .await
            .expect(200);
        assert_eq!(st["total"], 1);

        // staff-b counts only B's items.
        let sb = s.login("staff-b").await;
        let st = s.get(&sb, "/api/v1/stats").await.expect(200);
        assert_eq!(st["total"], 2);
        assert_eq!(bucket(&st, "by_unit", &f.unit_b.to_string()), Some(2));
        assert_eq!(st["by_unit"].as_array().unwrap().len(), 1);
        assert_eq!(bucket(&st, "by_category", "hotline"), None);
        assert_eq!(bucket(&st, "by_status", "dispatched"), Some(2));
        assert_eq!(st["completion"]["due"], 0);
        assert_eq!(st["completion"]["percent"], Value::Null);
        let text = st.to_string();
        assert!(!text.contains(&f.unit_a.to_string()));
        assert!(!text.contains(&f.staff_a.to_string()));

        // staff-a: A's four items.
        let a = s.login("staff-a").await;
        let st = s.get(&a, "/api/v1/stats").await.expect(200);
        assert_eq!(st["total"], 4);
        assert_eq!(bucket(&st, "by_unit", &f.unit_b.to_string()), None);
    }
);

both!(
    a_parent_shows_the_progress_of_its_subtasks,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = s.login("supervisor").await;
        let a = s.login("staff-a").await;
        let a2 = s.login("staff-a2").await;
        let (parent, child) = (tid(), tid());
        s.ok(&sup, register(&parent, "分解的事项")).await;
        s.ok(&sup, dispatch(&parent, f.unit_a, Some(f.staff_a)))
            .await;
        s.ok(&a, simple(&parent, "receive", json!({}))).await;
        s.ok(
            &a,
            simple(
                &parent,
                "decompose",
                json!({
                    "child": child,
                    "number": {"prefix": "议", "year": 2026, "seq": 1},
                    "title": "子事项",
                    "content": "分解落实",
                    "lead": {"unit": f.unit_a, "user": f.staff_a2},
                    "deadline": null
                }),
            ),
        )
        .await;
        s.ok(&a2, simple(&child, "receive", json!({}))).await;
        s.ok(
            &a2,
            simple(
                &child,
                "report_progress",
                json!({
                    "report": {"id": tid(), "text": "完成一半", "evidence": []},
                    "percent": 50, "milestone": null, "answers": null
                }),
            ),
        )
        .await;
        let d = s
            .get(&sup, &format!("/api/v1/tasks/{parent}"))
            .await
            .expect(200);
        assert_eq!(d["subtasks"], 1);
        assert_eq!(d["progress"], 50, "rolled up from the subtask");
        assert_eq!(d["state"]["progress"], 0, "its own progress");
        let r = s.get(&a, "/api/v1/tasks").await.expect(200);
        let child_row = r["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == json!(child))
            .expect("the subtask is listed");
        assert_eq!(child_row["parent"], json!(parent));
        assert_eq!(child_row["progress"], 50);
        assert_eq!(child_row["reports"], 1);
    }
);
