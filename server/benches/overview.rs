//! The leader's overview over 10,000 items: the server's time to build and render the page.
//!
//! A fresh database gets the demo organisation and scenario (`seed_demo`), then 10,000 more
//! items registered and dispatched through the sync API by the office, spread over the
//! demo's handling units with deadlines from 1 to 60 days ahead (so the lights differ), and a
//! tenth of them received and reported on. Then, for the main leader (who reads every item):
//!
//! - **server time**: `web::overview_html` — one read of the items the person may read,
//!   the figures, the overdue and escalated lists, this month's ranking, the template —
//!   called in-process, median of 21 after 3 warm-up calls;
//! - **over HTTP**: `GET /overview` with the session cookie on loopback, the same count.
//!
//! Then the item list and its keyword search (issue 18), for the same leader, each timed the
//! same way (in-process median of 21 after 3 warm-ups, then 21 requests over loopback):
//! `crate::read::list` (what `GET /api/v1/tasks` and `GET /items` both call) with a title
//! word in Chinese (`道路结冰`), the same title's pinyin initials (`dljb`), a unit's name
//! (`交通运输局`), a word found nowhere, and no keyword; over loopback the API for the three
//! searches and the `GET /items` page (20 a page) with and without a keyword. Last, the
//! unread count every page's header reads (`web::inbox::badge` calls
//! `db::notifications::unread`), in-process, for the leader and for a unit head.
//!
//! On SQLite (a temporary directory), or on PostgreSQL when `DUBAN_BENCH_PG` names a server
//! (`scripts/bench-pg overview`). Run: `cargo bench -p duban-server --bench overview`.

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::{demo, login};
use duban_server::auth::Session;

use duban_server::read::{self, ListQuery};
use duban_server::{db, feed, web};
use serde_json::Value;

const ITEMS: usize = 10_000;
const BATCH: usize = 500;
const RUNS: usize = 21;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The titles' topics: every item's title is one of these with its number, so a word of a
/// topic finds a sixteenth of the items.
const TOPICS: [&str; 16] = [
    "冬季道路结冰路段除冰保畅",
    "老旧小区改造项目推进",
    "农村生活污水治理",
    "校园周边交通安全整治",
    "城区背街小巷环境整治",
    "防汛物资储备检查",
    "重点项目用地报批",
    "企业安全生产隐患排查",
    "农贸市场升级改造",
    "秸秆禁烧巡查",
    "河道清淤疏浚",
    "医保基金监管专项检查",
    "营商环境投诉办理",
    "城区集中供暖保障",
    "乡村振兴示范村建设",
    "大气污染防治攻坚",
];

/// `median ms (min–max)` of the timings.
fn ms(v: &[Duration]) -> String {
    let f = |d: Duration| d.as_secs_f64() * 1e3;
    format!(
        "{:.1} ms ({:.1}–{:.1})",
        f(median(v.to_vec())),
        f(*v.iter().min().unwrap()),
        f(*v.iter().max().unwrap())
    )
}

/// `f` timed: 3 warm-up calls, then [`RUNS`] timed ones; the timings and the last answer.
async fn timed<T, Fut: Future<Output = T>>(mut f: impl FnMut() -> Fut) -> (Vec<Duration>, T) {
    for _ in 0..3 {
        f().await;
    }
    let mut times = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        let answer = f().await;
        times.push(t.elapsed());
        last = Some(answer);
    }
    (times, last.expect("runs"))
}

/// `GET url` over loopback with `header`, timed like [`timed`]; the last body.
async fn timed_get(
    http: &reqwest::Client,
    url: &str,
    header: (&str, &str),
) -> (Vec<Duration>, String) {
    timed(move || async move {
        let r = http
            .get(url)
            .header(header.0, header.1)
            .send()
            .await
            .expect("GET");
        assert_eq!(r.status(), 200, "GET {url}");
        r.text().await.expect("body")
    })
    .await
}

async fn stats_total(http: &reqwest::Client, base: &str, token: &str) -> u64 {
    let r: Value = http
        .get(format!("{base}/api/v1/stats"))
        .bearer_auth(token)
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats answer");
    r["total"].as_u64().expect("total")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let demo = demo("duban_bench_overview").await;
    let (base, backend) = (demo.base.clone(), demo.backend);
    let state = demo.state.clone();
    let http = reqwest::Client::new();
    // Handling units of the demo: those with a head (the leaves of the tree the office
    // dispatches to), each with its head as the named handler for a tenth of the items.
    let office = login(&http, &base, "supervisor").await;
    let token = login(&http, &base, "leader").await;
    let demo_items = stats_total(&http, &base, &token).await;
    let t = Instant::now();
    let received = demo
        .load(&http, &office, ITEMS, BATCH, |i| {
            format!(
                "{}（县政府常务会议议定事项第{i}项）",
                TOPICS[i % TOPICS.len()]
            )
        })
        .await;
    println!(
        "{backend}: demo + {ITEMS} items dispatched ({} received and reported) in {:.1} s",
        received,
        t.elapsed().as_secs_f64()
    );

    assert_eq!(
        stats_total(&http, &base, &token).await,
        demo_items + ITEMS as u64,
        "the leader reads every item"
    );
    let session = Session::of_token(&state, &token).await.expect("session");
    let mut html = String::new();
    for _ in 0..3 {
        html = web::overview_html(&state, &session, Utc::now())
            .await
            .expect("overview");
    }
    assert!(html.contains(&format!("id=\"total\">{}<", demo_items + ITEMS as u64)));
    let mut server = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let page = web::overview_html(&state, &session, Utc::now())
            .await
            .expect("overview");
        server.push(t.elapsed());
        assert_eq!(
            page.len() / 1000,
            html.len() / 1000,
            "the page changed size"
        );
    }
    let cookie = format!("{}={token}", web::COOKIE);
    let mut over_http = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let r = http
            .get(format!("{base}/overview"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("GET /overview");
        assert_eq!(r.status(), 200);
        let body = r.text().await.expect("body");
        over_http.push(t.elapsed());
        assert!(body.contains("id=\"total\">"));
    }
    let total = html
        .split("id=\"total\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("?");
    println!(
        "{backend}: leader's overview over {total} items — server time (overview_html) median {:.1} ms (min {:.1}, max {:.1}); GET /overview over loopback median {:.1} ms; page {} KB",
        median(server.clone()).as_secs_f64() * 1e3,
        server.iter().min().unwrap().as_secs_f64() * 1e3,
        server.iter().max().unwrap().as_secs_f64() * 1e3,
        median(over_http).as_secs_f64() * 1e3,
        html.len() / 1024
    );

    // The item list and its keyword search (issue 18): `read::list` is what both
    // `GET /api/v1/tasks` and `GET /items` call, 20 a page (the default of both).
    let bearer = format!("Bearer {token}");
    let searches = [
        ("a title word", "道路结冰"),
        ("its pinyin initials", "dljb"),
        ("a unit's name", "交通运输局"),
        ("a word found nowhere", "无此事项"),
    ];
    let mut first_search = Vec::new();
    for (label, word) in searches {
        let query = || ListQuery {
            q: Some(word.to_owned()),
            ..ListQuery::default()
        };
        let (server, page) = timed(|| read::list(&state, &session, query(), Utc::now())).await;
        let page = page.expect("list");
        let url = reqwest::Url::parse_with_params(&format!("{base}/api/v1/tasks"), [("q", word)])
            .expect("url");
        let (loopback, body) = timed_get(&http, url.as_str(), ("authorization", &bearer)).await;
        let answer: Value = serde_json::from_str(&body).expect("tasks answer");
        assert_eq!(
            answer["total"].as_u64(),
            Some(page.total),
            "API and read agree"
        );
        if first_search.is_empty() {
            first_search = server.clone();
        }
        println!(
            "{backend}: GET /api/v1/tasks?q={word} ({label}): {} found — server time (read::list) {}; over loopback {}",
            page.total,
            ms(&server),
            ms(&loopback)
        );
    }
    let (server, page) =
        timed(|| read::list(&state, &session, ListQuery::default(), Utc::now())).await;
    let all = page.expect("list").total;
    assert_eq!(all, demo_items + ITEMS as u64, "the list holds every item");
    println!(
        "{backend}: read::list with no keyword ({all} items, first page) — server time {}",
        ms(&server)
    );
    let pages = [
        (
            "GET /items?q=道路结冰",
            reqwest::Url::parse_with_params(&format!("{base}/items"), [("q", "道路结冰")])
                .expect("url")
                .to_string(),
            first_search,
        ),
        ("GET /items", format!("{base}/items"), server),
    ];
    for (name, url, server) in pages {
        let (loopback, body) = timed_get(&http, &url, ("cookie", &cookie)).await;
        assert!(body.contains("id=\"total\""), "{name} lists");
        println!(
            "{backend}: {name} page — server time of its read (as above) {}; page over loopback {}; page {} KB",
            ms(&server),
            ms(&loopback),
            body.len() / 1024
        );
    }

    // The unread count in every page's header: `web::inbox::badge` reads it per request.
    let (_, _, head) = &demo.heads[0];
    let head_token = login(&http, &base, head).await;
    for who in ["leader", head.as_str()] {
        let s = if who == "leader" {
            session.clone()
        } else {
            Session::of_token(&state, &head_token)
                .await
                .expect("session")
        };
        let keys = feed::keys_of(&s);
        let (times, n) = timed(|| db::notifications::unread(&state.db, s.user(), &keys)).await;
        println!(
            "{backend}: the header's unread count for {who} ({} unread, db::notifications::unread) — {}",
            n.expect("unread"),
            ms(&times)
        );
    }
}
