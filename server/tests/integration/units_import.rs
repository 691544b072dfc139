//! The units spreadsheet's peer group column (issue 20, `units.peer_group`): in the template
//! in both languages, read and written with each unit, checked as the unit form and the API
//! check it (`org::check_unit`) with the refusal at its row and column and nothing written,
//! and shown at its column on the administrator's import page.

use duban_server::auth::Session;
use duban_server::i18n::Lang;
use duban_server::org_import::{self, ImportError, Template};
use reqwest::header::COOKIE;

use crate::support::*;
use crate::web::{browser, form_token, sign_in};

/// An xlsx file with these rows (the first is the header).
fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *text).expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

both!(
    the_units_import_takes_each_units_peer_group,
    |s: Server| async move {
        s.fixture().await;
        let token = s.login("admin").await;
        let admin = Session::of_token(&s.state, &token).await.expect("session");
        let org = s.state.org.latest(&s.state.db).await.expect("org");

        // The template has the column, in either language, and its example reads back.
        for (lang, header, example) in [
            (Lang::Zh, "排名分组", "县直部门"),
            (Lang::En, "Peer group", "County departments"),
        ] {
            let bytes = org_import::template(&org, Template::Units, lang).expect("template");
            let rows = org_import::read_units(&bytes).expect("the template reads");
            assert_eq!(rows.len(), 1, "{header}: the example row");
            assert_eq!(rows[0].peer_group, example, "{header}");
        }

        // Written with each unit; empty is the default group.
        let units = xlsx(&[
            &["单位名称", "上级单位", "简称", "别名", "排名分组"],
            &["县水利局", "", "水利局", "", "县直部门"],
            &["某某镇", "", "", "", " 乡镇 "],
            &["工程股", "水利局", "", "", ""],
        ]);
        let rows = org_import::read_units(&units).expect("rows");
        let written = org_import::apply_units(&s.state, &admin, &rows)
            .await
            .expect("written");
        assert_eq!(written.len(), 3);
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        let group = |name: &str| {
            org.units
                .iter()
                .find(|u| u.name == name)
                .map(|u| u.peer_group.clone())
                .expect(name)
        };
        assert_eq!(group("县水利局"), "县直部门");
        assert_eq!(group("某某镇"), "乡镇", "trimmed");
        assert_eq!(group("工程股"), "");
        // As the API reads it.
        let listed = s.get(&token, "/api/v1/admin/units").await;
        let listed = listed.expect(200).to_string();
        assert!(
            listed.contains("县直部门") && listed.contains("乡镇"),
            "{listed}"
        );

        // English headers too.
        let en = xlsx(&[&["Name", "Peer group"], &["县林业局", "县直部门"]]);
        let rows = org_import::read_units(&en).expect("rows");
        assert_eq!(rows[0].peer_group, "县直部门");

        // Too long, or holding a tab: refused at its row and column, nothing written.
        let before = org.units.len();
        let long = "长".repeat(31);
        let bad = xlsx(&[
            &["单位名称", "上级单位", "简称", "别名", "排名分组"],
            &["县林业局", "", "", "", "县直部门"],
            &["县统计局", "", "", "", &long],
            &["县审计局", "", "", "", "县直\t部门"],
        ]);
        let rows = org_import::read_units(&bad).expect("rows");
        let problems = org_import::check_units(&org, &rows).expect_err("refused");
        let got: Vec<(u32, &str, &str)> = problems
            .iter()
            .map(|p| (p.row, p.column.as_str(), p.code.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (3, "peer_group", "org.bad_peer_group"),
                (4, "peer_group", "input.control_char")
            ]
        );
        match org_import::apply_units(&s.state, &admin, &rows).await {
            Err(ImportError::Refused(p)) => assert_eq!(p.len(), 2),
            other => panic!("expected the rows refused, got {other:?}"),
        }
        let org = s.state.org.latest(&s.state.db).await.expect("org");
        assert_eq!(org.units.len(), before, "nothing written");

        // On the administrator's page, the refusal is shown at the peer group column.
        let web = browser();
        let cookie = sign_in(&s, &web, "admin").await;
        let form = reqwest::multipart::Form::new()
            .text("csrf", form_token(&s, &web, &cookie).await)
            .part(
                "file",
                reqwest::multipart::Part::bytes(bad).file_name("units.xlsx"),
            );
        let r = web
            .post(format!("{}/admin/import/units", s.base))
            .header(COOKIE, cookie)
            .multipart(form)
            .send()
            .await
            .expect("post");
        let html = r.text().await.expect("body");
        assert!(
            html.contains("排名分组: ") && html.contains("org.bad_peer_group"),
            "{html}"
        );
        assert!(
            html.contains("县林业局 · 县直部门"),
            "the row as read: {html}"
        );
    }
);
