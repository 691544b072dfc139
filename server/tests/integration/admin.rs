//! The admin API: units and accounts written through it reach everyone's feed (without
//! password hashes or phone numbers), refusals change nothing, only administrators get in
//! (the admin rows of the authorization matrix), and policy and calendar changes travel in the
//! feed.

use duban_core::domain::Policy;
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::*;

const PHONE: &str = "13912345678";

fn references<'a>(changes: &'a [Value], entity: &str) -> Vec<&'a Value> {
    changes
        .iter()
        .filter(|c| c["type"] == "reference" && c["entity"] == entity)
        .collect()
}

async fn put(s: &Server, token: &str, path: &str, body: Value) -> Reply {
    s.call(Method::PUT, path, Some(token), Some(body)).await
}

both!(
    a_unit_and_an_account_made_by_the_admin_reach_everyone,
    |s: Server| async move {
        let f = s.fixture().await;
        let admin = s.login("admin").await;
        let other = s.login("staff-b").await;
        let after = s.get(&other, "/api/v1/sync/pull?after=0").await.expect(200)["next"]
            .as_i64()
            .unwrap();

        let unit = s
            .post(
                &admin,
                "/api/v1/admin/units",
                json!({"parent": f.root, "name": " 应急管理局 ", "name_en": "Emergency Management", "sort": 7}),
            )
            .await
            .expect(201);
        let unit_id = unit["id"]
            .as_str()
            .expect("the server made an id")
            .to_owned();
        assert_eq!(unit["name"], "应急管理局", "the name is trimmed");
        assert_eq!(unit["parent"], json!(f.root));
        assert_eq!(unit["sort"], 7);

        let user = s
            .post(
                &admin,
                "/api/v1/admin/users",
                json!({
                    "username": "staff-c", "name": "新同事", "unit": unit_id,
                    "position": "科员", "roles": ["staff"], "phone": PHONE,
                    "password": "a-new-password"
                }),
            )
            .await
            .expect(201);
        let user_id = user["id"]
            .as_str()
            .expect("the server made an id")
            .to_owned();
        assert_eq!(user["username"], "staff-c");
        assert_eq!(user["unit"], json!(unit_id));
        assert_eq!(user["phone"], PHONE, "the admin sees the phone number");
        assert_eq!(user["failed_logins"], 0);
        assert_eq!(user["locked_until"], Value::Null);
        assert_eq!(user["active"], true);
        let text = user.to_string();
        assert!(
            !text.contains("argon2") && !text.contains("password"),
            "{text}"
        );

        // The new person signs in with the password the admin gave.
        let token = s
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "staff-c", "password": "a-new-password"})),
            )
            .await
            .expect(200)["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let me = s.get(&token, "/api/v1/auth/me").await.expect(200);
        assert_eq!(me["id"], json!(user_id));

        // Everyone else learns of both through the feed, without hash or phone.
        let changes = s.pull_all(&other, after).await;
        let units = references(&changes, "unit");
        assert_eq!(units.len(), 1, "{changes:?}");
        assert_eq!(units[0]["data"]["id"], json!(unit_id));
        assert_eq!(units[0]["data"]["name_en"], "Emergency Management");
        let people = references(&changes, "person");
        assert_eq!(people.len(), 1, "{changes:?}");
        assert_eq!(people[0]["data"]["id"], json!(user_id));
        assert_eq!(people[0]["data"]["username"], "staff-c");
        let text = serde_json::to_string(&s.pull_all(&other, 0).await).unwrap();
        assert!(!text.contains("argon2"), "no password hash in the feed");
        assert!(!text.contains(PHONE), "no phone number in the feed");
        let snapshot = s.get(&other, "/api/v1/sync/snapshot").await.expect(200);
        let text = snapshot.to_string();
        assert!(text.contains(&unit_id) && text.contains(&user_id));
        assert!(!text.contains("argon2") && !text.contains(PHONE));

        // The admin's lists.
        let units = s.get(&admin, "/api/v1/admin/units").await.expect(200);
        assert_eq!(units.as_array().unwrap().len(), 6);
        let users = s.get(&admin, "/api/v1/admin/users").await.expect(200);
        let users = users.as_array().unwrap();
        assert_eq!(users.len(), 12);
        let c = users.iter().find(|u| u["username"] == "staff-c").unwrap();
        assert_eq!(c["phone"], PHONE);
        let text = serde_json::to_string(users).unwrap();
        assert!(!text.contains("argon2") && !text.contains("password_hash"));

        // Renaming: 200 with the record; an unknown unit is 404.
        let renamed = put(
            &s,
            &admin,
            &format!("/api/v1/admin/units/{unit_id}"),
            json!({"parent": f.root, "name": "应急局"}),
        )
        .await
        .expect(200);
        assert_eq!(renamed["name"], "应急局");
        assert_eq!(renamed["id"], json!(unit_id));
        put(
            &s,
            &admin,
            &format!("/api/v1/admin/units/{}", uuid::Uuid::new_v4()),
            json!({"parent": f.root, "name": "无此单位"}),
        )
        .await
        .error(404, "not_found");
        put(
            &s,
            &admin,
            &format!("/api/v1/admin/units/{unit_id}"),
            json!({"id": f.unit_b, "parent": f.root, "name": "应急局"}),
        )
        .await
        .error(422, "request.id_mismatch");
        // Creating over an existing id is a conflict, not an update.
        s.post(
            &admin,
            "/api/v1/admin/units",
            json!({"id": f.unit_b, "parent": f.root, "name": "教育局"}),
        )
        .await
        .error(409, "org.id_taken");
        put(
            &s,
            &admin,
            &format!("/api/v1/admin/users/{}", uuid::Uuid::new_v4()),
            json!({"username": "ghost", "name": "无此人", "unit": f.unit_b, "roles": ["staff"]}),
        )
        .await
        .error(404, "not_found");
    }
);

both!(
    a_unit_cannot_go_under_itself_or_its_own_sub_unit,
    |s: Server| async move {
        let f = s.fixture().await;
        let admin = s.login("admin").await;
        let before = s.changes_count().await;
        let path = format!("/api/v1/admin/units/{}", f.unit_a);
        put(
            &s,
            &admin,
            &path,
            json!({"parent": f.unit_a1, "name": "交通运输局"}),
        )
        .await
        .error(422, "org.cycle");
        put(
            &s,
            &admin,
            &path,
            json!({"parent": f.unit_a, "name": "交通运输局"}),
        )
        .await
        .error(422, "org.cycle");
        put(
            &s,
            &admin,
            &path,
            json!({"parent": uuid::Uuid::new_v4(), "name": "交通运输局"}),
        )
        .await
        .error(422, "org.unknown_unit");
        put(&s, &admin, &path, json!({"parent": f.root, "name": "  "}))
            .await
            .error(422, "org.bad_name");
        assert_eq!(s.changes_count().await, before, "nothing was written");
        let units = s.get(&admin, "/api/v1/admin/units").await.expect(200);
        let a = units
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == json!(f.unit_a))
            .unwrap()
            .clone();
        assert_eq!(a["parent"], json!(f.root));

        // A real move is accepted, and tells every device to resync.
        let other = s.login("staff-b").await;
        let after = s.get(&other, "/api/v1/sync/pull?after=0").await.expect(200)["next"]
            .as_i64()
            .unwrap();
        put(
            &s,
            &admin,
            &format!("/api/v1/admin/units/{}", f.unit_a1),
            json!({"parent": f.unit_b, "name": "公路股"}),
        )
        .await
        .expect(200);
        let changes = s.pull_all(&other, after).await;
        assert_eq!(references(&changes, "unit").len(), 1, "{changes:?}");
        assert!(changes.iter().any(|c| c["type"] == "resync"), "{changes:?}");
        // …and now B, A1's new parent, cannot go under A1.
        put(
            &s,
            &admin,
            &format!("/api/v1/admin/units/{}", f.unit_b),
            json!({"parent": f.unit_a1, "name": "教育局"}),
        )
        .await
        .error(422, "org.cycle");
    }
);

both!(account_refusals_change_nothing, |s: Server| async move {
    let f = s.fixture().await;
    let admin = s.login("admin").await;
    let before = s.changes_count().await;
    let new = |username: &str| json!({"username": username, "name": "某人", "unit": f.unit_b, "roles": ["staff"], "password": "long-enough-1"});
    s.post(&admin, "/api/v1/admin/users", new("staff-a"))
        .await
        .error(409, "org.username_taken");
    let mut weak = new("weak");
    weak["password"] = json!("short");
    s.post(&admin, "/api/v1/admin/users", weak)
        .await
        .error(422, "auth.weak_password");
    let mut none = new("nopass");
    none.as_object_mut().unwrap().remove("password");
    s.post(&admin, "/api/v1/admin/users", none)
        .await
        .error(422, "org.password_required");
    s.post(&admin, "/api/v1/admin/users", new("Upper Case"))
        .await
        .error(422, "org.bad_username");
    let mut system = new("robot");
    system["roles"] = json!(["system"]);
    s.post(&admin, "/api/v1/admin/users", system)
        .await
        .error(422, "org.bad_roles");
    let mut again = new("again");
    again["id"] = json!(f.staff_b);
    s.post(&admin, "/api/v1/admin/users", again)
        .await
        .error(409, "org.id_taken");
    // Renaming someone to a taken username.
    put(
        &s,
        &admin,
        &format!("/api/v1/admin/users/{}", f.staff_b),
        json!({"username": "staff-a", "name": "staff-b", "unit": f.unit_b, "roles": ["staff"]}),
    )
    .await
    .error(409, "org.username_taken");
    // The last administrator cannot switch themselves off.
    put(
            &s,
            &admin,
            &format!("/api/v1/admin/users/{}", f.admin),
            json!({"username": "admin", "name": "admin", "unit": f.office, "roles": ["admin"], "active": false}),
        )
        .await
        .error(422, "org.last_admin");
    put(
        &s,
        &admin,
        &format!("/api/v1/admin/users/{}", f.admin),
        json!({"username": "admin", "name": "admin", "unit": f.office, "roles": ["supervisor"]}),
    )
    .await
    .error(422, "org.last_admin");
    assert_eq!(s.changes_count().await, before, "nothing was written");
    s.get(&admin, "/api/v1/admin/users").await.expect(200);

    // Changing an account keeps its username free for itself.
    let changed = put(
            &s,
            &admin,
            &format!("/api/v1/admin/users/{}", f.staff_b),
            json!({"username": "staff-b", "name": "乙局办事员", "unit": f.unit_b, "roles": ["staff"], "phone": PHONE}),
        )
        .await
        .expect(200);
    assert_eq!(changed["name"], "乙局办事员");
    assert_eq!(changed["phone"], PHONE);
    s.login("staff-b").await;
});

both!(
    only_administrators_reach_the_admin_api,
    |s: Server| async move {
        let f = s.fixture().await;
        let policy = serde_json::to_value(Policy::default()).unwrap();
        let year = json!({"year": 2027, "source": null, "days": [
            {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "name_en": "New Year's Day"}
        ]});
        let staff_b = format!("/api/v1/admin/users/{}", f.staff_b);
        let endpoints: Vec<(Method, String, Option<Value>, u16)> = vec![
            (Method::GET, "/api/v1/admin/units".into(), None, 200),
            (
                Method::POST,
                "/api/v1/admin/units".into(),
                Some(json!({"parent": f.root, "name": "新单位"})),
                201,
            ),
            (
                Method::PUT,
                format!("/api/v1/admin/units/{}", f.unit_b),
                Some(json!({"parent": f.root, "name": "教育体育局"})),
                200,
            ),
            (Method::GET, "/api/v1/admin/users".into(), None, 200),
            (
                Method::POST,
                "/api/v1/admin/users".into(),
                Some(
                    json!({"username": "newcomer", "name": "新人", "unit": f.unit_b,
                        "roles": ["staff"], "password": "long-enough-1"}),
                ),
                201,
            ),
            (
                Method::PUT,
                staff_b.clone(),
                Some(
                    json!({"username": "staff-b", "name": "staff-b", "unit": f.unit_b,
                        "roles": ["staff"], "password": "another-password"}),
                ),
                200,
            ),
            (Method::POST, format!("{staff_b}/unlock"), None, 200),
            (
                Method::POST,
                format!("{staff_b}/sessions/revoke"),
                None,
                200,
            ),
            (
                Method::POST,
                format!("{staff_b}/sessions/revoke"),
                Some(json!({"device": "phone"})),
                200,
            ),
            (Method::GET, "/api/v1/admin/policy".into(), None, 200),
            (
                Method::PUT,
                "/api/v1/admin/policy".into(),
                Some(policy),
                200,
            ),
            (Method::GET, "/api/v1/admin/calendar/2026".into(), None, 200),
            (
                Method::PUT,
                "/api/v1/admin/calendar/2027".into(),
                Some(year),
                200,
            ),
        ];
        let roles = [
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
        let before = s.changes_count().await;
        for username in roles {
            let token = s.login(username).await;
            for (method, path, body, _) in &endpoints {
                let r = s
                    .call(method.clone(), path, Some(&token), body.clone())
                    .await;
                assert_eq!(r.status, 403, "{username} {method} {path}: {}", r.body);
                r.error(403, "perm.denied");
            }
        }
        for (method, path, body, _) in &endpoints {
            s.call(method.clone(), path, None, body.clone())
                .await
                .error(401, "auth.unauthorized");
            s.call(
                method.clone(),
                path,
                Some("dbn_not-a-real-token"),
                body.clone(),
            )
            .await
            .error(401, "auth.unauthorized");
        }
        assert_eq!(s.changes_count().await, before, "no refusal wrote anything");
        // Even a refused body is not read before the role is checked.
        let staff = s.login("staff-a").await;
        s.call(
            Method::PUT,
            "/api/v1/admin/policy",
            Some(&staff),
            Some(json!({"not": "a policy"})),
        )
        .await
        .error(403, "perm.denied");

        // The administrator reaches every one of them.
        let admin = s.login("admin").await;
        for (method, path, body, status) in &endpoints {
            let r = s
                .call(method.clone(), path, Some(&admin), body.clone())
                .await;
            assert_eq!(r.status, *status, "admin {method} {path}: {}", r.body);
        }
    }
);

both!(
    an_invalid_policy_is_refused_and_changes_nothing,
    |s: Server| async move {
        s.fixture().await;
        let admin = s.login("admin").await;
        let original = s.get(&admin, "/api/v1/admin/policy").await.expect(200);
        assert_eq!(original, serde_json::to_value(Policy::default()).unwrap());
        let before = s.changes_count().await;

        let mut empty = original.clone();
        empty["categories"] = json!([]);
        let mut duplicate = original.clone();
        let first = duplicate["categories"][0].clone();
        duplicate["categories"].as_array_mut().unwrap().push(first);
        let mut card = original.clone();
        card["card"]["red_max_stars"] = json!(5);
        let mut urges = original.clone();
        urges["escalate_after_urges"] = json!(0);
        let mut interval = original.clone();
        interval["urge_interval_hours"] = json!(24 * 366);
        for (bad, code) in [
            (empty, "policy.no_category"),
            (duplicate, "policy.duplicate_category"),
            (card, "policy.out_of_range"),
            (urges, "policy.out_of_range"),
            (interval, "policy.out_of_range"),
        ] {
            let r = put(&s, &admin, "/api/v1/admin/policy", bad).await;
            assert!(r.body["code"].as_str().unwrap().starts_with("policy."));
            r.error(422, code);
        }
        put(
            &s,
            &admin,
            "/api/v1/admin/policy",
            json!({"categories": []}),
        )
        .await
        .error(422, "request.invalid_body");

        assert_eq!(s.changes_count().await, before, "nothing in the feed");
        let stored = s
            .scalar("SELECT COUNT(*) FROM settings WHERE key = 'policy'", vec![])
            .await;
        assert_eq!(stored, 0, "nothing stored");
        assert_eq!(
            s.get(&admin, "/api/v1/admin/policy").await.expect(200),
            original
        );
    }
);

both!(
    a_policy_change_travels_in_the_feed,
    |s: Server| async move {
        s.fixture().await;
        let admin = s.login("admin").await;
        let staff = s.login("staff-a").await;
        let after = s.get(&staff, "/api/v1/sync/pull?after=0").await.expect(200)["next"]
            .as_i64()
            .unwrap();
        let mut policy = s.get(&admin, "/api/v1/admin/policy").await.expect(200);
        policy["deadline_days"]["normal"] = json!(10);
        policy["escalate_after_urges"] = json!(3);
        let answer = put(&s, &admin, "/api/v1/admin/policy", policy.clone())
            .await
            .expect(200);
        assert_eq!(answer, policy);
        assert_eq!(
            s.get(&admin, "/api/v1/admin/policy").await.expect(200),
            policy
        );

        let changes = s.pull_all(&staff, after).await;
        let policies = references(&changes, "policy");
        assert_eq!(policies.len(), 1, "{changes:?}");
        assert_eq!(policies[0]["data"], policy);
        let snapshot = s.get(&staff, "/api/v1/sync/snapshot").await.expect(200);
        assert_eq!(snapshot["policy"]["deadline_days"]["normal"], 10);
        let org = s.state.org.latest(&s.state.db).await.unwrap();
        assert_eq!(org.policy.deadline_days.normal, 10);
        assert_eq!(org.policy.escalate_after_urges, 3);
    }
);

both!(
    a_calendar_year_travels_in_the_feed,
    |s: Server| async move {
        s.fixture().await;
        let admin = s.login("admin").await;
        let staff = s.login("staff-b").await;
        let after = s.get(&staff, "/api/v1/sync/pull?after=0").await.expect(200)["next"]
            .as_i64()
            .unwrap();
        let before = s.changes_count().await;
        // 2027-01-01 is a Friday; 2027-01-04 a Monday; 2027-01-09 a Saturday.
        let day = |date: &str, kind: &str| json!({"date": date, "kind": kind, "name": "元旦", "name_en": "New Year's Day"});
        let year = |days: Vec<Value>| json!({"year": 2027, "days": days});
        put(
            &s,
            &admin,
            "/api/v1/admin/calendar/2027",
            year(vec![day("2027-01-04", "working")]),
        )
        .await
        .error(422, "calendar.working_not_weekend");
        put(
            &s,
            &admin,
            "/api/v1/admin/calendar/2027",
            year(vec![day("2028-01-03", "holiday")]),
        )
        .await
        .error(422, "calendar.year_mismatch");
        put(
            &s,
            &admin,
            "/api/v1/admin/calendar/2027",
            year(vec![
                day("2027-01-01", "holiday"),
                day("2027-01-01", "holiday"),
            ]),
        )
        .await
        .error(422, "calendar.duplicate_day");
        put(
            &s,
            &admin,
            "/api/v1/admin/calendar/2028",
            year(vec![day("2027-01-01", "holiday")]),
        )
        .await
        .error(422, "calendar.year_mismatch");
        s.get(&admin, "/api/v1/admin/calendar/2027")
            .await
            .error(404, "not_found");
        assert_eq!(s.changes_count().await, before, "refusals write nothing");

        let data = year(vec![
            day("2027-01-09", "working"),
            day("2027-01-01", "holiday"),
        ]);
        let stored = put(&s, &admin, "/api/v1/admin/calendar/2027", data)
            .await
            .expect(200);
        assert_eq!(stored["year"], 2027);
        assert_eq!(
            stored["days"][0]["date"], "2027-01-01",
            "days are kept in date order"
        );
        assert_eq!(
            s.get(&admin, "/api/v1/admin/calendar/2027")
                .await
                .expect(200),
            stored
        );

        let changes = s.pull_all(&staff, after).await;
        let years = references(&changes, "calendar");
        assert_eq!(years.len(), 1, "{changes:?}");
        assert_eq!(years[0]["data"], stored);
        let org = s.state.org.latest(&s.state.db).await.unwrap();
        let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!org.calendar.is_working_day(date("2027-01-01")));
        assert!(org.calendar.is_working_day(date("2027-01-09")));
        assert!(!org.calendar.is_provisional(2027));
    }
);

both!(
    two_moves_at_once_cannot_build_a_cycle,
    |s: Server| async move {
        let f = s.fixture().await;
        let admin = s.login("admin").await;
        let path_a = format!("/api/v1/admin/units/{}", f.unit_a);
        let path_b = format!("/api/v1/admin/units/{}", f.unit_b);
        // A under B and B under A, sent together: one is written, the other sees it.
        for _ in 0..5 {
            let (a, b) = tokio::join!(
                put(
                    &s,
                    &admin,
                    &path_a,
                    json!({"parent": f.unit_b, "name": "交通运输局"}),
                ),
                put(
                    &s,
                    &admin,
                    &path_b,
                    json!({"parent": f.unit_a, "name": "教育局"}),
                ),
            );
            let mut statuses = [a.status, b.status];
            statuses.sort();
            assert_eq!(statuses, [200, 422], "{} / {}", a.body, b.body);
            let refused = if a.status == 422 { a } else { b };
            refused.error(422, "org.cycle");
            // Both back under the root for the next round.
            for (unit, name) in [(f.unit_a, "交通运输局"), (f.unit_b, "教育局")] {
                put(
                    &s,
                    &admin,
                    &format!("/api/v1/admin/units/{unit}"),
                    json!({"parent": f.root, "name": name}),
                )
                .await
                .expect(200);
            }
        }
        let org = s.state.org.latest(&s.state.db).await.unwrap();
        assert_eq!(org.unit(f.unit_a).unwrap().parent, Some(f.root));
        assert_eq!(org.unit(f.unit_b).unwrap().parent, Some(f.root));
    }
);
