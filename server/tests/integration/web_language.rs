//! One language at a time, on every page of the demo for every role (issue 19).
//!
//! For one account of each role, the pages reachable from the person's home page (links of
//! this site, followed breadth-first, at most two pages of each shape, e.g. two items) are
//! read twice: with `Accept-Language: zh-CN` no text a person reads (text, `title`,
//! `aria-label`, `placeholder`, `alt`, a button's `value`) holds an English word, but for a
//! short list of names of formats and protocols, codes in `<code>`, and the data people
//! entered (accounts' user names); with `Accept-Language: en` no text is a sentence of the
//! zh-CN catalog or a zh-CN name of the domain (a status, an urgency…), and no Chinese is left
//! once the data is taken out — what people entered (names of units and people, titles,
//! contents, notes, the policy's and the calendar's names), item numbers (督〔2026〕17号), and
//! what is marked `translate="no"`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

use duban_core::domain::model::{Role, Source, Urgency, Visibility};
use duban_core::domain::state::Status;
use duban_core::domain::Code;
use reqwest::header::{ACCEPT_LANGUAGE, CONTENT_TYPE, COOKIE, LOCATION};
use scraper::{ElementRef, Html, Node};

use crate::support::*;
use crate::web::{browser, demo_sign_in};

/// Pages read per role, at most.
const MAX_PAGES: usize = 80;
/// Pages of one shape (a path with its ids and numbers replaced) read per role, at most.
const PER_SHAPE: usize = 2;

/// English words a Chinese page may show: names of formats, protocols and products.
const ALLOWED_LATIN: &[&str] = &[
    "xlsx",
    "Excel",
    "PDF",
    "CSV",
    "JSON",
    "ID",
    "GPS",
    "EXIF",
    "SMS",
    "APNs",
    "FCM",
    "HMS",
    "OA",
    "QR",
    "PNG",
    "JPEG",
    "JPG",
    "KB",
    "MB",
    "GB",
    "UTC",
    "App",
    "WPS",
    "HarmonyOS",
    "Android",
    "iOS",
    "Push",
    "Kit",
    "Aliyun",
    "Tencent",
    // Phone makers whose push services are channels (OPPO推送, vivo推送).
    "OPPO",
    "vivo",
    "BLAKE",
    "blake",
    // The search box's example of pinyin initials (道路结冰).
    "dljb",
];

/// The shape of a path: ids and numbers replaced, the query dropped.
fn shape(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.split('/')
        .map(|seg| {
            if seg.chars().any(|c| c.is_ascii_digit()) && seg.len() > 3 {
                "*"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a link is one to follow: a page of this site that only reads.
fn follow(href: &str) -> bool {
    href.starts_with('/')
        && !href.starts_with("//")
        && !href.starts_with("/assets/")
        && !href.starts_with("/api/")
        && !href.starts_with("/uploads/")
        && !href.contains(".xlsx")
        && !href.contains(".zip")
        && !href.contains("/files/")
        && !href.contains("/export")
        && !href.contains("/archive")
        && !href.contains("/template")
        && href != "/logout"
}

/// What a person reads on a page: every text outside `script`, `style` and `code`, and the
/// attributes read aloud or shown.
fn readable(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let mut out = Vec::new();
    for node in doc.tree.nodes() {
        match node.value() {
            Node::Text(text) => {
                let hidden = node.ancestors().any(|a| {
                    ElementRef::wrap(a).is_some_and(|e| {
                        matches!(e.value().name(), "script" | "style" | "code")
                            || e.value().attr("translate") == Some("no")
                    })
                });
                let t = text.trim();
                if !hidden && !t.is_empty() {
                    out.push(t.to_owned());
                }
            }
            Node::Element(e) => {
                for attr in ["title", "aria-label", "placeholder", "alt"] {
                    if let Some(v) = e.attr(attr) {
                        out.push(v.trim().to_owned());
                    }
                }
                let button = e.name() == "input"
                    && matches!(e.attr("type"), Some("submit" | "button" | "reset"));
                if button {
                    if let Some(v) = e.attr("value") {
                        out.push(v.trim().to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// What people entered, which a page shows as entered in whatever language it is in: every
/// text of every event and change (titles, contents, notes, reasons, numbers, hashes), the
/// names of units and people, user names. Longest first, to be taken out of a page's texts.
async fn data_texts(s: &Server) -> Vec<String> {
    fn strings(v: &serde_json::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_json::Value::String(t) if t.chars().count() >= 2 => {
                out.insert(t.trim().to_owned());
                for line in t.lines() {
                    out.insert(line.trim().to_owned());
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for row in s
        .state
        .db
        .rows("SELECT body FROM changes", vec![])
        .await
        .expect("changes")
    {
        let body = row.get_text("body").expect("body");
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) {
            strings(&v, &mut out);
        }
    }
    // The policy and the calendar as entered (category names, holidays' names, a calendar's
    // source).
    for row in s
        .state
        .db
        .rows("SELECT value FROM settings", vec![])
        .await
        .expect("settings")
    {
        let value = row.get_text("value").expect("value");
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&value) {
            strings(&v, &mut out);
        }
    }
    for (sql, col) in [
        ("SELECT name FROM units", "name"),
        ("SELECT short_name FROM units", "short_name"),
        ("SELECT name FROM users", "name"),
        ("SELECT position FROM users", "position"),
        ("SELECT username FROM users", "username"),
        ("SELECT title FROM bulletins", "title"),
    ] {
        for row in s.state.db.rows(sql, vec![]).await.expect(sql) {
            if let Ok(t) = row.get_text(col) {
                if t.chars().count() >= 2 {
                    out.insert(t);
                }
            }
        }
    }
    out.remove("");
    let mut v: Vec<String> = out.into_iter().collect();
    v.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
    v
}

/// `text` with the data in it taken out, and hashes (long runs of hex digits) and item
/// numbers (`督〔2026〕17号`, the official document number: a category's prefix, the year, the
/// place) too.
fn without_data(text: &str, data: &[String]) -> String {
    static NUMBER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"\p{Han}+〔\d{4}〕\d+号").expect("the number's pattern")
    });
    let mut t = NUMBER.replace_all(text, " ").into_owned();
    for d in data {
        if t.contains(d.as_str()) {
            t = t.replace(d.as_str(), " ");
        }
    }
    t.split_whitespace()
        .filter(|w| {
            let hex = w.trim_end_matches('.');
            !(hex.len() >= 12 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `c` is a Chinese character or Chinese punctuation.
fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303F}' | '\u{3400}'..='\u{9FFF}' | '\u{FF00}'..='\u{FFEF}')
}

/// The English words of `text` that are not allowed on a Chinese page.
fn english_words<'a>(text: &'a str, allowed: &BTreeSet<String>) -> Vec<&'a str> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() >= 2 && !allowed.contains(*w))
        .collect()
}

/// The zh-CN texts an English page must not show: the catalog's (the literal parts of each
/// message, each of at least two characters), and the domain's zh-CN names.
struct ZhTexts {
    /// The catalog's texts.
    catalog: BTreeSet<String>,
    /// The domain's names (a status, an urgency…), which data such as a title may contain.
    names: BTreeSet<String>,
}

fn zh_texts() -> ZhTexts {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales/zh-CN");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("catalog") {
        let path = entry.expect("file").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let Ok(resource) = fluent_syntax::parser::parse(text.as_str()) else {
            panic!("{} does not parse", path.display());
        };
        for entry in resource.body {
            if let fluent_syntax::ast::Entry::Message(m) = entry {
                let patterns = m
                    .value
                    .into_iter()
                    .chain(m.attributes.into_iter().map(|a| a.value));
                for p in patterns {
                    for el in p.elements {
                        if let fluent_syntax::ast::PatternElement::TextElement { value } = el {
                            let v = value.trim();
                            if v.chars().filter(|c| !c.is_ascii()).count() >= 2 {
                                out.insert(v.to_owned());
                            }
                        }
                    }
                }
            }
        }
    }
    fn names<C: Code>(out: &mut BTreeSet<String>) {
        for v in C::ALL {
            out.insert(v.zh().to_owned());
        }
    }
    let mut domain = BTreeSet::new();
    names::<Status>(&mut domain);
    names::<Urgency>(&mut domain);
    names::<Visibility>(&mut domain);
    names::<Source>(&mut domain);
    names::<Role>(&mut domain);
    ZhTexts {
        catalog: out,
        names: domain,
    }
}

/// The zh-CN texts a text of an English page shows: the whole text is a catalog text or a
/// domain name, or it holds a catalog text of four characters or more.
fn untranslated<'a>(text: &str, zh: &'a ZhTexts) -> Vec<&'a str> {
    zh.catalog
        .iter()
        .filter(|z| text == z.as_str() || (z.chars().count() >= 4 && text.contains(z.as_str())))
        .chain(zh.names.iter().filter(|z| text == z.as_str()))
        .map(String::as_str)
        .collect()
}

/// The pages a person reaches from home (and from the `more` pages), in `lang`: path → HTML.
async fn crawl(
    s: &Server,
    cookie: &str,
    lang: &str,
    more: &[String],
    broken: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let web = browser();
    let mut seen_shapes: BTreeMap<String, usize> = BTreeMap::new();
    let mut queued: BTreeSet<String> = more.iter().cloned().collect();
    let mut queue = VecDeque::from(["/".to_owned()]);
    queue.extend(more.iter().cloned());
    let mut pages = BTreeMap::new();
    while let Some(path) = queue.pop_front() {
        if pages.len() >= MAX_PAGES {
            break;
        }
        let mut url = path.clone();
        let mut html = None;
        for _ in 0..5 {
            let mut req = web
                .get(format!("{}{url}", s.base))
                .header(ACCEPT_LANGUAGE, lang);
            if !cookie.is_empty() {
                req = req.header(COOKIE, cookie);
            }
            let r = req.send().await.expect("get");
            if r.status().is_redirection() {
                url = r.headers()[LOCATION].to_str().expect("location").to_owned();
                continue;
            }
            let is_html = r
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            let status = r.status().as_u16();
            if is_html {
                html = Some(r.text().await.expect("body"));
            }
            assert!(status < 500, "{url} answered {status}");
            if status >= 400 {
                broken.push(format!("{url}, linked from a page, answered {status}"));
            }
            break;
        }
        let Some(html) = html else { continue };
        let doc = Html::parse_document(&html);
        let links = scraper::Selector::parse("a[href]").expect("selector");
        for a in doc.select(&links) {
            let href = a.value().attr("href").unwrap_or("");
            let href = href.split('#').next().unwrap_or("").to_owned();
            if !follow(&href) || queued.contains(&href) {
                continue;
            }
            let n = seen_shapes.entry(shape(&href)).or_default();
            if *n >= PER_SHAPE {
                continue;
            }
            *n += 1;
            queued.insert(href.clone());
            queue.push_back(href);
        }
        pages.insert(url, html);
    }
    pages
}

/// A weekly item asking for two figures, dispatched as one batch to three units of the demo
/// (the first unit head's, the first staff member's, and others), its first period asked for
/// by the scheduler (the clock moved to that period) and answered on time, late and not at
/// all: the pages to add to each person's crawl (by user name) — the item page and the
/// period's sheet of all units (issue 20) for those who read every item, and of their own
/// unit's item for a unit's head and staff.
async fn periodic_sheet_pages(s: &Server) -> BTreeMap<String, Vec<String>> {
    use duban_core::domain::batch::nth_period_start;
    use duban_core::domain::permission::reads_every_item;
    use duban_core::domain::Roles;

    let people: Vec<_> = duban_server::demo::accounts_by_role()
        .into_iter()
        .flat_map(|(_, p)| p)
        .collect();
    let first = |role: Role| {
        people
            .iter()
            .find(|p| p.roles.contains(&role))
            .expect("a person of the role")
            .clone()
    };
    let (office, head, staff) = (
        first(Role::Supervisor),
        first(Role::UnitHead),
        first(Role::Staff),
    );
    let mut units = vec![head.unit.expect("a unit")];
    // Units with someone to act for them.
    let others = people
        .iter()
        .filter(|p| p.roles.contains(&Role::UnitHead) || p.roles.contains(&Role::Staff))
        .filter_map(|p| p.unit);
    for u in staff.unit.into_iter().chain(others) {
        if units.len() < 3 && !units.contains(&u) {
            units.push(u);
        }
    }
    let password = duban_server::demo::DEMO_PASSWORD;
    let token = s.login_with(&office.username, password).await;
    let batch = uuid::Uuid::new_v4();
    let deadline = (chrono::Utc::now() + chrono::Duration::days(40)).to_rfc3339();
    let mut items = Vec::new();
    for unit in &units {
        let t = tid();
        let mut reg = register(&t, "重点项目周报(语言检查)");
        reg["command"]["recurrence"] = serde_json::json!({
            "period": "weekly", "due_working_days": 1,
            "fields": ["本月完成投资（万元）", "整改完成数"]
        });
        reg["command"]["batch"] = serde_json::json!(batch);
        reg["command"]["deadline"] = serde_json::json!(deadline);
        s.ok(&token, reg).await;
        s.ok(&token, dispatch(&t, *unit, None)).await;
        items.push((t, *unit));
    }
    let member = |unit| {
        people
            .iter()
            .find(|p| {
                p.unit == Some(unit)
                    && (p.roles.contains(&Role::UnitHead) || p.roles.contains(&Role::Staff))
            })
            .expect("someone of the unit")
            .username
            .clone()
    };
    // The first period after the dispatch.
    let org = s.state.org.latest(&s.state.db).await.expect("org");
    let cal = &org.calendar;
    let now = s.state.clock.now();
    let start = nth_period_start(
        duban_core::domain::model::Period::Weekly,
        cal.to_local(now).date(),
        1,
    )
    .expect("period 1");
    let start_at = cal.from_local(start.and_time(chrono::NaiveTime::MIN));
    s.state
        .clock
        .advance(start_at + chrono::Duration::minutes(1) - now);
    duban_server::scheduler::tick(&s.state, s.state.clock.now())
        .await
        .expect("tick");
    // Figures that cannot be read as part of a hash (the check takes data out of a page's
    // texts, and a short run of hex digits taken out would cut a hash shown into words).
    let report = |t: &str, text: &str| {
        simple(
            t,
            "report_progress",
            serde_json::json!({
                "report": {"id": cid(), "text": text, "evidence": [],
                           "values": {"本月完成投资（万元）": "120.5", "整改完成数": "3"}},
                "percent": 10, "milestone": null, "answers": 1
            }),
        )
    };
    // On time, then late; the third unit never answers.
    for (i, (t, unit)) in items.iter().take(2).enumerate() {
        let who = s.login_with(&member(*unit), password).await;
        s.ok(&who, simple(t, "receive", serde_json::json!({})))
            .await;
        if i == 1 {
            s.state.clock.advance(chrono::Duration::days(3));
        }
        s.ok(&who, report(t, "本周进展")).await;
    }
    let mut out = BTreeMap::new();
    for p in &people {
        let roles = Roles::of(&p.roles);
        let own = items
            .iter()
            .find(|(_, u)| Some(*u) == p.unit)
            .map(|(t, _)| t);
        let item = if reads_every_item(roles) {
            Some(&items[0].0)
        } else if roles.any(&[Role::UnitHead, Role::Staff]) {
            own
        } else {
            None
        };
        if let Some(t) = item {
            out.insert(
                p.username.clone(),
                vec![
                    format!("/items/{t}"),
                    format!("/items/{t}/reports?period=1"),
                ],
            );
        }
    }
    out
}

/// One account of each role of the demo.
fn one_per_role() -> Vec<(Role, String)> {
    duban_server::demo::accounts_by_role()
        .into_iter()
        .filter_map(|(role, people)| people.first().map(|p| (role, p.username.clone())))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_of_every_role_speaks_one_language() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let sheets = periodic_sheet_pages(&s).await;
    let mut allowed: BTreeSet<String> = ALLOWED_LATIN.iter().map(|w| (*w).to_owned()).collect();
    for (_, people) in duban_server::demo::accounts_by_role() {
        for p in people {
            for w in p.username.split(|c: char| !c.is_ascii_alphabetic()) {
                allowed.insert(w.to_owned());
            }
        }
    }
    let zh = zh_texts();
    let data = data_texts(&s).await;
    let web = browser();
    let mut problems = Vec::new();
    let mut read = 0;
    let mut people: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
    people.extend(one_per_role().into_iter().map(|(r, u)| (Some(r), Some(u))));
    for (role, username) in people {
        // Nobody signed in: the sign-in page and the public board.
        let cookie = match &username {
            Some(u) => demo_sign_in(&s, &web, u).await,
            None => String::new(),
        };
        let mut more = username
            .as_ref()
            .and_then(|u| sheets.get(u))
            .cloned()
            .unwrap_or_default();
        if role == Some(Role::Admin) {
            // The work apps' page (issue 21).
            more.push("/admin/work-apps".to_owned());
        }
        let zh_pages = crawl(&s, &cookie, "zh-CN", &more, &mut problems).await;
        for path in &more {
            assert!(
                zh_pages.keys().any(|p| p.starts_with(path.as_str())),
                "{role:?} read {path}"
            );
        }
        let least = if role.is_some() { 5 } else { 2 };
        assert!(
            zh_pages.len() >= least,
            "{role:?} reaches {} pages",
            zh_pages.len()
        );
        read += zh_pages.len();
        for (path, html) in &zh_pages {
            for text in readable(html) {
                let text = without_data(&text, &data);
                let words = english_words(&text, &allowed);
                if !words.is_empty() {
                    problems.push(format!("zh {role:?} {path}: {text:?} ({words:?})"));
                }
            }
        }
        let en_pages = crawl(&s, &cookie, "en", &more, &mut problems).await;
        read += en_pages.len();
        for (path, html) in &en_pages {
            if !html.contains("<html lang=\"en\"") {
                problems.push(format!(
                    "en {role:?} {path}: the page is not marked English"
                ));
            }
            for text in readable(html) {
                let text = without_data(&text, &data);
                let found = untranslated(&text, &zh);
                if !found.is_empty() {
                    problems.push(format!("en {role:?} {path}: {text:?} ({found:?})"));
                } else if text.chars().any(|c| is_cjk(c) && c != '、') {
                    // (The enumeration comma is named where a form accepts it as a separator.)
                    problems.push(format!("en {role:?} {path}: {text:?} (Chinese, not data)"));
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} texts in the wrong language over {read} pages:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_checks_find_what_they_look_for() {
    let allowed: BTreeSet<String> = ALLOWED_LATIN.iter().map(|w| (*w).to_owned()).collect();
    assert_eq!(english_words("紧急 urgent", &allowed), vec!["urgent"]);
    assert!(english_words("导出 xlsx 文件", &allowed).is_empty());
    let texts = readable(
        "<html><head><title>x</title><script>var Overview;</script></head><body>\
         <h1>总览 Overview</h1><code>input.unknown_person</code>\
         <button aria-label=\"Close\">关闭</button></body></html>",
    );
    assert!(texts.contains(&"总览 Overview".to_owned()), "{texts:?}");
    assert!(texts.contains(&"Close".to_owned()), "{texts:?}");
    assert!(!texts
        .iter()
        .any(|t| t.contains("unknown_person") || t.contains("var")));
    let zh = zh_texts();
    assert!(!untranslated("办理中", &zh).is_empty());
    assert!(untranslated("In progress", &zh).is_empty());
    assert_eq!(shape("/items/7b1c2d3e-aaaa/report?x=1"), "/items/*/report");
    let data = vec!["已更换损坏LED灯具".to_owned()];
    assert_eq!(
        without_data("完成汇报：已更换损坏LED灯具 041f38add6bb...", &data),
        "完成汇报："
    );
    assert_eq!(without_data("Due 会议决定", &data), "Due 会议决定");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_error_speaks_the_requests_language_and_carries_both() {
    let s = start(Backend::Sqlite).await;
    let login = |lang: Option<&'static str>| {
        let mut req = s
            .http
            .post(format!("{}/api/v1/auth/login", s.base))
            .json(&serde_json::json!({"username": "nobody", "password": "wrong-password-1", "device": "d"}));
        if let Some(l) = lang {
            req = req.header(ACCEPT_LANGUAGE, l);
        }
        req.send()
    };
    for (lang, key) in [
        (None, "zh"),
        (Some("zh-CN"), "zh"),
        (Some("en-GB,en;q=0.9"), "en"),
    ] {
        let r = login(lang).await.expect("login");
        assert_eq!(r.status(), 401);
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["code"], "auth.bad_credentials", "{body}");
        assert_eq!(body["message"], body[key], "{lang:?}: {body}");
        assert_ne!(body["zh"], body["en"], "{body}");
    }
}
