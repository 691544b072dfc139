//! Exports: the ledger page and its xlsx hold exactly the items the person may read in the
//! period (the rows of `GET /api/v1/tasks`), the statistics xlsx holds the figures of
//! `GET /api/v1/stats`, bad dates are refused with a stable code, and an item's archive
//! verifies with the real `duban verify-archive` — and fails once a photo or an event in it
//! is changed; a person who may not read the item cannot get it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};
use std::process::Command;

use calamine::{open_workbook_from_rs, Data, DataType, Reader, Xlsx};
use chrono::NaiveDate;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE};
use serde_json::{json, Value};

use crate::support::*;
use crate::web::{browser, page, sign_in};

const PERIOD: &str = "from=2026-01-01&to=2026-12-31&unit=&category=&status=";

fn hash_of(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

/// Uploads a "photo" (bytes not all alike) as `token`; returns its reference.
async fn upload(s: &Server, token: &str, seed: u32) -> Value {
    let data: Vec<u8> = (0..3_000u32)
        .map(|i| ((i * 13 + seed * 7) % 253) as u8)
        .collect();
    let hash = hash_of(&data);
    let r = s
        .http
        .put(format!("{}/api/v1/blobs/{hash}", s.base))
        .bearer_auth(token)
        .header("content-type", "image/jpeg")
        .body(data.clone())
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status().as_u16(), 201);
    json!({"hash": hash, "mime": "image/jpeg", "size": data.len(), "name": format!("现场{seed}.jpg")})
}

/// The items of the test: two in unit A (one with photos and a report), one in unit B, all
/// registered now; and one registered after the period (the clock moved into 2027).
struct World {
    f: Fixture,
    a: String,
    a2: String,
    b: String,
    later: String,
}

async fn world(s: &Server) -> World {
    let f = s.fixture().await;
    let sup = s.login("supervisor").await;
    let staff_a = s.login("staff-a").await;
    let w = World {
        f: f.clone(),
        a: tid(),
        a2: tid(),
        b: tid(),
        later: tid(),
    };
    let photo = upload(s, &sup, 1).await;
    let mut reg = register(&w.a, "甲单位道路修复");
    reg["command"]["attachments"] = json!([photo]);
    reg["command"]["number"] = json!({"prefix": "议", "year": 2026, "seq": 11});
    s.ok(&sup, reg).await;
    s.ok(&sup, dispatch(&w.a, f.unit_a, Some(f.staff_a))).await;
    s.ok(&staff_a, simple(&w.a, "receive", json!({}))).await;
    let evidence = upload(s, &staff_a, 2).await;
    s.ok(
        &staff_a,
        simple(
            &w.a,
            "report_progress",
            json!({
                "report": {"id": tid(), "text": "路面已修复一半", "evidence": [evidence]},
                "percent": 50, "milestone": null, "answers": null
            }),
        ),
    )
    .await;
    let mut reg = register(&w.a2, "公路股巡查");
    reg["command"]["number"] = json!({"prefix": "议", "year": 2026, "seq": 12});
    s.ok(&sup, reg).await;
    s.ok(&sup, dispatch(&w.a2, f.unit_a1, None)).await;
    let mut reg = register(&w.b, "乙单位校舍检查");
    reg["command"]["number"] = json!({"prefix": "议", "year": 2026, "seq": 13});
    s.ok(&sup, reg).await;
    s.ok(&sup, dispatch(&w.b, f.unit_b, None)).await;
    // Well after the end of 2026 whatever today is in 2026.
    let now = s.state.clock.now();
    let next_year = NaiveDate::from_ymd_opt(2027, 1, 15)
        .unwrap()
        .and_hms_opt(4, 0, 0)
        .unwrap()
        .and_utc();
    if next_year > now {
        s.state.clock.advance(next_year - now);
    }
    let mut reg = register(&w.later, "下一年度事项");
    reg["command"]["number"] = json!({"prefix": "议", "year": 2027, "seq": 1});
    s.ok(&sup, reg).await;
    w
}

/// The ids and (number, title) of `GET /api/v1/tasks` with the period, over all pages.
async fn api_items(s: &Server, token: &str) -> BTreeMap<String, (String, String)> {
    let r = s
        .get(
            token,
            "/api/v1/tasks?from=2026-01-01&to=2026-12-31&per_page=200",
        )
        .await
        .expect(200);
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_owned(),
                (
                    i["number"].as_str().unwrap().to_owned(),
                    i["title"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

/// The items (`data-item`) of the ledger page's table.
fn page_items(html: &str) -> BTreeSet<String> {
    html.split("<tr data-item=\"")
        .skip(1)
        .map(|rest| rest[..36].to_owned())
        .collect()
}

/// Downloads `path` with the cookie: status, headers, bytes.
async fn fetch(
    web: &reqwest::Client,
    url: &str,
    cookie: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let r = web
        .get(url)
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("get");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.bytes().await.expect("body").to_vec())
}

/// The rows of a sheet, as calamine reads them.
fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("an xlsx");
    let range = wb.worksheet_range(name).expect(name);
    range.rows().map(<[Data]>::to_vec).collect()
}

fn cell_text(d: &Data) -> String {
    d.get_string().map(str::to_owned).unwrap_or_default()
}

/// The ledger sheet's rows by item id (column 21): (number, title, the row).
fn ledger_rows(bytes: &[u8]) -> BTreeMap<String, Vec<Data>> {
    let rows = sheet(bytes, "台账");
    assert!(cell_text(&rows[0][0]).contains("督办事项台账"), "title row");
    assert_eq!(cell_text(&rows[1][1]), "编号");
    // One language: no English word in the headers.
    for h in &rows[1] {
        let h = cell_text(h);
        assert!(!h.chars().any(|c| c.is_ascii_alphabetic()), "header {h}");
    }
    rows.into_iter()
        .skip(2)
        .map(|r| (cell_text(&r[20]), r))
        .collect()
}

/// Excel's serial number of a date.
fn serial(d: NaiveDate) -> f64 {
    (d - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64
}

both!(
    the_ledger_holds_exactly_the_items_the_person_may_read,
    |s: Server| async move {
        let w = world(&s).await;
        let web = browser();
        for (user, expected) in [
            ("supervisor", vec![&w.a, &w.a2, &w.b]),
            ("staff-b", vec![&w.b]),
            ("head-a", vec![&w.a, &w.a2]),
        ] {
            let token = s.login(user).await;
            let api = api_items(&s, &token).await;
            let want: BTreeSet<String> = expected.iter().map(|t| t.to_string()).collect();
            assert_eq!(api.keys().cloned().collect::<BTreeSet<_>>(), want, "{user}");
            assert!(!api.contains_key(&w.later), "outside the period");

            let cookie = sign_in(&s, &web, user).await;
            let (status, html) =
                page(&web, &format!("{}/ledger?{PERIOD}", s.base), Some(&cookie)).await;
            assert_eq!(status, 200, "{html}");
            assert_eq!(page_items(&html), want, "{user}: the page's rows");
            assert!(html.contains(&format!("id=\"ledger-total\">{}<", want.len())));
            assert!(
                html.contains("href=\"/ledger.xlsx?from=2026-01-01&#38;to=2026-12-31&#38;"),
                "{html}"
            );

            let (status, headers, bytes) =
                fetch(&web, &format!("{}/ledger.xlsx?{PERIOD}", s.base), &cookie).await;
            assert_eq!(status, 200);
            assert_eq!(
                headers[CONTENT_TYPE],
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            );
            let cd = headers[CONTENT_DISPOSITION].to_str().unwrap();
            assert!(
                cd.contains("filename=\"ledger-2026-01-01-2026-12-31.xlsx\"")
                    && cd
                        .contains("filename*=UTF-8''%E5%8F%B0%E8%B4%A6-2026-01-01-2026-12-31.xlsx"),
                "{cd}"
            );
            let rows = ledger_rows(&bytes);
            assert_eq!(
                rows.keys().cloned().collect::<BTreeSet<_>>(),
                want,
                "{user}: the xlsx's rows"
            );
            for (id, (number, title)) in &api {
                let r = &rows[id];
                assert_eq!(&cell_text(&r[1]), number);
                assert_eq!(&cell_text(&r[3]), title);
                // Registered today (in 2026): a real date.
                let Data::DateTime(day) = &r[10] else {
                    panic!("not a date cell: {:?}", r[10]);
                };
                let day = day.as_f64();
                assert!(
                    day >= serial(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
                        && day <= serial(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap())
                );
            }
            let export = sheet(&bytes, "导出信息");
            let by: Vec<String> = export.iter().map(|r| cell_text(&r[1])).collect();
            assert!(by.iter().any(|v| v.contains(user)), "who exported: {by:?}");
        }

        // The report's words and the lead unit reach the ledger.
        let cookie = sign_in(&s, &web, "supervisor").await;
        let (_, _, bytes) = fetch(&web, &format!("{}/ledger.xlsx?{PERIOD}", s.base), &cookie).await;
        let rows = ledger_rows(&bytes);
        let a = &rows[&w.a];
        assert_eq!(cell_text(&a[7]), "交通运输局");
        assert_eq!(cell_text(&a[8]), "staff-a");
        assert_eq!(a[14].as_f64(), Some(50.0), "progress");
        assert!(cell_text(&a[19]).contains("路面已修复一半"), "{:?}", a[19]);
        let _ = w.f;

        // A filter by unit narrows the rows as the API does.
        let (_, html) = page(
            &web,
            &format!(
                "{}/ledger?from=2026-01-01&to=2026-12-31&unit={}&category=&status=",
                s.base, w.f.unit_b
            ),
            Some(&cookie),
        )
        .await;
        assert_eq!(page_items(&html), BTreeSet::from([w.b.clone()]));
    }
);

both!(
    bad_dates_are_refused_with_a_stable_code,
    |s: Server| async move {
        s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        for query in [
            "from=2026-13-01&to=2026-12-31",
            "from=yesterday&to=",
            "from=2026-12-31&to=2026-01-01",
        ] {
            let (status, html) =
                page(&web, &format!("{}/ledger?{query}", s.base), Some(&cookie)).await;
            assert_eq!(status, 400, "{query}");
            assert!(html.contains("data-code=\"query.bad_filter\""), "{html}");
            assert!(html.contains("name=\"from\""), "the form is still there");
            for path in ["ledger.xlsx", "stats.xlsx"] {
                let (status, _, body) =
                    fetch(&web, &format!("{}/{path}?{query}", s.base), &cookie).await;
                assert_eq!(status, 400, "{path}?{query}");
                // Outside the API, the pages' HTML error page with the code.
                let body = String::from_utf8(body).expect("text");
                assert!(body.contains("data-code=\"query.bad_filter\""), "{body}");
            }
        }
        // What was typed stays in the form.
        let (_, html) = page(
            &web,
            &format!("{}/ledger?from=2026-13-01&to=2026-12-31", s.base),
            Some(&cookie),
        )
        .await;
        assert!(html.contains("value=\"2026-13-01\""), "{html}");
    }
);

both!(
    the_statistics_xlsx_holds_the_figures_of_the_api,
    |s: Server| async move {
        let w = world(&s).await;
        let web = browser();
        let token = s.login("supervisor").await;
        let cookie = sign_in(&s, &web, "supervisor").await;
        let api = s
            .get(&token, "/api/v1/stats?from=2026-01-01&to=2026-12-31")
            .await
            .expect(200);
        let (status, headers, bytes) =
            fetch(&web, &format!("{}/stats.xlsx?{PERIOD}", s.base), &cookie).await;
        assert_eq!(status, 200);
        assert!(headers[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("stats-2026-01-01-2026-12-31.xlsx"));
        let summary = sheet(&bytes, "总览");
        let figure = |label: &str| {
            summary
                .iter()
                .find(|r| cell_text(&r[0]).starts_with(label))
                .and_then(|r| r[1].as_f64())
                .unwrap_or_else(|| panic!("{label}"))
        };
        assert_eq!(figure("事项总数"), api["total"].as_f64().unwrap());
        assert_eq!(api["total"], 3);
        assert_eq!(figure("逾期未报"), api["overdue"].as_f64().unwrap());
        assert_eq!(figure("督办升级"), api["escalated"].as_f64().unwrap());
        for (label, key) in [
            ("应办结", "due"),
            ("按期办结", "on_time"),
            ("逾期办结", "late"),
            ("未办结", "open"),
        ] {
            assert_eq!(
                figure(label),
                api["completion"][key].as_f64().unwrap(),
                "{label}"
            );
        }
        for (name, key) in [
            ("按单位", "by_unit"),
            ("按人员", "by_person"),
            ("按类别", "by_category"),
            ("按状态", "by_status"),
            ("按紧急程度", "by_urgency"),
            ("按亮灯", "by_light"),
        ] {
            let rows = sheet(&bytes, name);
            let got: BTreeMap<String, f64> = rows
                .iter()
                .skip(2)
                .filter(|r| !cell_text(&r[0]).starts_with("合计"))
                .map(|r| (cell_text(&r[3]), r[1].as_f64().unwrap()))
                .collect();
            let want: BTreeMap<String, f64> = api[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| {
                    (
                        b["key"].as_str().unwrap().to_owned(),
                        b["count"].as_f64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(got, want, "{name}");
            let total = rows.last().unwrap();
            assert!(cell_text(&total[0]).starts_with("合计"));
            assert_eq!(total[1].as_f64(), Some(3.0), "{name}: the total");
        }
        let units = sheet(&bytes, "按单位");
        assert!(units
            .iter()
            .any(|r| cell_text(&r[3]) == w.f.unit_a.to_string()));
    }
);

/// Runs `duban verify-archive` on the bytes: exit status, stdout, stderr.
fn verify_archive(bytes: &[u8]) -> (Option<i32>, String, String) {
    let path = std::env::temp_dir().join(format!("duban-archive-{}.zip", uuid::Uuid::new_v4()));
    std::fs::write(&path, bytes).expect("write the archive");
    let out = Command::new(env!("CARGO_BIN_EXE_duban"))
        .arg("verify-archive")
        .arg(&path)
        .output()
        .expect("the duban binary runs");
    let _ = std::fs::remove_file(&path);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The zip's files, changed by `edit`, written again.
fn rewrite(bytes: &[u8], edit: impl Fn(&str, &mut Vec<u8>)) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a zip");
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        edit(&name, &mut data);
        out.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

both!(
    the_archive_verifies_offline_and_a_changed_one_does_not,
    |s: Server| async move {
        let w = world(&s).await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let url = format!("{}/items/{}/archive.zip", s.base, w.a);
        let (status, headers, bytes) = fetch(&web, &url, &cookie).await;
        assert_eq!(status, 200);
        assert_eq!(headers[CONTENT_TYPE], "application/zip");
        assert!(headers[CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains(&format!("archive-{}.zip", w.a)));

        // What it holds: the manifest with the server's trail, both photos, the readable trail.
        let token = s.login("supervisor").await;
        let detail = s
            .get(&token, &format!("/api/v1/tasks/{}", w.a))
            .await
            .expect(200);
        let trail = detail["trail"].as_array().unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
        let mut manifest = String::new();
        zip.by_name("manifest.json")
            .unwrap()
            .read_to_string(&mut manifest)
            .unwrap();
        let m: Value = serde_json::from_str(&manifest).unwrap();
        assert_eq!(m["item"]["id"], w.a.as_str());
        assert_eq!(m["item"]["title"], "甲单位道路修复");
        let events = m["trail"]["events"].as_array().unwrap();
        assert_eq!(events.len(), trail.len());
        for (e, t) in events.iter().zip(trail) {
            assert_eq!(e["hash"], t["hash"], "the server's trail hashes");
        }
        assert_eq!(m["trail"]["head"], trail.last().unwrap()["hash"]);
        let photos: Vec<&str> = m["files"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["path"].as_str())
            .filter(|p| p.starts_with("evidence/") && p.ends_with(".jpg"))
            .collect();
        assert_eq!(photos.len(), 2, "the attachment and the report's photo");
        let mut text = String::new();
        zip.by_name("trail.txt")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(
            text.contains("进展汇报") && text.contains("路面已修复一半"),
            "{text}"
        );
        assert!(zip.by_name("VERIFY.txt").is_ok());

        let (code, out, err) = verify_archive(&bytes);
        assert_eq!(code, Some(0), "{out}{err}");
        assert!(out.starts_with("OK"), "{out}");

        // A byte of a photo flipped.
        let flipped = rewrite(&bytes, |name, data| {
            if name.starts_with("evidence/") {
                data[10] ^= 0x20;
            }
        });
        let (code, out, err) = verify_archive(&flipped);
        assert_eq!(code, Some(1), "{out}{err}");
        assert!(err.contains("error[archive.mismatch]"), "{err}");
        assert!(err.contains("archive.file_altered"), "{err}");

        // An event edited (the report's words).
        let edited = rewrite(&bytes, |name, data| {
            if name == "trail.json" {
                let t = String::from_utf8(data.clone()).unwrap();
                assert!(t.contains("路面已修复一半"));
                *data = t.replace("路面已修复一半", "路面已全部修复").into_bytes();
            }
        });
        let (code, _, err) = verify_archive(&edited);
        assert_eq!(code, Some(1));
        assert!(err.contains("trail.altered"), "{err}");

        // Unit B may not read the item: no archive, the same 404 as for no item.
        let cookie_b = sign_in(&s, &web, "staff-b").await;
        let (status, _, hidden) = fetch(&web, &url, &cookie_b).await;
        assert_eq!(status, 404);
        let (_, _, absent) = fetch(
            &web,
            &format!("{}/items/{}/archive.zip", s.base, tid()),
            &cookie_b,
        )
        .await;
        assert_eq!(hidden, absent);
        // Unit A's staff may: they read the item.
        let cookie_a = sign_in(&s, &web, "staff-a").await;
        let (status, _, bytes_a) = fetch(&web, &url, &cookie_a).await;
        assert_eq!(status, 200);
        assert_eq!(verify_archive(&bytes_a).0, Some(0));
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_ledger_exports_its_rows() {
    let s = start(Backend::Sqlite).await;
    duban_server::seed::seed_demo(&s.state).await.expect("demo");
    let b = crate::browser::Browser::start().await;
    b.sign_in(&s.base, "supervisor").await;
    b.go(&format!("{}/ledger", s.base)).await;
    b.wait_for(
        "return !!document.querySelector('#ledger-xlsx')",
        "the ledger page",
    )
    .await;
    let ids = b
        .script("return Array.from(document.querySelectorAll('#ledger tbody tr')).map(r => r.dataset.item)")
        .await;
    let ids: BTreeSet<String> = ids
        .as_array()
        .expect("ids")
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert!(!ids.is_empty(), "the demo's items this year");
    b.screenshot("ledger").await;

    // The one-click export: its link, fetched with the browser's own session cookie.
    let href = b
        .script("return document.querySelector('#ledger-xlsx').href")
        .await;
    let href = href.as_str().expect("href").to_owned();
    let cookie = b.cookie(duban_server::web::COOKIE).await;
    let web = browser();
    let (status, _, bytes) = fetch(
        &web,
        &href,
        &format!("{}={cookie}", duban_server::web::COOKIE),
    )
    .await;
    assert_eq!(status, 200, "{href}");
    let rows = ledger_rows(&bytes);
    assert_eq!(rows.keys().cloned().collect::<BTreeSet<_>>(), ids);
    let titles = b
        .script("return Array.from(document.querySelectorAll('#ledger tbody tr')).map(r => [r.dataset.item, r.querySelector('td.title').textContent])")
        .await;
    for pair in titles.as_array().unwrap() {
        let id = pair[0].as_str().unwrap();
        assert_eq!(cell_text(&rows[id][3]), pair[1].as_str().unwrap());
    }
}
