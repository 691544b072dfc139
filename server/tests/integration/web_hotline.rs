//! Hotline work orders through the pages, on both backends: a call taken on the intake form
//! (a refused field shown at the field, what was typed kept), the desk by stage, and every
//! act of an order through the item page's own forms — acceptance and telling the caller,
//! each reason of non-acceptance (the duplicate one from the offered likely duplicate),
//! dispatch, the unit's return and the office's transfer, a committed deadline asked and
//! approved, the reply in the office's template, an unsatisfied call-back, reopening, a
//! satisfied second call-back, the typical mark — and who may not: a unit staffer cannot
//! accept or call back, nor can anyone but the first dispatcher call back.

use duban_core::domain::UnitId;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::Value;

use crate::support::*;
use crate::web::{browser, form_token, page, sign_in};

/// Posts `fields` (with the session's form token) to `path`; (status, Location, body).
async fn post(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    path: &str,
    fields: &[(&str, String)],
) -> (u16, String, String) {
    let token = form_token(s, web, cookie).await;
    let mut fields = fields.to_vec();
    fields.push(("csrf", token));
    let r = web
        .post(format!("{}{path}", s.base))
        .header(COOKIE, cookie)
        .form(&fields)
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, r.text().await.expect("body"))
}

/// The value after `marker` in `html` up to the next quote, searching from `from`.
fn after(html: &str, from: usize, marker: &str) -> Option<String> {
    let at = html[from..].find(marker)? + from + marker.len();
    html[at..].split('"').next().map(str::to_owned)
}

/// The command id the page rendered into the form `form_id`, if the form is there.
fn command_in(html: &str, form_id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{form_id}\""))?;
    after(html, start, "name=\"command\" value=\"")
}

/// The first refusal's code on a page.
fn refusal(html: &str) -> String {
    after(html, 0, "class=\"error\" role=\"alert\" data-code=\"").unwrap_or_default()
}

/// A local time `hours` from now (+08:00), as a `datetime-local` field sends it.
fn local_in(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+8"))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A local date `days` from now (+08:00).
fn date_in(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+8"))
        .format("%Y-%m-%d")
        .to_string()
}

/// One person signed in to the pages.
struct Who<'a> {
    s: &'a Server,
    web: reqwest::Client,
    cookie: String,
}

impl<'a> Who<'a> {
    async fn new(s: &'a Server, username: &str) -> Who<'a> {
        let web = browser();
        let cookie = sign_in(s, &web, username).await;
        Who { s, web, cookie }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        page(
            &self.web,
            &format!("{}{path}", self.s.base),
            Some(&self.cookie),
        )
        .await
    }

    async fn post(&self, path: &str, fields: &[(&str, String)]) -> (u16, String, String) {
        post(self.s, &self.web, &self.cookie, path, fields).await
    }

    /// Takes a call on the intake form; the new order's id.
    async fn intake(&self, phone: &str, address: &str, content: &str, line: &str) -> String {
        let (status, html) = self.get("/hotline/new").await;
        assert_eq!(status, 200);
        let form = after(&html, 0, "name=\"form\" value=\"").expect("form id");
        let fields = [
            ("form", form),
            ("called_at", local_in(-1)),
            ("caller_name", "王女士".to_owned()),
            ("caller_phone", phone.to_owned()),
            ("caller_address", address.to_owned()),
            ("subject", "幸福路餐馆".to_owned()),
            ("title", String::new()),
            ("content", content.to_owned()),
            ("kind", "complaint".to_owned()),
            ("channel", "phone".to_owned()),
            ("line", line.to_owned()),
        ];
        let (status, location, body) = self.post("/hotline/new", &fields).await;
        assert_eq!(status, 303, "intake refused: {}", refusal(&body));
        location
            .strip_prefix("/items/")
            .expect("to the item page")
            .to_owned()
    }

    /// Does `act` on the item through the form `form_id` the page offers; (status, body).
    async fn try_act(
        &self,
        task: &str,
        form_id: &str,
        act: &str,
        fields: &[(&str, &str)],
    ) -> (u16, String) {
        let (status, html) = self.get(&format!("/items/{task}")).await;
        assert_eq!(status, 200, "{form_id}: the item page");
        let command =
            command_in(&html, form_id).unwrap_or_else(|| panic!("{form_id} is not offered"));
        let mut all = vec![("command", command), ("act", act.to_owned())];
        all.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let (status, _, body) = self.post(&format!("/items/{task}/act"), &all).await;
        (status, body)
    }

    /// Does `act` through its form and expects it accepted.
    async fn act(&self, task: &str, act: &str, fields: &[(&str, &str)]) {
        let (status, body) = self.try_act(task, &format!("act-{act}"), act, fields).await;
        assert_eq!(status, 303, "{act} refused: {}", refusal(&body));
    }

    /// Posts `act` with a fresh command id, as a forged form would (no form offered).
    async fn forge(&self, task: &str, act: &str, fields: &[(&str, &str)]) -> u16 {
        let mut all = vec![("command", cid()), ("act", act.to_owned())];
        all.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
        self.post(&format!("/items/{task}/act"), &all).await.0
    }

    /// Whether the item page offers the form `form_id`.
    async fn offers(&self, task: &str, form_id: &str) -> bool {
        let (status, html) = self.get(&format!("/items/{task}")).await;
        status == 200 && html.contains(&format!("id=\"{form_id}\""))
    }

    /// Replies to the order in the office's template ([`REPLY`]).
    async fn reply(&self, task: &str) {
        let (status, html) = self.get(&format!("/items/{task}")).await;
        assert_eq!(status, 200);
        let command = command_in(&html, "act-report_completion").expect("reply form");
        let mut all = vec![
            ("command", command),
            ("act", "report_completion".to_owned()),
        ];
        all.extend(REPLY.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let (status, _, body) = self.post(&format!("/items/{task}/act"), &all).await;
        assert_eq!(status, 303, "reply refused: {}", refusal(&body));
    }

    /// Dispatches (or transfers) the order to `unit` on its dispatch page.
    async fn dispatch(&self, task: &str, unit: UnitId) {
        let (status, html) = self.get(&format!("/dispatch/{task}")).await;
        assert_eq!(status, 200, "the dispatch page");
        let form = after(&html, 0, "name=\"form\" value=\"").expect("form id");
        let (status, _, body) = self
            .post(
                &format!("/dispatch/{task}"),
                &[("form", form), ("leads", unit.to_string())],
            )
            .await;
        assert_eq!(status, 303, "dispatch refused: {}", refusal(&body));
    }
}

/// The item as the API shows it.
async fn detail(s: &Server, token: &str, task: &str) -> Value {
    s.get(token, &format!("/api/v1/tasks/{task}"))
        .await
        .expect(200)
}

async fn status(s: &Server, token: &str, task: &str) -> String {
    detail(s, token, task).await["state"]["status"]
        .as_str()
        .expect("status")
        .to_owned()
}

async fn trail_len(s: &Server, token: &str, task: &str) -> usize {
    detail(s, token, task).await["trail"]
        .as_array()
        .expect("trail")
        .len()
}

/// The reply's sections, one per textarea, as the unit fills in the template.
const REPLY: [(&str, &str); 3] = [
    ("section", "已责令餐馆加装油烟净化设施,夜间22时后停止营业"),
    ("section", "《大气污染防治法》第八十一条"),
    ("section", "城管局 李明 0571-88886666"),
];

both!(takes_a_call_and_walks_every_act, |s: Server| async move {
    let f = s.fixture().await;
    let api = s.login("supervisor").await;
    let sup = Who::new(&s, "supervisor").await;
    let admin = Who::new(&s, "admin").await;
    let staff_a = Who::new(&s, "staff-a").await;
    let head_b = Who::new(&s, "head-b").await;

    // The desk and the intake form are the office's; leaders read the desk; a unit's
    // staff neither.
    assert_eq!(sup.get("/hotline").await.0, 200);
    assert_eq!(Who::new(&s, "leader").await.get("/hotline").await.0, 200);
    assert_eq!(staff_a.get("/hotline").await.0, 403);
    assert_eq!(staff_a.get("/hotline/new").await.0, 403);
    assert!(sup.get("/overview").await.1.contains("href=\"/hotline\""));
    assert!(!staff_a
        .get("/overview")
        .await
        .1
        .contains("href=\"/hotline\""));

    // A refused field is shown at the field, with what was typed kept; nothing registered.
    let (_, html) = sup.get("/hotline/new").await;
    let form = after(&html, 0, "name=\"form\" value=\"").expect("form id");
    let (code, _, body) = sup
        .post(
            "/hotline/new",
            &[
                ("form", form),
                ("called_at", local_in(-1)),
                ("caller_phone", "13800138000".to_owned()),
                ("subject", String::new()),
                ("content", "夜间油烟扰民".to_owned()),
                ("kind", "complaint".to_owned()),
                ("channel", "phone".to_owned()),
                ("line", "citizen".to_owned()),
            ],
        )
        .await;
    assert_eq!(code, 422);
    assert!(body.contains("data-field=\"subject\""), "{body}");
    assert!(body.contains("夜间油烟扰民") && body.contains("13800138000"));

    // A call taken: an order of the line's category, its caller kept apart.
    let a = sup
        .intake(
            "138 0013 8000",
            "城关镇幸福路12号",
            "幸福路12号楼下餐馆油烟扰民,夜间噪音大",
            "citizen",
        )
        .await;
    let d = detail(&s, &api, &a).await;
    assert_eq!(d["category"], "hotline");
    assert!(d["number"].as_str().expect("number").contains('热'));
    assert_eq!(d["state"]["order"]["intake"]["kind"], "complaint");
    assert_eq!(d["state"]["order"]["intake"]["subject"], "幸福路餐馆");
    let (_, html) = sup.get(&format!("/items/{a}")).await;
    assert!(html.contains("id=\"order-facts\"") && html.contains("138 0013 8000"));
    // Awaiting acceptance on the desk.
    let (_, desk) = sup.get("/hotline").await;
    let stage = |desk: &str, id: &str| {
        let start = desk.find(&format!("id=\"stage-{id}\"")).expect("stage");
        let end = desk[start..].find("</section>").expect("end") + start;
        desk[start..end].to_owned()
    };
    assert!(stage(&desk, "accept").contains(&a));

    // Accepted; the caller told; on the desk with its dispatch clock.
    sup.act(&a, "accept_order", &[("note", "属于受理范围")])
        .await;
    let (_, desk) = sup.get("/hotline").await;
    assert!(stage(&desk, "dispatch").contains(&a));
    assert!(stage(&desk, "dispatch").contains("剩余"), "the clock");
    assert!(stage(&desk, "inform").contains(&a));
    let (_, html) = sup.get(&format!("/items/{a}")).await;
    assert!(html.contains("id=\"dispatch-clock\""));
    let now = local_in(0);
    sup.act(
        &a,
        "inform_caller",
        &[
            ("about", "acceptance"),
            ("method", "sms"),
            ("told_at", now.as_str()),
            ("note", "已受理"),
        ],
    )
    .await;
    let (_, desk) = sup.get("/hotline").await;
    assert!(!stage(&desk, "inform").contains(&a), "nothing owed now");

    // Not accepted, for each reason. The same caller again: offered as a likely duplicate
    // of the accepted order, and refused as such from the offer (linked).
    let dup = sup
        .intake("+86 13800138000", "", "再次反映幸福路餐馆油烟", "citizen")
        .await;
    let (_, html) = sup.get(&format!("/items/{dup}")).await;
    assert!(html.contains("id=\"duplicates\""), "offered");
    assert!(html.contains(&format!("id=\"dup-{a}\"")));
    let (code, body) = sup
        .try_act(
            &dup,
            &format!("dup-{a}"),
            "refuse_order",
            &[
                ("reason_code", "already_accepted"),
                ("of", a.as_str()),
                ("follow_up", "请凭原工单号查询办理进度"),
            ],
        )
        .await;
    assert_eq!(code, 303, "{}", refusal(&body));
    let d = detail(&s, &api, &dup).await;
    assert_eq!(d["state"]["status"], "not_accepted");
    let reason = &d["state"]["order"]["acceptance"]["reason"];
    assert_eq!(reason["reason"], "already_accepted");
    assert_eq!(reason["of"], a.as_str());
    let (_, html) = sup.get(&format!("/items/{dup}")).await;
    assert!(html.contains(&format!("href=\"/items/{a}\"")), "linked");

    let other = |n: u32| format!("咨询第{n}件与本县无关的事项");
    let remit = sup
        .intake("13900000001", "外省某市", &other(1), "citizen")
        .await;
    sup.act(
        &remit,
        "refuse_order",
        &[("reason_code", "outside_remit"), ("refer_to", "市人社局")],
    )
    .await;
    let legal = sup
        .intake("13900000002", "南城街道", &other(2), "environment")
        .await;
    sup.act(
        &legal,
        "refuse_order",
        &[
            ("reason_code", "legal_channel"),
            ("legal_channel", "民事诉讼"),
        ],
    )
    .await;
    let contested = sup
        .intake("13900000003", "北城街道", &other(3), "citizen")
        .await;
    // A contested reply needs its explanation: refused at the form, what was typed kept.
    let (code, body) = sup
        .try_act(
            &contested,
            "act-refuse_order",
            "refuse_order",
            &[("reason_code", "contested_reply"), ("note", "")],
        )
        .await;
    assert_eq!(code, 422);
    assert_eq!(refusal(&body), "input.note");
    assert!(body.contains("value=\"contested_reply\" checked"));
    sup.act(
        &contested,
        "refuse_order",
        &[
            ("reason_code", "contested_reply"),
            ("note", "已于上月答复,无新情况"),
        ],
    )
    .await;
    for (task, code) in [
        (&remit, "outside_remit"),
        (&legal, "legal_channel"),
        (&contested, "contested_reply"),
    ] {
        let d = detail(&s, &api, task).await;
        assert_eq!(d["state"]["status"], "not_accepted");
        assert_eq!(d["state"]["order"]["acceptance"]["reason"]["reason"], code);
    }

    // Dispatched to unit A; a unit staffer cannot accept (nor can anyone now).
    sup.dispatch(&a, f.unit_a).await;
    assert_eq!(status(&s, &api, &a).await, "dispatched");
    assert!(!staff_a.offers(&a, "act-accept_order").await);
    let before = trail_len(&s, &api, &a).await;
    assert_ne!(staff_a.forge(&a, "accept_order", &[]).await, 303);
    assert_eq!(trail_len(&s, &api, &a).await, before, "nothing recorded");

    // The unit returns it (no decline on an order); the office transfers it to unit B.
    assert!(!staff_a.offers(&a, "act-decline").await);
    staff_a
        .act(&a, "return_order", &[("reason", "应由教育局办理")])
        .await;
    assert_eq!(status(&s, &api, &a).await, "declined");
    let (_, desk) = sup.get("/hotline").await;
    assert!(stage(&desk, "transfer").contains(&a));
    let (_, html) = sup.get(&format!("/items/{a}")).await;
    assert!(html.contains("id=\"to-dispatch\""), "transfer offered");
    sup.dispatch(&a, f.unit_b).await;
    let d = detail(&s, &api, &a).await;
    let transfers = d["state"]["order"]["transfers"]
        .as_array()
        .expect("transfers");
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0]["to"], f.unit_b.to_string());

    // Unit B receives, asks for a committed deadline; the office approves it.
    head_b.act(&a, "receive", &[]).await;
    let until = date_in(20);
    head_b
        .act(
            &a,
            "request_commitment",
            &[
                ("until", until.as_str()),
                ("reason", "需协调市场监管部门联合执法"),
            ],
        )
        .await;
    let (_, desk) = sup.get("/hotline").await;
    assert!(stage(&desk, "commitment").contains(&a));
    sup.act(&a, "decide_commitment", &[("decision", "approve")])
        .await;
    let d = detail(&s, &api, &a).await;
    assert_eq!(d["state"]["order"]["commitments"][0]["outcome"], "approved");

    // The reply in the office's template: one text per section, composed.
    let (_, html) = head_b.get(&format!("/items/{a}")).await;
    assert_eq!(
        html.matches("name=\"section\"").count(),
        3,
        "one field a section"
    );
    // A section left empty is refused by the template's rule.
    let (code, body) = head_b
        .try_act(
            &a,
            "act-report_completion",
            "report_completion",
            &[("section", "已处理"), ("section", ""), ("section", "李明")],
        )
        .await;
    assert_eq!(code, 422);
    assert_eq!(refusal(&body), "order.reply_template");
    head_b.reply(&a).await;
    let texts: Vec<String> = detail(&s, &api, &a).await["trail"]
        .as_array()
        .expect("trail")
        .iter()
        .filter(|t| t["event"]["kind"]["event"] == "completion_reported")
        .map(|t| {
            t["event"]["kind"]["report"]["text"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(texts.len(), 1);
    assert!(
        texts[0].starts_with("【办理结果】已责令") && texts[0].contains("\n【政策依据】"),
        "{}",
        texts[0]
    );
    let (_, desk) = sup.get("/hotline").await;
    assert!(stage(&desk, "callback").contains(&a));

    // Only the first dispatcher calls back: not a unit staffer, not the administrator.
    assert!(!admin.offers(&a, "act-call_back").await);
    assert!(!head_b.offers(&a, "act-call_back").await);
    let answers = |sat: &'static str| {
        [
            ("told", "yes"),
            ("factual", "yes"),
            ("misconduct", "no"),
            ("satisfaction", sat),
        ]
    };
    let before = trail_len(&s, &api, &a).await;
    assert_ne!(
        admin.forge(&a, "call_back", &answers("satisfied")).await,
        303
    );
    assert_ne!(
        head_b.forge(&a, "call_back", &answers("satisfied")).await,
        303
    );
    assert_eq!(trail_len(&s, &api, &a).await, before);

    // Unsatisfied; reopened to the same unit; replied again; satisfied.
    let mut unsatisfied = answers("unsatisfied").to_vec();
    unsatisfied.push(("note", "噪音仍然存在"));
    sup.act(&a, "call_back", &unsatisfied).await;
    assert_eq!(status(&s, &api, &a).await, "under_review");
    let (_, desk) = sup.get("/hotline").await;
    assert!(stage(&desk, "reopen").contains(&a));
    sup.act(&a, "reopen_order", &[("reason", "来电人反映噪音仍未解决")])
        .await;
    assert_eq!(status(&s, &api, &a).await, "in_progress");
    let d = detail(&s, &api, &a).await;
    assert_eq!(
        d["state"]["order"]["reopenings"][0]["unit"],
        f.unit_b.to_string()
    );
    head_b.reply(&a).await;
    sup.act(&a, "call_back", &answers("satisfied")).await;
    assert_eq!(status(&s, &api, &a).await, "completed");
    let (_, html) = sup.get(&format!("/items/{a}")).await;
    assert!(html.contains("id=\"order-callbacks\""));
    assert_eq!(html.matches("class=\"satisfaction").count(), 2);

    // Marked typical, then unmarked.
    sup.act(&a, "mark_typical", &[("typical", "1")]).await;
    let d = detail(&s, &api, &a).await;
    assert!(d["state"]["order"]["typical"].is_object());
    let (_, html) = sup.get(&format!("/items/{a}")).await;
    assert!(html.contains("value=\"0\""), "offers to unmark");
    sup.act(&a, "mark_typical", &[("typical", "0")]).await;
    let d = detail(&s, &api, &a).await;
    assert!(d["state"]["order"]["typical"].is_null());
});

both!(
    a_12369_order_says_its_extension_rule,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = Who::new(&s, "supervisor").await;
        let head_a = Who::new(&s, "head-a").await;
        let task = sup
            .intake(
                "13700000000",
                "河滨路3号",
                "河道排污口夜间排放黑水",
                "environment",
            )
            .await;
        sup.act(&task, "accept_order", &[]).await;
        sup.dispatch(&task, f.unit_a).await;
        head_a.act(&task, "receive", &[]).await;
        let (_, html) = head_a.get(&format!("/items/{task}")).await;
        // A 12369 order asks for its extension, never a committed deadline.
        assert!(!html.contains("id=\"act-request_commitment\""));
        assert!(html.contains("id=\"act-request_extension\""));
        assert!(html.contains("id=\"extension-once\""));
    }
);

both!(
    the_hotline_pages_speak_english_to_an_english_browser,
    |s: Server| async move {
        let f = s.fixture().await;
        let sup = Who::new(&s, "supervisor").await;
        let head_b = Who::new(&s, "head-b").await;
        let a = sup
            .intake("13800138000", "城关镇幸福路12号", "餐馆油烟扰民", "citizen")
            .await;
        // A second call from the same phone: its acceptance offers the first as a duplicate.
        let b = sup
            .intake("13800138000", "城关镇幸福路12号", "餐馆油烟扰民", "citizen")
            .await;
        sup.act(&a, "accept_order", &[]).await;
        sup.dispatch(&a, f.unit_b).await;
        head_b.act(&a, "receive", &[]).await;
        head_b.reply(&a).await;
        sup.act(
            &a,
            "call_back",
            &[
                ("told", "yes"),
                ("factual", "yes"),
                ("misconduct", "no"),
                ("satisfaction", "unsatisfied"),
            ],
        )
        .await;
        // What people entered, and the policy's names: data, shown as entered.
        let api = s.login("supervisor").await;
        let mut data: Vec<String> = ["县政府", "督查室", "交通运输局", "公路股", "教育局"]
            .iter()
            .map(|d| (*d).to_owned())
            .collect();
        for task in [&a, &b] {
            data.push(
                detail(&s, &api, task).await["number"]
                    .as_str()
                    .expect("number")
                    .to_owned(),
            );
        }
        data.extend(
            [
                "王女士",
                "13800138000",
                "城关镇幸福路12号",
                "餐馆油烟扰民",
                "幸福路餐馆",
                "【办理结果】",
                "【政策依据】",
                "【承办人及联系电话】",
                "办理结果",
                "政策依据",
                "承办人及联系电话",
            ]
            .iter()
            .map(|d| (*d).to_owned()),
        );
        data.extend(REPLY.iter().map(|(_, t)| (*t).to_owned()));
        for (who, path) in [
            (&sup, "/hotline".to_owned()),
            (&sup, "/hotline/new".to_owned()),
            (&sup, format!("/items/{a}")),
            (&sup, format!("/items/{b}")),
        ] {
            let (status, html) = crate::web::page_in(
                &who.web,
                &format!("{}{path}", s.base),
                Some(&who.cookie),
                Some("en"),
            )
            .await;
            assert_eq!(status, 200, "{path}");
            assert!(html.contains("<html lang=\"en\""), "{path}");
            crate::web::all_english(&path, &html, &data);
        }
        let (_, html) = crate::web::page_in(
            &sup.web,
            &format!("{}/items/{b}", s.base),
            Some(&sup.cookie),
            Some("en"),
        )
        .await;
        assert!(html.contains("Likely duplicates") && html.contains("Same caller phone"));
    }
);
