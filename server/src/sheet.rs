//! An uploaded spreadsheet (xlsx) read within limits: the first sheet's cells as text, row
//! by row, or a typed refusal.
//!
//! An xlsx is a zip of XML parts, and a reader that trusts it can be made to allocate far
//! more than the upload: a sheet whose only cells are A1 and XFD1048576 asks a reader that
//! builds a grid (calamine's `Range`) for 2^34 cells; a part that inflates a thousand-fold,
//! or whose header lies about its size, asks for gigabytes; a shared-strings part declaring
//! a huge `uniqueCount` asks for that many strings up front. So, before anything proportional
//! to what the file claims is allocated:
//!
//! 1. the upload's size is checked ([`MAX_FILE_BYTES`]);
//! 2. the zip's parts are counted ([`MAX_PARTS`]), their declared sizes summed, and every
//!    part is inflated into nothing through a reader that stops at the budget, so a lying
//!    header costs nothing ([`MAX_UNPACKED_BYTES`]);
//! 3. the shared strings are counted, their declared count read, their size bounded
//!    ([`MAX_SHARED_STRINGS`], [`MAX_SHARED_STRINGS_BYTES`]);
//! 4. only then does calamine open the workbook, and the first sheet is read with its
//!    streaming cell reader (never a `Range`): the sheet's declared dimension and every
//!    cell's position must lie within [`MAX_SHEET_ROWS`] × [`MAX_COLUMNS`], the cells are
//!    counted ([`MAX_CELLS`]) and the text kept is bounded ([`MAX_TEXT_BYTES`]).
//!
//! Pure: bytes in, rows or a [`SheetError`] out (the fuzz target `server/fuzz` drives it).
//! The registration import (`register::read_sheet`) turns the rows into drafts and bounds
//! the data rows to a batch (`register::MAX_ROWS`).

use std::collections::BTreeMap;
use std::io::{self, Cursor, Read};

use calamine::{DataRef, Reader, Xlsx, XlsxError};
use chrono::NaiveDateTime;
use quick_xml::events::{BytesStart, Event};

/// The largest upload, in bytes. A 500-row registration sheet is well under 1 MiB.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// The most parts (files) the zip may hold. Excel writes about a dozen.
pub const MAX_PARTS: usize = 200;
/// The most bytes all parts together may inflate to: declared, and as actually inflated.
pub const MAX_UNPACKED_BYTES: u64 = 20 * 1024 * 1024;
/// The most shared strings (`<si>`), counted and as the part declares them.
pub const MAX_SHARED_STRINGS: u64 = 100_000;
/// The largest shared-strings part, inflated, in bytes.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 8 * 1024 * 1024;
/// Rows a sheet may span, blank ones included (the import's 500 items, with room for blank
/// and note rows).
pub const MAX_SHEET_ROWS: u32 = 2_000;
/// Columns a sheet may span (the template has 14, plus category attributes).
pub const MAX_COLUMNS: u32 = 64;
/// The most cells the sheet may hold, empty ones included.
pub const MAX_CELLS: usize = 100_000;
/// The most bytes of cell text kept (a shared string is copied into every cell citing it).
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

/// Why a spreadsheet is refused. Each has a stable code and a message in zh-CN and English.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SheetError {
    /// The upload is larger than [`MAX_FILE_BYTES`].
    #[error("the file is larger than {MAX_FILE_BYTES} bytes")]
    FileTooLarge,
    /// Not a zip, not a workbook, or an XML part calamine cannot read.
    #[error("not a valid xlsx spreadsheet")]
    NotXlsx,
    /// The workbook has no sheet.
    #[error("no sheet")]
    NoSheet,
    /// Too many parts, or parts inflating beyond [`MAX_UNPACKED_BYTES`] (a zip bomb).
    #[error("the parts inflate beyond the limits")]
    Unpacked,
    /// More shared strings than [`MAX_SHARED_STRINGS`], declared or counted, or a part
    /// larger than [`MAX_SHARED_STRINGS_BYTES`].
    #[error("too many shared strings")]
    TooManyStrings,
    /// The declared dimension or a cell lies beyond [`MAX_SHEET_ROWS`] × [`MAX_COLUMNS`].
    #[error("the sheet spans beyond the limits")]
    SheetTooLarge,
    /// More than [`MAX_CELLS`] cells, or more than [`MAX_TEXT_BYTES`] of text.
    #[error("too many cells")]
    TooManyCells,
}

impl SheetError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::FileTooLarge => "import.file_too_large",
            SheetError::NotXlsx => "import.not_xlsx",
            SheetError::NoSheet => "import.empty",
            SheetError::Unpacked => "import.unpacked_too_large",
            SheetError::TooManyStrings => "import.too_many_strings",
            SheetError::SheetTooLarge => "import.sheet_too_large",
            SheetError::TooManyCells => "import.too_many_cells",
        }
    }

    /// The reason in Chinese.
    pub fn zh(&self) -> String {
        match self {
            SheetError::FileTooLarge => {
                format!("文件过大，最多 {} MiB", MAX_FILE_BYTES / (1024 * 1024))
            }
            SheetError::NotXlsx => "文件不是有效的 xlsx 表格".into(),
            SheetError::NoSheet => "表格中没有工作表".into(),
            SheetError::Unpacked => format!(
                "文件解压后过大（最多 {MAX_PARTS} 个部件、共 {} MiB）",
                MAX_UNPACKED_BYTES / (1024 * 1024)
            ),
            SheetError::TooManyStrings => format!(
                "表格中的文字过多（最多 {MAX_SHARED_STRINGS} 段、{} MiB）",
                MAX_SHARED_STRINGS_BYTES / (1024 * 1024)
            ),
            SheetError::SheetTooLarge => {
                format!("表格范围过大，最多 {MAX_SHEET_ROWS} 行、{MAX_COLUMNS} 列")
            }
            SheetError::TooManyCells => format!("表格的单元格过多，最多 {MAX_CELLS} 个"),
        }
    }

    /// The reason in English.
    pub fn en(&self) -> String {
        match self {
            SheetError::FileTooLarge => format!(
                "the file is too large: at most {} MiB",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
            SheetError::NotXlsx => "the file is not a valid xlsx spreadsheet".into(),
            SheetError::NoSheet => "the file has no sheet".into(),
            SheetError::Unpacked => format!(
                "the file unpacks too large: at most {MAX_PARTS} parts, {} MiB in all",
                MAX_UNPACKED_BYTES / (1024 * 1024)
            ),
            SheetError::TooManyStrings => format!(
                "the sheet holds too much text: at most {MAX_SHARED_STRINGS} strings, {} MiB",
                MAX_SHARED_STRINGS_BYTES / (1024 * 1024)
            ),
            SheetError::SheetTooLarge => format!(
                "the sheet spans too far: at most {MAX_SHEET_ROWS} rows and {MAX_COLUMNS} columns"
            ),
            SheetError::TooManyCells => {
                format!("the sheet has too many cells: at most {MAX_CELLS}")
            }
        }
    }
}

/// A row with text: its number as the spreadsheet shows it (from 1), and its non-empty
/// cells' text by column (from 0), in column order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// The row's number as shown (1 is the first).
    pub number: u32,
    /// (column from 0, text), non-empty, in column order.
    pub cells: Vec<(u32, String)>,
}

/// An import sheet read as a table: the first row with text is its headers (column → text);
/// the rows below it, at most the caller's number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// The headers by column.
    pub headers: BTreeMap<u32, String>,
    /// The rows below the headers that have text.
    pub rows: Vec<Row>,
}

/// Why a sheet is not a table the import can read: the sheet itself, no rows, a required
/// column missing, too many rows. Its code, and a sentence in each language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableProblem {
    /// Stable code.
    pub code: &'static str,
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl From<SheetError> for TableProblem {
    fn from(e: SheetError) -> TableProblem {
        TableProblem {
            code: e.code(),
            zh: e.zh(),
            en: e.en(),
        }
    }
}

/// The first sheet as a [`Table`] of at most `max_rows` rows below its headers.
/// `missing` looks at the headers and names (Chinese, English) the first required column
/// they lack, if any.
pub fn read_table(
    bytes: &[u8],
    max_rows: usize,
    missing: impl Fn(&BTreeMap<u32, String>) -> Option<(&'static str, &'static str)>,
) -> Result<Table, TableProblem> {
    let mut rows = read_first_sheet(bytes)?.into_iter();
    let first = rows.next().ok_or_else(|| TableProblem {
        code: "import.empty",
        zh: "表格是空的".into(),
        en: "the sheet is empty".into(),
    })?;
    let headers: BTreeMap<u32, String> = first.cells.into_iter().collect();
    if let Some((zh, en)) = missing(&headers) {
        return Err(TableProblem {
            code: "import.missing_column",
            zh: format!("第一行缺少“{zh}”列"),
            en: format!("the first row has no “{en}” column"),
        });
    }
    let rows: Vec<Row> = rows.collect();
    if rows.len() > max_rows {
        return Err(TableProblem {
            code: "import.too_many_rows",
            zh: format!("一次最多导入{max_rows}行"),
            en: format!("one import takes at most {max_rows} rows"),
        });
    }
    Ok(Table { headers, rows })
}

/// The first sheet's rows that have text, in order, within the limits above.
pub fn read_first_sheet(bytes: &[u8]) -> Result<Vec<Row>, SheetError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SheetError::FileTooLarge);
    }
    check_parts(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| SheetError::NotXlsx)?;
    let name = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or(SheetError::NoSheet)?;
    let mut cells = match book.worksheet_cells_reader(&name) {
        Ok(c) => c,
        // A chart sheet first: nothing to read.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(_) => return Err(SheetError::NotXlsx),
    };
    let declared = cells.dimensions();
    if declared.end.0 >= MAX_SHEET_ROWS || declared.end.1 >= MAX_COLUMNS {
        return Err(SheetError::SheetTooLarge);
    }
    let mut rows: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
    let (mut count, mut text_bytes) = (0usize, 0usize);
    while let Some(cell) = cells.next_cell().map_err(|_| SheetError::NotXlsx)? {
        count += 1;
        if count > MAX_CELLS {
            return Err(SheetError::TooManyCells);
        }
        let (row, col) = cell.get_position();
        if row >= MAX_SHEET_ROWS || col >= MAX_COLUMNS {
            return Err(SheetError::SheetTooLarge);
        }
        let value = cell.get_value();
        text_bytes = text_bytes.saturating_add(text_len(value));
        if text_bytes > MAX_TEXT_BYTES {
            return Err(SheetError::TooManyCells);
        }
        let text = cell_text(value);
        if !text.is_empty() {
            rows.entry(row).or_default().push((col, text));
        }
    }
    Ok(rows
        .into_iter()
        .map(|(row, mut cells)| {
            // A later cell at the same place wins, as in a grid.
            cells.reverse();
            cells.sort_by_key(|(col, _)| *col);
            cells.dedup_by_key(|(col, _)| *col);
            Row {
                number: row + 1,
                cells,
            }
        })
        .collect())
}

/// Checks the zip's parts: their count, their declared sizes, what they actually inflate
/// to (through a reader that stops at the budget), and the shared strings.
fn check_parts(bytes: &[u8]) -> Result<(), SheetError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| SheetError::NotXlsx)?;
    if zip.len() > MAX_PARTS {
        return Err(SheetError::Unpacked);
    }
    let mut declared: u64 = 0;
    for i in 0..zip.len() {
        let part = zip.by_index_raw(i).map_err(|_| SheetError::NotXlsx)?;
        declared = declared.saturating_add(part.size());
    }
    if declared > MAX_UNPACKED_BYTES {
        return Err(SheetError::Unpacked);
    }
    let mut inflated: u64 = 0;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|_| SheetError::NotXlsx)?;
        // calamine finds its parts by name case-insensitively, either slash.
        let name = part
            .name()
            .map_err(|_| SheetError::NotXlsx)?
            .replace('\\', "/")
            .to_ascii_lowercase();
        let budget = MAX_UNPACKED_BYTES - inflated;
        let mut limited = (&mut part).take(budget + 1);
        let n = if name.ends_with("sharedstrings.xml") {
            let mut xml = Vec::new();
            (&mut limited)
                .take(MAX_SHARED_STRINGS_BYTES + 1)
                .read_to_end(&mut xml)
                .map_err(|_| SheetError::NotXlsx)?;
            if xml.len() as u64 > MAX_SHARED_STRINGS_BYTES {
                return Err(SheetError::TooManyStrings);
            }
            check_shared_strings(&xml)?;
            xml.len() as u64
        } else {
            io::copy(&mut limited, &mut io::sink()).map_err(|_| SheetError::NotXlsx)?
        };
        inflated += n;
        if inflated > MAX_UNPACKED_BYTES {
            return Err(SheetError::Unpacked);
        }
    }
    Ok(())
}

/// Counts the shared strings and reads their declared counts, parsing as calamine does
/// (empty elements expanded, end names unchecked).
fn check_shared_strings(xml: &[u8]) -> Result<(), SheetError> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    // calamine reserves room for the count the `sst` element declares. Its attribute
    // reader is more lenient than quick-xml's, so every number among the raw attributes
    // must be within the limit (the namespaces' years are).
    let declares_too_many = |e: &BytesStart| {
        e.attributes_raw()
            .split(|c: char| !c.is_ascii_digit())
            .map(|digits| digits.trim_start_matches('0'))
            .any(|digits| {
                digits.len() > 18 || digits.parse::<u64>().is_ok_and(|n| n > MAX_SHARED_STRINGS)
            })
    };
    let mut strings: u64 = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "sst" if declares_too_many(&e) => return Err(SheetError::TooManyStrings),
                "si" => {
                    strings += 1;
                    if strings > MAX_SHARED_STRINGS {
                        return Err(SheetError::TooManyStrings);
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) => return Ok(()),
            Ok(_) => {}
            Err(_) => return Err(SheetError::NotXlsx),
        }
    }
}

/// The bytes of text a cell would add (before it is copied).
fn text_len(cell: &DataRef) -> usize {
    match cell {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.len(),
        DataRef::SharedString(s) => s.len(),
        _ => 32,
    }
}

/// A cell as text: dates as `2026-12-31` (or with the time, when it has one), whole numbers
/// without a decimal point.
fn cell_text(cell: &DataRef) -> String {
    let date = |dt: NaiveDateTime| {
        if dt.time() == chrono::NaiveTime::MIN {
            dt.format("%Y-%m-%d").to_string()
        } else {
            dt.format("%Y-%m-%d %H:%M").to_string()
        }
    };
    match cell {
        DataRef::Empty | DataRef::Error(_) => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            s.trim().to_owned()
        }
        DataRef::SharedString(s) => s.trim().to_owned(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        DataRef::Float(f) => f.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(d) => d.as_datetime().map(date).unwrap_or_default(),
    }
}
