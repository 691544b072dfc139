//! Hotline work orders imported from the upper platform's spreadsheet: one row per order
//! (platform number, call time, caller name/phone/address, subject, title, content, kind,
//! channel, line 12345/12369, urgent, confidential), read within `crate::sheet`'s limits,
//! checked row by row — each problem with its row, its column and a stable code — and
//! registered all or nothing: while any row is bad, none is. The platform's number makes
//! it idempotent: a row whose number is registered already is reported as already there
//! and never registered twice (`crate::hotline`).
//!
//! No I/O here but the look-up of numbers registered before (the pages, `web::hotline_import`,
//! read the upload and apply the rows through `crate::hotline::register`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use duban_core::domain::command::Registration;
use duban_core::domain::order::{Line, OrderChannel, OrderKind};
use duban_core::domain::{decide, Actor, Code, Command, Context, TaskState};
use serde::{Deserialize, Serialize};

use crate::hotline::{self, OrderInput};
use crate::i18n::Lang;
use crate::org::Org;

/// The most rows one import takes.
pub const MAX_ROWS: usize = 500;

/// The sheet's columns: (field, zh header, en header). The reader takes either language's
/// header (or the field's name).
pub const COLUMNS: &[(&str, &str, &str)] = &[
    ("platform_number", "平台工单编号", "Platform number"),
    ("called_at", "来电时间", "Call time"),
    ("caller_name", "来电人姓名", "Caller's name"),
    ("caller_phone", "来电人电话", "Caller's phone"),
    ("caller_address", "来电人地址", "Caller's address"),
    ("subject", "反映对象", "Subject"),
    ("title", "标题", "Title"),
    ("content", "诉求内容", "Content"),
    ("kind", "诉求类型", "Kind"),
    ("channel", "来电渠道", "Channel"),
    ("line", "热线", "Line"),
    ("urgent", "紧急公共安全", "Urgent public safety"),
    ("keep_private", "保密", "Confidential"),
];

/// The columns a sheet must have.
const REQUIRED: &[&str] = &["platform_number", "called_at", "subject", "content", "kind"];

/// One row as typed: each column's text by field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRow(pub BTreeMap<String, String>);

impl OrderRow {
    fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("", |s| s.trim())
    }
}

/// What is wrong with one cell (or the file): the column's field, a stable code, zh, en.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CellProblem {
    /// The column's field (`called_at`, …), `file` for the file, `row` for the row as a whole.
    pub field: String,
    /// Stable code.
    pub code: String,
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl CellProblem {
    fn new(field: &str, code: &str, zh: impl Into<String>, en: impl Into<String>) -> CellProblem {
        CellProblem {
            field: field.to_owned(),
            code: code.to_owned(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The column's header in `lang` (the field itself for `file` and `row`).
    pub fn column(&self, lang: Lang) -> String {
        COLUMNS
            .iter()
            .find(|(f, _, _)| *f == self.field)
            .map_or_else(String::new, |(_, zh, en)| lang.pick(zh, en).to_owned())
    }
}

fn field_of(header: &str) -> Option<&'static str> {
    let h = header.trim();
    COLUMNS
        .iter()
        .find(|(f, zh, en)| h == *zh || h.eq_ignore_ascii_case(en) || h == *f)
        .map(|(f, _, _)| *f)
}

/// The rows of an order sheet (the first sheet; headers in its first row), each with its
/// row number as the spreadsheet shows it; blank rows skipped. Bounded: the sheet is read
/// within [`crate::sheet`]'s limits before anything is allocated for it, and at most
/// [`MAX_ROWS`] rows are taken.
pub fn read_sheet(bytes: &[u8]) -> Result<Vec<(u32, OrderRow)>, CellProblem> {
    let table = crate::sheet::read_table(bytes, MAX_ROWS, |headers| {
        REQUIRED
            .iter()
            .find(|needed| !headers.values().any(|h| field_of(h) == Some(**needed)))
            .map(|needed| {
                COLUMNS
                    .iter()
                    .find(|c| c.0 == *needed)
                    .map_or(("", ""), |c| (c.1, c.2))
            })
    })
    .map_err(|p| CellProblem::new("file", p.code, p.zh, p.en))?;
    let headers: BTreeMap<u32, &'static str> = table
        .headers
        .iter()
        .filter_map(|(col, h)| field_of(h).map(|f| (*col, f)))
        .collect();
    let mut out = Vec::new();
    for row in table.rows {
        let mut r = OrderRow::default();
        for (col, text) in row.cells {
            if let Some(field) = headers.get(&col) {
                r.0.insert((*field).to_owned(), text);
            }
        }
        if r.0.values().all(|v| v.trim().is_empty()) {
            continue;
        }
        out.push((row.number, r));
    }
    Ok(out)
}

/// 是 / 否, yes / no, true / false, 1 / 0; empty is no.
fn yes_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "" | "否" | "no" | "n" | "false" | "0" | "不" => Some(false),
        "是" | "yes" | "y" | "true" | "1" => Some(true),
        _ => None,
    }
}

/// A local date and time (`2026-11-03 09:12`, `2026/11/03 09:12:30`), or a date alone (its
/// start).
fn local_time(text: &str, org: &Org) -> Option<DateTime<Utc>> {
    let t = text.trim().replace('/', "-");
    for f in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(&t, f) {
            return Some(org.calendar.from_local(dt));
        }
    }
    NaiveDate::parse_from_str(&t, "%Y-%m-%d")
        .ok()
        .map(|d| org.calendar.from_local(d.and_time(NaiveTime::MIN)))
}

/// The field a rule's refusal is about, by its code.
fn field_of_code(code: &str) -> &'static str {
    match code {
        "input.order_subject" => "subject",
        "input.called_at" => "called_at",
        "input.platform_number" => "platform_number",
        "input.title" => "title",
        "input.content" => "content",
        "order.no_category" | "order.wrong_line" => "line",
        _ => "row",
    }
}

/// Checks one row into a registration: every problem of the row at once, each at its
/// column; then the core's rules on the registration as `actor` would issue it (the call's
/// time, the subject, the lengths), so that a row refused at import is refused here.
pub fn check(
    row: &OrderRow,
    org: &Org,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Registration, Vec<CellProblem>> {
    let mut problems = Vec::new();
    let mut required = |field: &str, zh: &str, en: &str| {
        if row.get(field).is_empty() {
            problems.push(CellProblem::new(
                field,
                "input.required",
                format!("“{zh}”不能为空"),
                format!("“{en}” is empty"),
            ));
        }
    };
    for (field, zh, en) in COLUMNS {
        if REQUIRED.contains(field) {
            required(field, zh, en);
        }
    }
    let mut choice = |field: &str, what: (&str, &str)| {
        let text = row.get(field);
        problems.push(CellProblem::new(
            field,
            "input.choice",
            format!("{}“{text}”无效", what.0),
            format!("“{text}” is not a valid {}", what.1),
        ));
    };
    let kind = match row.get("kind") {
        "" => None,
        t => {
            let k = OrderKind::from_text(t);
            if k.is_none() {
                choice("kind", ("诉求类型", "kind"));
            }
            k
        }
    };
    let channel = match row.get("channel") {
        "" => Some(OrderChannel::Platform),
        t => {
            let c = OrderChannel::from_text(t);
            if c.is_none() {
                choice("channel", ("来电渠道", "channel"));
            }
            c
        }
    };
    let line = match row.get("line") {
        "" => Some(Line::Citizen),
        t => {
            let l = Line::from_text(t);
            if l.is_none() {
                choice("line", ("热线", "line"));
            }
            l
        }
    };
    let mut flag = |field: &str, what: (&str, &str)| {
        let v = yes_no(row.get(field));
        if v.is_none() {
            problems.push(CellProblem::new(
                field,
                "input.yes_no",
                format!("“{}”应填“是”或“否”", what.0),
                format!("“{}” is yes or no", what.1),
            ));
        }
        v.unwrap_or(false)
    };
    let urgent_safety = flag("urgent", ("紧急公共安全", "Urgent public safety"));
    let keep_private = flag("keep_private", ("保密", "Confidential"));
    let called_at = match row.get("called_at") {
        "" => None,
        t => {
            let at = local_time(t, org);
            if at.is_none() {
                problems.push(CellProblem::new(
                    "called_at",
                    "input.date",
                    format!("来电时间“{t}”无效,应如 2026-11-03 09:12"),
                    format!("“{t}” is not a time like 2026-11-03 09:12"),
                ));
            }
            at
        }
    };
    let (Some(kind), Some(channel), Some(line), Some(called_at), true) =
        (kind, channel, line, called_at, problems.is_empty())
    else {
        return Err(problems);
    };
    let input = OrderInput {
        line,
        platform_number: Some(row.get("platform_number").to_owned()),
        called_at,
        caller_name: row.get("caller_name").to_owned(),
        caller_phone: row.get("caller_phone").to_owned(),
        caller_address: row.get("caller_address").to_owned(),
        subject: row.get("subject").to_owned(),
        title: row.get("title").to_owned(),
        content: row.get("content").to_owned(),
        kind,
        channel,
        urgent_safety,
        keep_private,
        deadline: None,
    };
    let registration = hotline::registration(&input, org, now)
        .map_err(|p| vec![CellProblem::new(p.field, p.code, p.zh, p.en)])?;
    // The rules, on a new item, as the import will ask them (the number is allocated then).
    let ctx = Context {
        actor,
        now,
        calendar: &org.calendar,
        policy: &org.policy,
        units: &org.tree,
        parent: None,
    };
    let command = Command::Register(Box::new(registration.clone()));
    if let Err(r) = decide(&TaskState::default(), &command, &ctx) {
        return Err(vec![CellProblem::new(
            field_of_code(&r.code),
            &r.code,
            r.zh,
            r.en,
        )]);
    }
    Ok(registration)
}

/// The platform numbers that appear on more than one row (the row numbers after the first).
pub fn repeated_numbers(rows: &[(u32, OrderRow)]) -> BTreeSet<u32> {
    let mut seen = BTreeMap::new();
    let mut out = BTreeSet::new();
    for (n, r) in rows {
        // The line as read (empty is 12345), so that `12345` and an empty cell match.
        let line = match r.get("line") {
            "" => Some(Line::Citizen),
            t => Line::from_text(t),
        };
        let key = (line, r.get("platform_number").to_owned());
        if key.1.is_empty() {
            continue;
        }
        if seen.insert(key, *n).is_some() {
            out.insert(*n);
        }
    }
    out
}

/// The problem of a number repeated within the sheet.
pub fn repeated_problem() -> CellProblem {
    CellProblem::new(
        "platform_number",
        "import.duplicate_number",
        "该平台工单编号在表格中重复出现",
        "this platform number appears twice in the sheet",
    )
}

/// The sheet to fill in, in `lang`: the columns and an example row, and a second sheet with
/// the choices (kinds, channels, lines).
pub fn template(
    org: &Org,
    now: DateTime<Utc>,
    lang: Lang,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(lang.t("hotimp-xlsx-sheet"))?;
    for (col, (_, zh, en)) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, lang.pick(zh, en), &bold)?;
        sheet.set_column_width(col as u16, 18)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let called = org
        .calendar
        .to_local(now - chrono::Duration::hours(2))
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let no = lang.pick("否", "no").to_owned();
    let example = [
        "SZ12345-0001".to_owned(),
        called,
        lang.t("hotimp-xlsx-example-name"),
        "13800000000".to_owned(),
        lang.t("hotimp-xlsx-example-address"),
        lang.t("hotimp-xlsx-example-subject"),
        String::new(),
        lang.t("hotimp-xlsx-example-content"),
        lang.name(OrderKind::Complaint).to_owned(),
        lang.name(OrderChannel::Platform).to_owned(),
        "12345".to_owned(),
        no.clone(),
        no,
    ];
    for (col, text) in example.iter().enumerate() {
        sheet.write_string(1, col as u16, text)?;
    }
    let lists = book.add_worksheet();
    lists.set_name(lang.t("hotimp-xlsx-choices"))?;
    let columns: [(String, Vec<String>); 4] = [
        (
            lang.pick("诉求类型", "Kind").to_owned(),
            OrderKind::ALL
                .iter()
                .map(|k| lang.name(*k).to_owned())
                .collect(),
        ),
        (
            lang.pick("来电渠道", "Channel").to_owned(),
            OrderChannel::ALL
                .iter()
                .map(|c| lang.name(*c).to_owned())
                .collect(),
        ),
        (
            lang.pick("热线", "Line").to_owned(),
            vec!["12345".to_owned(), "12369".to_owned()],
        ),
        (
            lang.pick("是/否", "Yes/no").to_owned(),
            vec![
                lang.pick("是", "yes").to_owned(),
                lang.pick("否", "no").to_owned(),
            ],
        ),
    ];
    for (col, (head, values)) in columns.iter().enumerate() {
        lists.write_string_with_format(0, col as u16, head, &bold)?;
        lists.set_column_width(col as u16, 20)?;
        for (row, v) in values.iter().enumerate() {
            lists.write_string(row as u32 + 1, col as u16, v)?;
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_and_no_in_either_language() {
        assert_eq!(yes_no("是"), Some(true));
        assert_eq!(yes_no("Yes"), Some(true));
        assert_eq!(yes_no(""), Some(false));
        assert_eq!(yes_no("否"), Some(false));
        assert_eq!(yes_no("maybe"), None);
    }

    #[test]
    fn headers_in_either_language() {
        assert_eq!(field_of("平台工单编号"), Some("platform_number"));
        assert_eq!(field_of("call time"), Some("called_at"));
        assert_eq!(field_of("kind"), Some("kind"));
        assert_eq!(field_of("备注"), None);
    }

    #[test]
    fn a_number_twice_in_the_sheet_is_found() {
        let row = |n: &str| {
            OrderRow(BTreeMap::from([(
                "platform_number".to_owned(),
                n.to_owned(),
            )]))
        };
        let rows = vec![(2, row("A1")), (3, row("B1")), (4, row("A1"))];
        assert_eq!(repeated_numbers(&rows), BTreeSet::from([4]));
        // The same number on the 12345 line written two ways, and on the 12369 line.
        let on = |n: &str, line: &str| {
            OrderRow(BTreeMap::from([
                ("platform_number".to_owned(), n.to_owned()),
                ("line".to_owned(), line.to_owned()),
            ]))
        };
        let rows = vec![
            (2, on("C1", "")),
            (3, on("C1", "12345")),
            (4, on("C1", "12369")),
        ];
        assert_eq!(repeated_numbers(&rows), BTreeSet::from([3]));
    }
}
