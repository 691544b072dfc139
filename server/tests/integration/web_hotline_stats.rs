//! The hotline's monthly figures (issue 20) where people read them: `/stats`, `stats.xlsx`
//! and the monthly bulletin show exactly the worked example of docs/domain.md ("Hotline
//! work orders: the monthly figures") for orders driven through the real commands — a
//! transferred order, one reopened and then satisfied, a refused one, an undecided one, an
//! overdue one — and never the caller's name or phone. And the policy form's hotline numbers,
//! refused in place by the policy's own check and saved through the API's path.

use std::io::Cursor;

use calamine::{open_workbook_from_rs, Data, DataType, Reader, Xlsx};
use chrono::{DateTime, Duration, DurationRound, FixedOffset, Utc};
use reqwest::header::COOKIE;
use serde_json::{json, Value};

use crate::support::*;
use crate::web::{browser, form_token, page, sign_in};
use crate::web_scores::create_bulletin;

const CALLER: &str = "测试来电人甲";
const PHONE: &str = "139-1234-5678";

/// A hotline work order's registration, called at `called_at`, with the caller's data.
fn order(task: &str, title: &str, called_at: DateTime<Utc>) -> Value {
    let mut r = register_with(
        task,
        title,
        "hotline",
        "internal",
        json!({"caller_name": CALLER, "caller_phone": PHONE}),
    );
    r["command"]["order"] = json!({
        "line": "citizen",
        "called_at": called_at,
        "kind": "complaint",
        "channel": "phone",
        "subject": "某小区",
    });
    r
}

fn reply(task: &str) -> Value {
    simple(
        task,
        "report_completion",
        json!({"report": {
            "id": tid(),
            "text": "【办理结果】已处理完毕。【政策依据】有关规定。【承办人及联系电话】承办人,0000-0000000。",
            "evidence": []
        }}),
    )
}

fn call_back(task: &str, satisfaction: &str) -> Value {
    simple(
        task,
        "call_back",
        json!({
            "answers": {
                "told_result_and_basis": true,
                "factual": true,
                "misconduct": false,
                "satisfaction": satisfaction
            },
            "note": ""
        }),
    )
}

/// The worked example's orders; returns the month they count in (`YYYY-MM`) and the number
/// of the typical order.
async fn worked_example(s: &Server, f: &Fixture) -> (String, String) {
    let sup = s.login("supervisor").await;
    let staff_a = s.login("staff-a").await;
    let staff_b = s.login("staff-b").await;
    let called = s.state.clock.now() - Duration::minutes(1);
    let month = (called.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("+8")))
        .format("%Y-%m")
        .to_string();
    let accept = |t: &str| simple(t, "accept_order", json!({"note": ""}));

    // 1: dispatched to A, returned by A, transferred to B; B replies; satisfied; typical.
    let one = tid();
    s.ok(&sup, order(&one, "工单一", called)).await;
    s.ok(&sup, accept(&one)).await;
    s.ok(&sup, dispatch(&one, f.unit_a, Some(f.staff_a))).await;
    s.ok(
        &staff_a,
        simple(&one, "return_order", json!({"reason": "不属于本单位职责"})),
    )
    .await;
    s.ok(&sup, dispatch(&one, f.unit_b, Some(f.staff_b))).await;
    s.ok(&staff_b, simple(&one, "receive", json!({}))).await;
    s.ok(&staff_b, reply(&one)).await;
    s.ok(&sup, call_back(&one, "satisfied")).await;
    s.ok(&sup, simple(&one, "mark_typical", json!({"typical": true})))
        .await;

    // 2: B replies, unsatisfied, reopened, replied again, satisfied.
    let two = tid();
    s.ok(&sup, order(&two, "工单二", called)).await;
    s.ok(&sup, accept(&two)).await;
    s.ok(&sup, dispatch(&two, f.unit_b, Some(f.staff_b))).await;
    s.ok(&staff_b, simple(&two, "receive", json!({}))).await;
    s.ok(&staff_b, reply(&two)).await;
    s.ok(&sup, call_back(&two, "unsatisfied")).await;
    s.ok(
        &sup,
        simple(&two, "reopen_order", json!({"reason": "回访不满意"})),
    )
    .await;
    s.ok(&staff_b, reply(&two)).await;
    s.ok(&sup, call_back(&two, "satisfied")).await;

    // 3: A asks for a committed deadline, refused; never replies (overdue once the clock
    // moves on).
    let three = tid();
    s.ok(&sup, order(&three, "工单三", called)).await;
    s.ok(&sup, accept(&three)).await;
    s.ok(&sup, dispatch(&three, f.unit_a, Some(f.staff_a)))
        .await;
    s.ok(&staff_a, simple(&three, "receive", json!({}))).await;
    let until = (s.state.clock.now() + Duration::days(30))
        .duration_trunc(Duration::hours(1))
        .expect("an hour");
    s.ok(
        &staff_a,
        simple(
            &three,
            "request_commitment",
            json!({"until": until, "reason": "需协调多个部门"}),
        ),
    )
    .await;
    s.ok(
        &sup,
        simple(
            &three,
            "decide_commitment",
            json!({"approve": false, "opinion": "应在规定时限内办结"}),
        ),
    )
    .await;

    // 4: A replies, basically satisfied.
    let four = tid();
    s.ok(&sup, order(&four, "工单四", called)).await;
    s.ok(&sup, accept(&four)).await;
    s.ok(&sup, dispatch(&four, f.unit_a, Some(f.staff_a))).await;
    s.ok(&staff_a, simple(&four, "receive", json!({}))).await;
    s.ok(&staff_a, reply(&four)).await;
    s.ok(&sup, call_back(&four, "basic")).await;

    // 5: B replies, unsatisfied, not reopened.
    let five = tid();
    s.ok(&sup, order(&five, "工单五", called)).await;
    s.ok(&sup, accept(&five)).await;
    s.ok(&sup, dispatch(&five, f.unit_b, Some(f.staff_b))).await;
    s.ok(&staff_b, simple(&five, "receive", json!({}))).await;
    s.ok(&staff_b, reply(&five)).await;
    s.ok(&sup, call_back(&five, "unsatisfied")).await;

    // 6: not accepted, outside the remit; 7: not decided yet.
    let six = tid();
    s.ok(&sup, order(&six, "工单六", called)).await;
    s.ok(
        &sup,
        simple(
            &six,
            "refuse_order",
            json!({"reason": {"reason": "outside_remit", "refer_to": "12315"}, "note": ""}),
        ),
    )
    .await;
    s.ok(&sup, order(&tid(), "工单七", called)).await;

    let number = s
        .get(&sup, &format!("/api/v1/tasks/{one}"))
        .await
        .expect(200)["number"]
        .as_str()
        .expect("a number")
        .to_owned();
    // Order 3's deadline (five working days) passes.
    s.state.clock.advance(Duration::days(20));
    (month, number)
}

/// The text of the cell of class `class` in the hotline table's row `row` (a unit id or
/// `total`).
fn cell(html: &str, row: &str, class: &str) -> String {
    let at = html
        .find(&format!("<tr data-unit=\"{row}\">"))
        .unwrap_or_else(|| panic!("no row {row}"));
    let rest = &html[at..];
    let end = rest.find("</tr>").expect("end of row");
    let rest = &rest[..end];
    let marker = format!("class=\"num {class}\">");
    let start = rest
        .find(&marker)
        .unwrap_or_else(|| panic!("no {class} in row {row}"))
        + marker.len();
    rest[start..].split('<').next().expect("text").to_owned()
}

/// The text of the element with this id.
fn by_id(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\">");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no #{id}")) + marker.len();
    html[start..].split('<').next().expect("text").to_owned()
}

/// The worked example's figures: (row, [orders, completed, 办结率, called back, 满意,
/// 基本满意, 满意率, returns, transfers, commitments, overdue, reopened]).
fn expected(f: &Fixture) -> Vec<(String, [&'static str; 12])> {
    vec![
        (
            f.unit_a.to_string(),
            [
                "2", "1", "50.0%", "1", "0", "1", "100.0%", "1", "0", "1", "1", "0",
            ],
        ),
        (
            f.unit_b.to_string(),
            [
                "3", "2", "66.7%", "3", "2", "0", "66.7%", "0", "1", "0", "0", "1",
            ],
        ),
        (
            "total".to_owned(),
            [
                "5", "3", "60.0%", "4", "2", "1", "75.0%", "1", "1", "1", "1", "1",
            ],
        ),
    ]
}

const CLASSES: [&str; 12] = [
    "orders",
    "completed",
    "completion",
    "called-back",
    "satisfied",
    "basic",
    "satisfaction",
    "returns",
    "transfers",
    "commitments",
    "overdue",
    "reopened",
];

fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("an xlsx");
    let range = wb.worksheet_range(name).expect(name);
    range.rows().map(<[Data]>::to_vec).collect()
}

/// A cell as the worked example writes it: a whole number, a percentage with one decimal,
/// or text.
fn shown(d: &Data) -> String {
    match d {
        Data::Float(x) if x.fract() == 0.0 => format!("{x:.0}"),
        Data::Float(x) => format!("{x:.1}"),
        Data::Int(n) => n.to_string(),
        other => other.get_string().unwrap_or_default().to_owned(),
    }
}

async fn xlsx(s: &Server, web: &reqwest::Client, cookie: &str, query: &str) -> Vec<u8> {
    let r = web
        .get(format!("{}/stats.xlsx?{query}", s.base))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("xlsx");
    assert_eq!(r.status(), 200);
    r.bytes().await.expect("bytes").to_vec()
}

/// Every text of the workbook (every cell of every sheet), for looking for what must not be
/// there.
fn every_text(bytes: &[u8]) -> String {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("an xlsx");
    let mut out = String::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).expect("sheet");
        for row in range.rows() {
            for c in row {
                out.push_str(&c.to_string());
                out.push('\n');
            }
        }
    }
    out
}

both!(
    the_stats_page_the_workbook_and_the_bulletin_show_the_worked_figures,
    |s: Server| async move {
        let f = s.fixture().await;
        let (month, number) = worked_example(&s, &f).await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;

        // /stats: the month's table per unit and in total, the satisfaction rate.
        let (status, html) = page(
            &web,
            &format!("{}/stats?month={month}", s.base),
            Some(&cookie),
        )
        .await;
        assert_eq!(status, 200);
        assert!(html.contains(&month), "the month is shown");
        for (row, values) in expected(&f) {
            for (class, want) in CLASSES.iter().zip(values) {
                assert_eq!(cell(&html, &row, class), want, "{row} {class}");
            }
        }
        assert_eq!(by_id(&html, "hotline-satisfaction"), "75.0%");
        assert_eq!(by_id(&html, "hotline-completion"), "60.0%");
        assert_eq!(by_id(&html, "hotline-calls"), "7");
        assert_eq!(by_id(&html, "hotline-accepted"), "5");
        assert_eq!(by_id(&html, "hotline-not-accepted"), "1");
        assert_eq!(by_id(&html, "hotline-undecided"), "1");
        assert!(html.contains(
            "<li data-reason=\"outside_remit\">不属于受理范围: <span class=\"count\">1</span>"
        ));
        assert!(
            !html.contains(CALLER) && !html.contains(PHONE),
            "no caller data"
        );
        // Another month: nothing called back, so no rate.
        let (_, other) = page(
            &web,
            &format!("{}/stats?month=2001-01", s.base),
            Some(&cookie),
        )
        .await;
        assert_eq!(by_id(&other, "hotline-satisfaction"), "—");
        // A month that does not read: refused at its field, what was typed kept.
        let (status, bad) = page(
            &web,
            &format!("{}/stats?month=2026-13", s.base),
            Some(&cookie),
        )
        .await;
        assert_eq!(status, 400);
        assert!(bad.contains("id=\"month-err\""), "{bad}");
        assert!(bad.contains("value=\"2026-13\""));
        // In English, the same figures.
        let (_, en) = page(
            &web,
            &format!("{}/stats?month={month}", s.base),
            Some(&format!("{cookie}; duban_lang=en")),
        )
        .await;
        assert!(en.contains("Satisfaction rate"), "English headers");
        assert_eq!(by_id(&en, "hotline-satisfaction"), "75.0%");

        // stats.xlsx: the same figures on a sheet of their own, headers in the language.
        let bytes = xlsx(&s, &web, &cookie, &format!("month={month}")).await;
        let rows = sheet(&bytes, "热线工单");
        assert!(shown(&rows[0][0]).contains(&month), "title with the month");
        assert_eq!(shown(&rows[1][0]), "承办单位");
        assert_eq!(shown(&rows[1][8]), "满意率");
        let names = ["交通运输局", "教育局", "合计"];
        for ((_, values), (r, name)) in expected(&f).iter().zip(rows[2..5].iter().zip(names)) {
            assert_eq!(shown(&r[0]), name);
            // The sheet has 不满意 after 基本满意: skip it.
            let got: Vec<String> = [1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13]
                .iter()
                .map(|c| match (&r[*c], *c) {
                    (Data::Float(x), 3 | 8) => format!("{x:.1}"),
                    (d, _) => shown(d),
                })
                .collect();
            let want: Vec<String> = values
                .iter()
                .map(|v| v.trim_end_matches('%').to_owned())
                .collect();
            assert_eq!(got, want, "{name}");
        }
        let text = every_text(&bytes);
        assert!(
            !text.contains(CALLER) && !text.contains(PHONE),
            "no caller data"
        );
        // The month and the statistics' own filters together.
        let bytes = xlsx(
            &s,
            &web,
            &cookie,
            &format!("month={month}&category=hotline"),
        )
        .await;
        assert_eq!(shown(&sheet(&bytes, "热线工单")[4][1]), "5");
        let en_bytes = {
            let r = web
                .get(format!("{}/stats.xlsx?month={month}", s.base))
                .header(COOKIE, format!("{cookie}; duban_lang=en"))
                .send()
                .await
                .expect("xlsx");
            r.bytes().await.expect("bytes").to_vec()
        };
        let en_rows = sheet(&en_bytes, "Hotline orders");
        assert_eq!(shown(&en_rows[1][0]), "Unit");

        // The monthly bulletin: the figures per unit and the typical order by number and
        // kind, no caller data, no reply.
        let id = create_bulletin(
            &s,
            &web,
            &cookie,
            &[
                ("form", &uuid::Uuid::new_v4().to_string()),
                ("kind", "monthly"),
                ("period", &month),
            ],
        )
        .await;
        let (_, b) = page(&web, &format!("{}/bulletins/{id}", s.base), Some(&cookie)).await;
        for line in [
            "热线来电7件，受理5件，不予受理1件（不属于受理范围1件，应通过法定途径解决0件，同一事项已受理0件，对答复有异议且无新情况0件），待决定1件。",
            "派出工单5件，办结3件，办结率60.0%；回访4件，满意2件，基本满意1件，不满意1件，满意率75.0%；退单1件，转办1件，申请承诺件1件，逾期1件，重办1件。",
            "交通运输局：工单2件，办结1件，办结率50.0%，回访1件，满意率100.0%，退单1件，转办0件，申请承诺件1件，逾期1件，重办0件。",
            "教育局：工单3件，办结2件，办结率66.7%，回访3件，满意率66.7%，退单0件，转办1件，申请承诺件0件，逾期0件，重办1件。",
        ] {
            assert!(b.contains(line), "{line}\n{b}");
        }
        assert!(b.contains(&format!("典型工单：{number}（投诉）。")), "{b}");
        assert!(b.contains("六、工作要求"));
        for secret in [CALLER, PHONE, "已处理完毕"] {
            assert!(!b.contains(secret), "{secret} in the bulletin");
        }
        // A public bulletin names no internal order: the typical one is counted.
        let id = create_bulletin(
            &s,
            &web,
            &cookie,
            &[
                ("form", &uuid::Uuid::new_v4().to_string()),
                ("kind", "monthly"),
                ("period", &month),
                ("public", "1"),
            ],
        )
        .await;
        let (_, b) = page(&web, &format!("{}/bulletins/{id}", s.base), Some(&cookie)).await;
        assert!(b.contains("典型工单：1件，未公开。"), "{b}");
        assert!(!b.contains(&number));
    }
);

both!(
    a_unit_sees_the_figures_of_the_orders_it_may_read,
    |s: Server| async move {
        let f = s.fixture().await;
        let (month, _) = worked_example(&s, &f).await;
        let web = browser();
        // Staff of B read only B's orders (and the one transferred from A to B): A's own
        // orders are not counted for them.
        let cookie = sign_in(&s, &web, "staff-b").await;
        let (status, html) = page(
            &web,
            &format!("{}/stats?month={month}", s.base),
            Some(&cookie),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(cell(&html, &f.unit_b.to_string(), "orders"), "3");
        assert!(
            !html.contains(&format!("<tr data-unit=\"{}\">", f.unit_a))
                || cell(&html, &f.unit_a.to_string(), "orders") == "0"
        );
        assert!(!html.contains(CALLER) && !html.contains(PHONE));
    }
);

both!(
    the_policy_form_holds_the_hotline_numbers_checked_by_the_policy,
    |s: Server| async move {
        s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "admin").await;
        let (status, html) = page(&web, &format!("{}/admin/policy", s.base), Some(&cookie)).await;
        assert_eq!(status, 200);
        for path in [
            "hotline.dispatch_hours",
            "hotline.return_hours",
            "hotline.inform_caller_days",
            "hotline.handle_working_days",
            "hotline.reopen_working_days",
            "hotline.duplicate_window_days",
            "hotline.environment_days",
            "hotline.environment_extension_days",
            "hotline.reply_sections",
            "hotline.unsatisfied_points",
            "hotline.basic_points",
            "hotline.unjustified_return_points",
        ] {
            assert!(html.contains(&format!("name=\"{path}\"")), "{path}");
        }
        assert!(html.contains("value=\"办理结果、政策依据、承办人及联系电话\""));
        assert!(html.contains("工单最后一次回访不满意的分值"));

        let fields = crate::admin_settings::policy_fields;
        let post = |fs: Vec<(String, String)>| {
            let web = web.clone();
            let cookie = cookie.clone();
            let base = s.base.clone();
            let s = &s;
            async move {
                let token = form_token(s, &web, &cookie).await;
                let mut all = vec![("csrf".to_owned(), token)];
                all.extend(fs);
                let r = web
                    .post(format!("{base}/admin/policy"))
                    .header(COOKIE, &cookie)
                    .form(&all)
                    .send()
                    .await
                    .expect("post");
                (r.status().as_u16(), r.text().await.expect("body"))
            }
        };
        // Zero hours to dispatch: the policy's check refuses it, at its field.
        let (status, refused) = post(fields(&html, &[("hotline.dispatch_hours", "0")])).await;
        assert_eq!(status, 422);
        assert!(
            refused.contains("id=\"hotline.dispatch_hours-err\""),
            "{refused}"
        );
        assert!(refused.contains("超出范围"));
        // A reply section with the template's own brackets: refused too.
        let (status, refused) = post(fields(
            &html,
            &[("hotline.reply_sections", "办理结果、【依据】")],
        ))
        .await;
        assert_eq!(status, 422);
        assert!(refused.contains("id=\"hotline.reply_sections-err\""));
        // Saved: how satisfaction and returns weigh, and the template.
        let (status, _) = post(fields(
            &html,
            &[
                ("hotline.unsatisfied_points", "-3"),
                ("hotline.basic_points", "-0.5"),
                ("hotline.unjustified_return_points", "-1.5"),
                ("hotline.reply_sections", "办理结果,政策依据"),
            ],
        ))
        .await;
        assert_eq!(status, 303);
        let admin = s.login("admin").await;
        let policy = s.get(&admin, "/api/v1/admin/policy").await.expect(200);
        assert_eq!(policy["hotline"]["unsatisfied_points"], json!(-3.0));
        assert_eq!(policy["hotline"]["basic_points"], json!(-0.5));
        assert_eq!(policy["hotline"]["unjustified_return_points"], json!(-1.5));
        assert_eq!(
            policy["hotline"]["reply_sections"],
            json!(["办理结果", "政策依据"])
        );
        assert_eq!(
            policy["hotline"]["dispatch_hours"], 12,
            "the rest unchanged"
        );
        let trail = duban_server::admin_trail::page(&s.state.db, 1, 100)
            .await
            .expect("trail");
        assert!(trail.iter().any(|r| r.kind == "policy.update"));
    }
);
