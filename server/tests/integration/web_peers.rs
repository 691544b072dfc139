//! Peer groups (issue 20): on the demo, units are ranked among their peers — the bureaus
//! (县直部门) together, the towns (乡镇) together, 房地产市场监管股 only among the sub-units of
//! 县住房和城乡建设局 — in the overview's JSON ranking and in `/scores`, one table per group;
//! a peer group edited on the console moves the unit to the other group's table and is in
//! the administrative trail; the generated monthly bulletin ranks group by group and never
//! names a sub-unit among the bureaus.

use chrono::Datelike;
use duban_core::domain::UnitId;
use duban_server::db::Val;
use serde_json::Value;

use crate::support::*;
use crate::web::{browser, demo_sign_in, page};
use crate::web_people::post_form;
use crate::web_scores::{create_bulletin, draft_body};

const ZJJ: u128 = 0x1012;
const FDC: u128 = 0x1021;
const TOWNS: [u128; 2] = [0x1019, 0x101A];
const SUB_UNITS: [&str; 3] = ["房地产市场监管股", "安全生产综合监管股", "市政设施管护中心"];

fn id(n: u128) -> String {
    UnitId::from_u128(n).to_string()
}

/// The ranking tables of a `/scores` page: each group's key, caption and units in order.
fn tables(html: &str) -> Vec<(String, String, Vec<String>)> {
    html.split("<table class=\"ranking\" data-group=\"")
        .skip(1)
        .map(|t| {
            let t = &t[..t.find("</table>").expect("table end")];
            let key = t[..t.find('"').expect("key")].to_owned();
            let c = t.find("<caption>").expect("caption") + "<caption>".len();
            let caption = t[c..c + t[c..].find('<').expect("caption end")].to_owned();
            let units = t
                .split("<tr data-unit=\"")
                .skip(1)
                .map(|r| r[..r.find('"').expect("unit")].to_owned())
                .collect();
            (key, caption, units)
        })
        .collect()
}

/// The `/scores` query strings of this year and the last (by month, quarter and year).
fn periods() -> Vec<String> {
    let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let mut out = vec!["period=month".to_owned()];
    for year in [now.year(), now.year() - 1] {
        out.push(format!("period=year&year={year}"));
        for n in 1..=4 {
            out.push(format!("period=quarter&year={year}&n={n}"));
        }
    }
    out
}

/// Checks every table of every period: the towns and 房地产市场监管股 only in their own
/// groups; returns the periods whose tables rank 房地产市场监管股 and 县住房和城乡建设局.
async fn check_tables(
    s: &Server,
    web: &reqwest::Client,
    cookie: &str,
    zjj_group: &str,
) -> (usize, usize) {
    let (mut fdc_seen, mut zjj_seen) = (0, 0);
    for q in periods() {
        let (status, html) = page(web, &format!("{}/scores?{q}", s.base), Some(cookie)).await;
        assert_eq!(status, 200, "{q}");
        let tables = tables(&html);
        let keys: Vec<&String> = tables.iter().map(|t| &t.0).collect();
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "{q}: one table per group");
        for (key, caption, units) in &tables {
            if units.contains(&id(FDC)) {
                fdc_seen += 1;
                assert_eq!(key, &format!("sub_units:{}", id(ZJJ)), "{q}");
                assert_eq!(caption, "县住房和城乡建设局下属单位", "{q}");
                assert_eq!(
                    units,
                    &vec![id(FDC)],
                    "{q}: the bureau's only sub-unit, alone"
                );
            }
            if units.contains(&id(ZJJ)) {
                zjj_seen += 1;
                assert_eq!(key, &format!("named:{zjj_group}"), "{q}");
                assert_eq!(caption, zjj_group, "{q}");
                assert!(
                    !units.contains(&id(FDC)),
                    "{q}: the 股 is not among the bureaus"
                );
            }
            if key == "named:乡镇" {
                for u in units {
                    assert!(
                        TOWNS.iter().any(|t| id(*t) == *u)
                            || (zjj_group == "乡镇" && *u == id(ZJJ)),
                        "{q}: only towns among the towns, not {u}"
                    );
                }
            }
            for t in TOWNS {
                if units.contains(&id(t)) {
                    assert_eq!(key, "named:乡镇", "{q}: a town ranks among the towns");
                }
            }
        }
    }
    (fdc_seen, zjj_seen)
}

both!(
    units_are_ranked_among_their_peers_and_a_group_moves_on_the_console,
    |s: Server| async move {
        duban_server::seed::seed_demo(&s.state).await.expect("demo");
        let web = browser();
        let cookie = demo_sign_in(&s, &web, "supervisor").await;
        let token = s
            .login_with("supervisor", duban_server::demo::DEMO_PASSWORD)
            .await;

        // The JSON ranking: each row's group by the rule, places counted within the group.
        let overview: Value = s.get(&token, "/api/v1/overview").await.expect(200);
        let rows = overview["ranking"].as_array().expect("ranking");
        assert!(!rows.is_empty(), "the demo has items due this month");
        let mut last: Option<(String, u64)> = None;
        let mut seen_keys: Vec<String> = Vec::new();
        for r in rows {
            let unit = r["unit"]["id"].as_str().expect("unit");
            let key = r["group"]["key"].as_str().expect("group").to_owned();
            let rank = r["rank"].as_u64().expect("rank");
            if unit == id(FDC) {
                assert_eq!(key, format!("sub_units:{}", id(ZJJ)));
                assert_eq!(r["group"]["name"], "县住房和城乡建设局");
            } else if TOWNS.iter().any(|t| id(*t) == unit) {
                assert_eq!(key, "named:乡镇");
            } else if unit == id(ZJJ) {
                assert_eq!(key, "named:县直部门");
            }
            match &last {
                Some((k, prev)) if *k == key => assert!(rank >= *prev, "best first in a group"),
                _ => {
                    assert_eq!(rank, 1, "each group's ranking starts at 1");
                    assert!(!seen_keys.contains(&key), "a group's rows come together");
                    seen_keys.push(key.clone());
                }
            }
            last = Some((key, rank));
        }

        // The pages: one table per group, the 股 only among the bureau's sub-units.
        let (fdc, zjj) = check_tables(&s, &web, &cookie, "县直部门").await;
        assert!(
            fdc > 0,
            "房地产市场监管股 is ranked in some period of the demo"
        );
        assert!(
            zjj > 0,
            "县住房和城乡建设局 is ranked in some period of the demo"
        );
        // Its breakdown names the group its rank counts in.
        let (_, b) = page(
            &web,
            &format!("{}/scores/units/{}?period=year", s.base, id(FDC)),
            Some(&cookie),
        )
        .await;
        assert!(b.contains("在“县住房和城乡建设局下属单位”中"), "{b}");

        // The administrator moves the bureau to the towns' group on the console.
        let admin = demo_sign_in(&s, &web, "admin").await;
        let (status, form) = page(
            &web,
            &format!("{}/admin/units/{}", s.base, id(ZJJ)),
            Some(&admin),
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            form.contains("name=\"peer_group\" value=\"县直部门\""),
            "{form}"
        );
        let too_long = "组".repeat(31);
        let (status, _, html) = post_form(
            &s,
            &web,
            &admin,
            &format!("/admin/units/{}", id(ZJJ)),
            &[
                ("name", "县住房和城乡建设局"),
                ("parent", &id(0x1001)),
                ("short_name", "住建局"),
                ("aliases", "住建、县住建局"),
                ("peer_group", &too_long),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            html.contains("id=\"err-peer_group\"") && html.contains(&too_long),
            "refused in place, kept"
        );
        let (status, location, _) = post_form(
            &s,
            &web,
            &admin,
            &format!("/admin/units/{}", id(ZJJ)),
            &[
                ("name", "县住房和城乡建设局"),
                ("parent", &id(0x1001)),
                ("short_name", "住建局"),
                ("aliases", "住建、县住建局"),
                ("peer_group", "乡镇"),
            ],
        )
        .await;
        assert_eq!((status, location.as_str()), (303, "/admin/units"));
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        assert_eq!(
            org.unit(UnitId::from_u128(ZJJ)).expect("zjj").peer_group,
            "乡镇"
        );
        assert_eq!(
            s.scalar(
                "SELECT COUNT(*) FROM admin_trail WHERE subject = $1 AND kind = 'unit.update' \
                 AND before_json LIKE $2 AND after_json LIKE $3",
                vec![
                    Val::Text(Some(id(ZJJ))),
                    Val::Text(Some("%县直部门%".into())),
                    Val::Text(Some("%乡镇%".into())),
                ],
            )
            .await,
            1,
            "the change is in the administrative trail"
        );
        let (_, zjj) = check_tables(&s, &web, &cookie, "乡镇").await;
        assert!(zjj > 0, "the bureau is now ranked among the towns");
        let units: Value = s
            .get(
                &s.login_with("admin", duban_server::demo::DEMO_PASSWORD)
                    .await,
                "/api/v1/admin/units",
            )
            .await
            .expect(200);
        let zjj = units
            .as_array()
            .expect("units")
            .iter()
            .find(|u| u["id"] == id(ZJJ))
            .expect("zjj");
        assert_eq!(zjj["peer_group"], "乡镇", "the API reads the group");
    }
);

both!(
    the_monthly_bulletin_ranks_group_by_group,
    |s: Server| async move {
        duban_server::seed::seed_demo(&s.state).await.expect("demo");
        let web = browser();
        let cookie = demo_sign_in(&s, &web, "supervisor").await;
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let today = org.calendar.to_local(s.state.clock.now()).date();
        let last = today.with_day(1).expect("first") - chrono::Duration::days(1);
        let mut bureaus_seen = false;
        for month in [
            format!("{:04}-{:02}", today.year(), today.month()),
            format!("{:04}-{:02}", last.year(), last.month()),
        ] {
            let form = uuid::Uuid::new_v4().to_string();
            let id = create_bulletin(
                &s,
                &web,
                &cookie,
                &[
                    ("form", form.as_str()),
                    ("kind", "monthly"),
                    ("period", month.as_str()),
                ],
            )
            .await;
            let (_, draft) = page(&web, &format!("{}/bulletins/{id}", s.base), Some(&cookie)).await;
            let body = draft_body(&draft);
            let start = body.find("二、考核排名").expect("ranking section");
            let end = body.find("三、").expect("next section");
            let ranking = &body[start..end];
            // Each group's paragraph: its caption line, then its top and bottom lines.
            let mut group = String::new();
            for line in ranking.lines().skip(1) {
                if line.starts_with('（') {
                    group = line[line.find('）').expect("caption") + '）'.len_utf8()..].to_owned();
                    continue;
                }
                if group == "县直部门" {
                    bureaus_seen = true;
                    for sub in SUB_UNITS {
                        assert!(
                            !line.contains(sub),
                            "{month}: {sub} named among the bureaus: {line}"
                        );
                    }
                    assert!(
                        !line.contains("镇人民政府"),
                        "{month}: a town among the bureaus: {line}"
                    );
                }
                if line.contains("房地产市场监管股") {
                    assert_eq!(group, "县住房和城乡建设局下属单位", "{month}: {line}");
                }
            }
        }
        assert!(
            bureaus_seen,
            "the bureaus are ranked in a month of the demo"
        );
    }
);
