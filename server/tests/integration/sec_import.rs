//! Hostile uploads to the registration import and hostile numbers on the pages (issue 16,
//! items 2 and 10): spreadsheets built by hand to make a trusting reader allocate
//! gigabytes — cells at A1 and XFD1048576, a declared dimension of the whole grid, a zip
//! bomb and a lying zip header, a shared-strings part declaring trillions of strings, too
//! many cells — are each refused with a 4xx and a stable code, nothing is imported and the
//! server keeps answering; the import run's offset, the scores' period and a person's
//! month out of range are refused with a 4xx, never a panic.

use std::io::Write;

use duban_server::sheet;

use crate::support::*;
use crate::web::{browser, page, sign_in};
use crate::web_register::{
    as_refs, import_due, import_row, import_run, items, post, sheet as good_sheet, upload,
};

const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

/// A zip of these parts, deflated.
fn zip_of(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        zip.start_file(*name, options).expect("part");
        zip.write_all(bytes).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

/// The parts of a minimal workbook whose one sheet is `sheet_xml`.
fn workbook_parts(sheet_xml: Vec<u8>) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_vec(),
        ),
        (
            "_rels/.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_vec(),
        ),
        (
            "xl/workbook.xml",
            format!(r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#).into_bytes(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            br#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_vec(),
        ),
        ("xl/worksheets/sheet1.xml", sheet_xml),
    ]
}

/// A worksheet: an optional declared dimension, then these cells (reference, inline text).
fn sheet_xml(dimension: Option<&str>, cells: &[(&str, &str)]) -> Vec<u8> {
    let mut rows: Vec<(u32, String)> = Vec::new();
    for (at, text) in cells {
        let row: u32 = at
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .parse()
            .expect("row");
        let cell = format!(r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#);
        match rows.last_mut() {
            Some((r, xml)) if *r == row => xml.push_str(&cell),
            _ => rows.push((row, cell)),
        }
    }
    let data: String = rows
        .iter()
        .map(|(r, cells)| format!(r#"<row r="{r}">{cells}</row>"#))
        .collect();
    let dimension = dimension
        .map(|d| format!(r#"<dimension ref="{d}"/>"#))
        .unwrap_or_default();
    format!(r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">{dimension}<sheetData>{data}</sheetData></worksheet>"#)
        .into_bytes()
}

/// A header row and one good-looking item, plus `extra` cells.
fn cells_with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut cells = vec![
        ("A1", "类别"),
        ("B1", "标题"),
        ("A2", "议定事项"),
        ("B2", "恶意表格事项"),
    ];
    cells.extend_from_slice(extra);
    cells
}

/// Uploads `bytes` as the supervisor and checks the refusal: a 4xx naming `code` on the
/// import page, nothing imported, and the server still answering.
async fn refused(s: &Server, bytes: Vec<u8>, code: &str) {
    let web = browser();
    let cookie = sign_in(s, &web, "supervisor").await;
    let token = s.login("supervisor").await;
    let (status, html) = upload(s, &web, &cookie, bytes.clone(), false).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains(code), "{code}: {html}");
    assert!(!html.contains("id=\"import-data\""), "no import offered");
    // From htmx, the same refusal as the preview's content.
    let (status, html) = upload(s, &web, &cookie, bytes, true).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains(code), "{code}: {html}");
    let (status, _) = page(&web, &format!("{}/register/import", s.base), Some(&cookie)).await;
    assert_eq!(status, 200, "the server still answers");
    assert!(
        items(s, &token, "恶意表格事项").await.is_empty(),
        "nothing imported"
    );
}

both!(
    an_xlsx_with_cells_at_a1_and_xfd1048576_is_refused_without_building_the_grid,
    |s: Server| async move {
        s.fixture().await;
        // No declared dimension: the real extent alone. A reader building a grid asks for
        // 1,048,576 × 16,384 cells (549,755,813,888 bytes) and the process aborts.
        let bytes = zip_of(&workbook_parts(sheet_xml(
            None,
            &cells_with(&[("XFD1048576", "x")]),
        )));
        assert!(bytes.len() < 2048, "a small file: {} bytes", bytes.len());
        assert_eq!(
            sheet::read_first_sheet(&bytes),
            Err(sheet::SheetError::SheetTooLarge)
        );
        refused(&s, bytes, "import.sheet_too_large").await;
        // One column too many, one row too many.
        let col = zip_of(&workbook_parts(sheet_xml(
            None,
            &cells_with(&[("BM2", "x")]),
        )));
        refused(&s, col, "import.sheet_too_large").await;
        let row = zip_of(&workbook_parts(sheet_xml(
            None,
            &cells_with(&[("A2001", "x")]),
        )));
        refused(&s, row, "import.sheet_too_large").await;
        // Within the limits, the same shape reads: the last row and column allowed.
        let edge = zip_of(&workbook_parts(sheet_xml(
            None,
            &cells_with(&[("BL2000", "x")]),
        )));
        let rows = sheet::read_first_sheet(&edge).expect("within the limits");
        assert_eq!(rows.last().map(|r| r.number), Some(2000));
    }
);

both!(
    a_declared_dimension_beyond_the_limits_is_refused,
    |s: Server| async move {
        s.fixture().await;
        let bytes = zip_of(&workbook_parts(sheet_xml(
            Some("A1:XFD1048576"),
            &cells_with(&[]),
        )));
        refused(&s, bytes, "import.sheet_too_large").await;
    }
);

both!(
    a_zip_bomb_and_a_lying_zip_header_are_refused_before_inflating,
    |s: Server| async move {
        s.fixture().await;
        // 24 MiB of blanks inside the sheet deflate to a few tens of KiB.
        let mut padded = sheet_xml(None, &cells_with(&[]));
        let at = padded
            .windows(11)
            .position(|w| w == b"<sheetData>")
            .expect("sheetData");
        padded.splice(at..at, std::iter::repeat_n(b' ', 24 << 20));
        let bomb = zip_of(&workbook_parts(padded));
        assert!(bomb.len() < 200_000, "{} bytes", bomb.len());
        refused(&s, bomb.clone(), "import.unpacked_too_large").await;

        // The same bomb whose headers declare every part tiny: the zip reader stops at the
        // declared size and calls the rest corrupt (and the budget of inflated bytes would
        // stop it next).
        let lying = lie_about_sizes(bomb, 1000);
        assert_eq!(
            sheet::read_first_sheet(&lying),
            Err(sheet::SheetError::NotXlsx)
        );
        refused(&s, lying, "import.not_xlsx").await;

        // Too many parts.
        let mut parts = workbook_parts(sheet_xml(None, &cells_with(&[])));
        let names: Vec<String> = (0..sheet::MAX_PARTS)
            .map(|i| format!("docProps/custom{i}.xml"))
            .collect();
        parts.extend(names.iter().map(|n| (n.as_str(), b"<a/>".to_vec())));
        refused(&s, zip_of(&parts), "import.unpacked_too_large").await;
    }
);

/// The zip with every part's uncompressed size, in the local and central headers,
/// replaced by `size`.
fn lie_about_sizes(mut zip: Vec<u8>, size: u32) -> Vec<u8> {
    let mut i = 0;
    while i + 46 <= zip.len() {
        match zip[i..i + 4] {
            // Local file header: uncompressed size at 22.
            [0x50, 0x4b, 0x03, 0x04] => {
                zip[i + 22..i + 26].copy_from_slice(&size.to_le_bytes());
                i += 30;
            }
            // Central directory header: uncompressed size at 24.
            [0x50, 0x4b, 0x01, 0x02] => {
                zip[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
                i += 46;
            }
            _ => i += 1,
        }
    }
    zip
}

both!(
    shared_strings_declaring_or_holding_too_many_are_refused,
    |s: Server| async move {
        s.fixture().await;
        let with_strings = |sst: String| {
            let cells = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>"#;
            let sheet = format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>{cells}</sheetData></worksheet>"#
            );
            let mut parts = workbook_parts(sheet.into_bytes());
            parts.push(("xl/sharedStrings.xml", sst.into_bytes()));
            zip_of(&parts)
        };
        let four = "<si><t>类别</t></si><si><t>标题</t></si><si><t>议定事项</t></si><si><t>恶意表格事项</t></si>";
        // The declared count alone made the reader reserve 4 × 10^12 strings up front.
        let declared = with_strings(format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}" count="4" uniqueCount="4000000000000">{four}</sst>"#
        ));
        assert_eq!(
            sheet::read_first_sheet(&declared),
            Err(sheet::SheetError::TooManyStrings)
        );
        refused(&s, declared, "import.too_many_strings").await;
        // Declared modestly, held in excess.
        let many = with_strings(format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}">{four}{}</sst>"#,
            "<si><t>a</t></si>".repeat(sheet::MAX_SHARED_STRINGS as usize)
        ));
        refused(&s, many, "import.too_many_strings").await;
        // Four strings, declared truthfully, read.
        let fine = with_strings(format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}" count="4" uniqueCount="4">{four}</sst>"#
        ));
        let rows = sheet::read_first_sheet(&fine).expect("a good sheet");
        assert_eq!(rows[1].cells[1].1, "恶意表格事项");
    }
);

both!(
    a_sheet_with_too_many_cells_or_rows_is_refused,
    |s: Server| async move {
        s.fixture().await;
        // 1,700 rows of 60 numbers: 102,000 cells, each within the extent.
        let mut data = String::from(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>类别</t></is></c><c r="B1" t="inlineStr"><is><t>标题</t></is></c></row>"#,
        );
        for r in 2..=1701 {
            data.push_str(&format!(r#"<row r="{r}">"#));
            for _ in 0..60 {
                data.push_str("<c><v>1</v></c>");
            }
            data.push_str("</row>");
        }
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>{data}</sheetData></worksheet>"#
        );
        refused(
            &s,
            zip_of(&workbook_parts(xml.into_bytes())),
            "import.too_many_cells",
        )
        .await;
        // More data rows than one import takes.
        let due = import_due();
        let rows: Vec<[String; 8]> = (0..=sheet_rows())
            .map(|i| import_row(format!("恶意表格事项{i}"), "", &due))
            .collect();
        refused(&s, good_sheet(&as_refs(&rows)), "import.too_many_rows").await;
        // A file larger than the reader takes (the page's body limit is lower still).
        assert_eq!(
            sheet::read_first_sheet(&vec![0u8; sheet::MAX_FILE_BYTES + 1]),
            Err(sheet::SheetError::FileTooLarge)
        );
    }
);

/// The most rows one import takes.
fn sheet_rows() -> usize {
    duban_server::register::MAX_ROWS
}

both!(
    the_import_run_refuses_an_offset_out_of_range,
    |s: Server| async move {
        s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        let token = s.login("supervisor").await;
        let due = import_due();
        let rows: Vec<[String; 8]> = (1..=3)
            .map(|i| import_row(format!("偏移导入{i}"), "", &due))
            .collect();
        let (status, html) = upload(&s, &web, &cookie, good_sheet(&as_refs(&rows)), true).await;
        assert_eq!(status, 200, "{html}");
        let run = import_run(&html);
        for offset in [
            "18446744073709551615",
            "18446744073709551616",
            "4",
            "-1",
            "x",
        ] {
            for htmx in [true, false] {
                let (status, body) = post(
                    &s,
                    &web,
                    &cookie,
                    "/register/import/run",
                    &run(offset),
                    htmx,
                )
                .await;
                assert_eq!(status, 400, "offset {offset}: {body}");
                assert!(body.contains("request.bad_offset"), "{body}");
            }
        }
        assert!(
            items(&s, &token, "偏移导入").await.is_empty(),
            "nothing imported"
        );
        // The last place is the end: nothing left to run, and the run is finished.
        let (status, body) = post(&s, &web, &cookie, "/register/import/run", &run("3"), true).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("data-finished=\"true\""), "{body}");
        assert!(items(&s, &token, "偏移导入").await.is_empty());
        let (status, body) = post(&s, &web, &cookie, "/register/import/run", &run("0"), true).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(items(&s, &token, "偏移导入").await.len(), 3);
    }
);

both!(
    a_period_or_a_month_out_of_range_is_refused,
    |s: Server| async move {
        let f = s.fixture().await;
        let web = browser();
        let cookie = sign_in(&s, &web, "supervisor").await;
        for query in [
            "period=year&year=262143",
            "period=year&year=-262144",
            "period=month&year=0&n=1",
            "period=month&year=2026&n=13",
            "period=quarter&year=10000&n=1",
        ] {
            let (status, body) =
                page(&web, &format!("{}/scores?{query}", s.base), Some(&cookie)).await;
            assert_eq!(status, 400, "{query}: {body}");
            assert!(body.contains("query.bad_period"), "{body}");
        }
        // Numbers beyond their type: the query's refusal, in the API's shape.
        for query in [
            "period=year&year=99999999999",
            "period=month&year=2026&n=-1",
        ] {
            let (status, body) =
                page(&web, &format!("{}/scores?{query}", s.base), Some(&cookie)).await;
            assert_eq!(status, 400, "{query}: {body}");
            assert!(body.contains("request.bad_query"), "{body}");
        }
        for month in ["-262144-01", "262143-12", "0000-01", "2026-13"] {
            let url = format!("{}/people/{}?month={month}", s.base, f.supervisor);
            let (status, body) = page(&web, &url, Some(&cookie)).await;
            assert_eq!(status, 400, "{month}: {body}");
            assert!(body.contains("query.bad_month"), "{body}");
        }
        let (status, _) = page(
            &web,
            &format!("{}/scores?period=year&year=2026", s.base),
            Some(&cookie),
        )
        .await;
        assert_eq!(status, 200, "a year in range");
    }
);

/// The fuzz target's seeds (`server/fuzz/seeds/`) are sheets the reader takes, so the
/// fuzzer starts from inputs that get past the zip.
#[test]
fn the_import_fuzz_seeds_read_as_sheets() {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for name in ["inline.xlsx", "shared.xlsx", "stored.xlsx"] {
        let bytes = std::fs::read(seeds.join(name)).expect(name);
        let rows = duban_server::register::read_sheet(&bytes).expect(name);
        assert_eq!(rows.len(), 1, "{name}");
        assert!(!rows[0].1.title.is_empty(), "{name}");
    }
    let bytes = std::fs::read(seeds.join("shared.xlsx")).expect("shared");
    let rows = sheet::read_first_sheet(&bytes).expect("shared");
    assert_eq!(rows[1].number, 3);
    assert_eq!(rows[1].cells[1].1, "富文本", "rich text runs joined");
}
