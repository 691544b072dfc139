//! The first day without the demo and the administrative trail: `duban init` on an empty
//! database, then units and people imported from spreadsheets (one file refused row by row
//! with nothing written), a person signing in and registering an item; every administrative
//! change in a trail that verifies, and breaks when a row is altered or deleted.

use duban_server::auth::Session;
use duban_server::init::{init, NewOrganisation};
use duban_server::org_import::{self, ImportError};
use serde_json::{json, Value};

use crate::support::*;

/// An xlsx file with these rows (the first is the header).
fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *text).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

async fn trail(s: &Server, token: &str) -> Value {
    s.get(token, "/api/v1/admin/trail?limit=1000")
        .await
        .expect(200)
}

both!(
    admin_changes_are_in_a_trail_that_verifies_and_breaks_when_touched,
    |s: Server| async move {
        let f = s.fixture().await;
        let admin = s.login("admin").await;
        let unit = s
            .post(
                &admin,
                "/api/v1/admin/units",
                json!({"parent": f.root, "name": "县住房和城乡建设局", "short_name": "住建局", "aliases": ["建设局"]}),
            )
            .await
            .expect(201);
        assert_eq!(unit["short_name"], "住建局");
        assert_eq!(unit["aliases"], json!(["建设局"]));
        assert_eq!(unit["retired"], false);
        let unit_id = unit["id"].as_str().unwrap().to_owned();
        // An alias another unit already answers to is refused.
        s.post(
            &admin,
            "/api/v1/admin/units",
            json!({"parent": f.root, "name": "另一个局", "aliases": ["住建局"]}),
        )
        .await
        .error(422, "org.name_taken");
        // A move under its own child is refused (the same check as before).
        s.call(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/units/{}", f.unit_a),
            Some(&admin),
            Some(json!({"parent": f.unit_a1, "name": "交通运输局"})),
        )
        .await
        .error(422, "org.cycle");
        s.call(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/units/{unit_id}"),
            Some(&admin),
            Some(json!({"parent": f.root, "name": "县住建局", "short_name": "住建局", "retired": true})),
        )
        .await
        .expect(200);
        // Nothing new under a retired unit, and the organisation itself is never retired.
        s.post(
            &admin,
            "/api/v1/admin/units",
            json!({"parent": unit_id, "name": "城建股"}),
        )
        .await
        .error(422, "org.retired_parent");
        s.call(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/units/{}", f.root),
            Some(&admin),
            Some(json!({"parent": null, "name": "县政府", "retired": true})),
        )
        .await
        .error(422, "org.retire_root");
        let user = s
            .post(
                &admin,
                "/api/v1/admin/users",
                json!({"username": "newbie", "name": "新人", "unit": f.unit_a, "roles": ["staff"], "password": "first-password"}),
            )
            .await
            .expect(201);
        let user_id = user["id"].as_str().unwrap().to_owned();
        let reset = s
            .post(
                &admin,
                &format!("/api/v1/admin/users/{user_id}/password"),
                json!({}),
            )
            .await
            .expect(200);
        let password = reset["password"].as_str().unwrap().to_owned();
        assert_eq!(password.len(), 16);

        // The person signs in with it and is told to change it; changing it clears that.
        let answer = s
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "newbie", "password": password})),
            )
            .await
            .expect(200);
        assert_eq!(answer["must_change_password"], true);
        let token = answer["token"].as_str().unwrap().to_owned();
        s.post(
            &token,
            "/api/v1/auth/password",
            json!({"current": "wrong-password", "new": "my-own-password"}),
        )
        .await
        .error(422, "auth.wrong_password");
        s.post(
            &token,
            "/api/v1/auth/password",
            json!({"current": password, "new": "short"}),
        )
        .await
        .error(422, "auth.weak_password");
        s.post(
            &token,
            "/api/v1/auth/password",
            json!({"current": password, "new": "my-own-password"}),
        )
        .await
        .expect(200);
        let answer = s
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "newbie", "password": "my-own-password"})),
            )
            .await
            .expect(200);
        assert_eq!(answer["must_change_password"], false);

        s.post(
            &admin,
            &format!("/api/v1/admin/users/{user_id}/unlock"),
            json!({}),
        )
        .await
        .expect(200);
        s.call(
            reqwest::Method::PUT,
            &format!("/api/v1/admin/users/{user_id}"),
            Some(&admin),
            Some(json!({"username": "newbie", "name": "新人", "unit": f.unit_a, "roles": ["staff"], "active": false})),
        )
        .await
        .expect(200);

        let t = trail(&s, &admin).await;
        assert_eq!(t["verified"], true, "{t}");
        let kinds: Vec<&str> = t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "unit.create",
                "unit.retire",
                "account.create",
                "account.reset_password",
                "account.unlock",
                "account.deactivate"
            ]
        );
        let rows = t["rows"].as_array().unwrap();
        assert_eq!(rows[1]["before"]["name"], "县住房和城乡建设局");
        assert_eq!(rows[1]["after"]["name"], "县住建局");
        assert!(rows.iter().all(|r| r["actor"] == json!(f.admin)));
        assert!(!t.to_string().contains("argon2"), "no hashes in the trail");
        assert!(
            !t.to_string().contains(&password),
            "no passwords in the trail"
        );

        // Inspectors read it too; others may not.
        let inspector = s.login("inspector").await;
        assert_eq!(trail(&s, &inspector).await["verified"], true);
        let staff = s.login("staff-b").await;
        s.get(&staff, "/api/v1/admin/trail")
            .await
            .error(403, "perm.denied");

        // Altering one row breaks the chain there.
        let original = s
            .state
            .db
            .row("SELECT after_json FROM admin_trail WHERE seq = 2", vec![])
            .await
            .unwrap()
            .unwrap()
            .get_text("after_json")
            .unwrap();
        s.state
            .db
            .exec(
                "UPDATE admin_trail SET after_json = $1 WHERE seq = 2",
                vec![original.replace("县住建局", "县建设局").as_str().into()],
            )
            .await
            .unwrap();
        let t = trail(&s, &admin).await;
        assert_eq!(t["verified"], false);
        assert_eq!(t["broken_at"], 2);
        assert_eq!(t["problem"], "admin_trail.broken");
        s.state
            .db
            .exec(
                "UPDATE admin_trail SET after_json = $1 WHERE seq = 2",
                vec![original.as_str().into()],
            )
            .await
            .unwrap();
        assert_eq!(trail(&s, &admin).await["verified"], true);

        // Deleting one breaks it too, and so does deleting the last.
        s.state
            .db
            .exec("DELETE FROM admin_trail WHERE seq = 3", vec![])
            .await
            .unwrap();
        let t = trail(&s, &admin).await;
        assert_eq!(t["verified"], false, "{t}");
        assert_eq!(t["problem"], "admin_trail.missing");
    }
);

both!(
    init_then_spreadsheet_imports_give_a_working_organisation,
    |s: Server| async move {
        let new = NewOrganisation {
            name: "某某县人民政府".into(),
            utc_offset_minutes: 480,
            admin_username: "root-admin".into(),
            admin_name: "王管理".into(),
            password: "init-password-1".into(),
        };
        let weak = NewOrganisation {
            password: "short".into(),
            ..new.clone()
        };
        assert_eq!(
            init(&s.state, &weak).await.unwrap_err().code(),
            "auth.weak_password"
        );
        init(&s.state, &new).await.expect("init");
        assert_eq!(
            init(&s.state, &new).await.unwrap_err().code(),
            "init.not_empty",
            "init refuses a database that is not empty"
        );
        let org = s.state.org.latest(&s.state.db).await.unwrap();
        assert_eq!(org.name(), "某某县人民政府");
        assert_eq!(org.units.len(), 1);
        assert_eq!(org.people.len(), 1);
        assert_eq!(org.calendar.utc_offset().local_minus_utc(), 8 * 3600);
        let tasks = s.scalar("SELECT COUNT(*) FROM tasks", vec![]).await;
        assert_eq!(tasks, 0, "no demo data");

        let admin_token = s.login_with("root-admin", "init-password-1").await;
        let admin = Session::of_token(&s.state, &admin_token).await.unwrap();

        let units = xlsx(&[
            &["单位名称", "上级单位", "简称", "别名"],
            &["县督查室", "", "督查室", ""],
            &["县住房和城乡建设局", "", "住建局", "建设局、住建"],
            &["城建股", "住建局", "", ""],
        ]);
        let rows = org_import::read_units(&units).unwrap();
        let written = org_import::apply_units(&s.state, &admin, &rows)
            .await
            .unwrap();
        assert_eq!(written.len(), 3);
        let org = s.state.org.latest(&s.state.db).await.unwrap();
        let housing = org
            .units
            .iter()
            .find(|u| u.short_name == "住建局")
            .unwrap()
            .id;
        let office = org.units.iter().find(|u| u.name == "县督查室").unwrap().id;
        let section = org.units.iter().find(|u| u.name == "城建股").unwrap();
        assert_eq!(section.parent, Some(housing), "a parent by its short name");

        // A file with bad rows: each refused with its row and column, nothing written.
        let people_before = s.scalar("SELECT COUNT(*) FROM users", vec![]).await;
        let bad = xlsx(&[
            &[
                "用户名",
                "姓名",
                "单位",
                "职务",
                "角色",
                "分管单位",
                "手机号",
                "初始密码",
            ],
            &[
                "lisi",
                "李四",
                "住建",
                "科员",
                "承办人员",
                "",
                "",
                "a-good-password",
            ],
            &["wangwu", "王五", "水利局", "科员", "承办人员", "", "", ""],
            &["zhaoliu", "赵六", "督查室", "", "魔法师", "", "", ""],
            &["lisi", "李四二", "建设局", "", "承办人员", "", "", ""],
        ]);
        let rows = org_import::read_people(&bad).unwrap();
        let Err(ImportError::Refused(problems)) =
            org_import::apply_people(&s.state, &admin, &rows).await
        else {
            panic!("the bad file is refused");
        };
        let found: Vec<(u32, &str, &str)> = problems
            .iter()
            .map(|p| (p.row, p.column.as_str(), p.code.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (3, "unit", "input.unknown_unit"),
                (4, "roles", "input.unknown_role"),
                (5, "username", "org.username_taken"),
            ]
        );
        assert_eq!(
            s.scalar("SELECT COUNT(*) FROM users", vec![]).await,
            people_before,
            "nothing was written"
        );

        let good = xlsx(&[
            &[
                "用户名",
                "姓名",
                "单位",
                "职务",
                "角色",
                "分管单位",
                "手机号",
                "初始密码",
            ],
            &[
                "duban1",
                "周督办",
                "督查室",
                "督办员",
                "督办员",
                "",
                "",
                "supervisor-pw-1",
            ],
            &[
                "zhangzq",
                "张志强",
                "某某县人民政府",
                "副县长",
                "分管领导",
                "住建局、督查室",
                "",
                "",
            ],
            &[
                "head-zj",
                "陈局长",
                "建设局",
                "局长",
                "单位负责人",
                "",
                "13900000000",
                "",
            ],
        ]);
        let rows = org_import::read_people(&good).unwrap();
        let done = org_import::apply_people(&s.state, &admin, &rows)
            .await
            .unwrap();
        assert_eq!(done.len(), 3);
        assert!(done[0].password.is_none(), "the sheet's own password");
        assert!(done[1].password.as_ref().is_some_and(|p| p.len() == 16));
        let org = s.state.org.latest(&s.state.db).await.unwrap();
        let leader = org
            .people
            .values()
            .find(|p| p.username == "zhangzq")
            .unwrap();
        assert_eq!(leader.in_charge, vec![housing, office]);
        let head = org
            .people
            .values()
            .find(|p| p.username == "head-zj")
            .unwrap();
        assert_eq!(head.unit, Some(housing), "a unit by its alias");

        // The item import takes a unit by its short name or alias and a leader as the
        // template lists them.
        let draft = duban_server::register::Draft {
            category: org.policy.categories[0].name_zh.clone(),
            title: "老旧小区改造".into(),
            content: "按期完成".into(),
            deadline: org
                .calendar
                .add_working_days(org.calendar.to_local(chrono::Utc::now()).date(), 10)
                .to_string(),
            leads: vec!["住建局".into()],
            participants: vec!["督查室".into()],
            deputy_leader: "张志强 副县长".into(),
            ..Default::default()
        };
        let entry = duban_server::register::check(&draft, &org, chrono::Utc::now());
        assert!(entry.is_ok(), "{:?}", entry.err());

        // The imported supervisor signs in (told to change the password) and registers.
        let answer = s
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "duban1", "password": "supervisor-pw-1"})),
            )
            .await
            .expect(200);
        assert_eq!(answer["must_change_password"], true);
        let token = answer["token"].as_str().unwrap().to_owned();
        s.ok(&token, register(&tid(), "第一件督办事项")).await;
        assert_eq!(s.scalar("SELECT COUNT(*) FROM tasks", vec![]).await, 1);

        // Everything above is in the trail, `init`'s rows first, and it verifies.
        let t = trail(&s, &admin_token).await;
        assert_eq!(t["verified"], true, "{t}");
        let rows = t["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 3 + 3 + 3);
        assert!(rows[..3].iter().all(|r| r["actor"] == "init"));
        assert_eq!(rows[3]["kind"], "unit.import");
        assert_eq!(rows[8]["kind"], "account.import");
    }
);

/// `duban init` as a process, on both backends: the password from a file (there is no flag
/// for it on the command line), a second run refused, and the trail's first rows by `init`.
async fn init_command(backend: Backend) {
    let dir = temp_dir();
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(
            duban_server::db::postgres::create_database(&pg_url(), "duban_t")
                .await
                .expect("a database"),
        ),
    };
    let password_file = dir.join("password");
    std::fs::write(&password_file, "init-password-2\n").unwrap();
    let data_dir = dir.join("data");
    let mut args = vec![
        "init".to_owned(),
        "--name".into(),
        "某某县人民政府".into(),
        "--utc-offset".into(),
        "+06:00".into(),
        "--admin-username".into(),
        "first".into(),
        "--admin-name".into(),
        "王管理".into(),
        "--password-file".into(),
        password_file.to_str().unwrap().into(),
        "--data-dir".into(),
        data_dir.to_str().unwrap().into(),
    ];
    if let Some(url) = &database {
        args.extend(["--database".to_owned(), url.clone()]);
    }
    let run = |args: &[String]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_duban"))
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("duban runs")
    };
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("root="));
    let again = run(&args);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("init.not_empty"));
    let mut with_flag = args.clone();
    with_flag.extend(["--password".to_owned(), "in-argv-1".into()]);
    assert_eq!(
        run(&with_flag).status.code(),
        Some(2),
        "no password on the command line"
    );

    let db = duban_server::db::Db::open(database.as_deref(), &data_dir, 2)
        .await
        .expect("open");
    let state = duban_server::AppState::with_db(db, duban_server::config::Config::default())
        .await
        .expect("state");
    let org = state.org.latest(&state.db).await.unwrap();
    assert_eq!(org.name(), "某某县人民政府");
    assert_eq!(org.calendar.utc_offset().local_minus_utc(), 6 * 3600);
    let admin = org.people.values().next().expect("the administrator");
    assert_eq!(admin.username, "first");
    assert_eq!(
        duban_server::admin_trail::verify(&state.db).await.unwrap(),
        3,
        "the root unit, the administrator and the time zone"
    );
    let rows = duban_server::admin_trail::page(&state.db, 1, 10)
        .await
        .unwrap();
    assert!(rows.iter().all(|r| r.actor == "init"));
    let token = duban_server::auth::login(
        &state,
        duban_core::protocol::LoginRequest {
            username: "first".into(),
            password: "init-password-2".into(),
            device: None,
        },
    )
    .await
    .expect("the administrator signs in");
    assert!(!token.must_change_password, "they chose it themselves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duban_init_as_a_process_on_sqlite() {
    init_command(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duban_init_as_a_process_on_postgres() {
    init_command(Backend::Postgres).await;
}
