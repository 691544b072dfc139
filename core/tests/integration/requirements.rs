//! Every requirement number the repository cites (`R8.2`, `R4.1–R4.4`, …) in its code and
//! docs is defined in `docs/requirements.md`, as a heading of its own, so that a comment
//! never points at a number the repository does not explain.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The workspace root (the core crate's parent).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the core crate lives in the workspace")
        .to_path_buf()
}

/// Directories never searched: build output, tools' caches and generated code.
const SKIPPED: &[&str] = &[
    "target",
    "build",
    "generated",
    "Generated",
    "DerivedData",
    "node_modules",
    "corpus",
    "artifacts",
];

/// The files under `dir` (recursively) whose names end in one of `extensions`.
fn files(dir: &Path, extensions: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && !SKIPPED.contains(&name.as_str()) {
                files(&path, extensions, out);
            }
        } else if extensions.iter().any(|e| name.ends_with(e)) {
            out.push(path);
        }
    }
}

/// Every `R<n>(.<n>)*` in `text`, standing alone (not inside a longer word), with its line.
fn citations(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut i = 0;
        while i < bytes.len() {
            let starts = bytes[i] == b'R'
                && (i == 0 || !word(bytes[i - 1]))
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !starts {
                i += 1;
                continue;
            }
            let mut end = i + 1;
            while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            while bytes.get(end) == Some(&b'.')
                && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
            {
                end += 1;
                while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                    end += 1;
                }
            }
            if !bytes.get(end).is_some_and(|&b| word(b)) {
                out.push((line[i..end].to_owned(), line_no + 1));
            }
            i = end;
        }
    }
    out
}

/// The numbers `docs/requirements.md` defines: each heading that starts with one.
fn defined(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| {
            let heading = line.strip_prefix('#')?.trim_start_matches('#');
            let first = heading.split_whitespace().next()?;
            let (number, _) = citations(first).into_iter().next()?;
            (number == first).then_some(number)
        })
        .collect()
}

/// The files searched for citations: the code of every crate and shell, and the docs.
fn cited_in() -> Vec<PathBuf> {
    let root = root();
    let mut out = Vec::new();
    for dir in ["core", "server", "bindings", "android", "ios", "tests"] {
        files(&root.join(dir), &[".rs", ".kt", ".swift", ".md"], &mut out);
    }
    files(&root.join("docs"), &[".md"], &mut out);
    out.push(root.join("README.md"));
    out.sort();
    out
}

/// The cited numbers not defined in `defined`, each with where it is cited.
fn undefined(defined: &BTreeSet<String>, files: &[PathBuf]) -> BTreeMap<String, Vec<String>> {
    let root = root();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in files {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for (number, line) in citations(&text) {
            if !defined.contains(&number) {
                let at = path.strip_prefix(&root).unwrap_or(path).display();
                out.entry(number).or_default().push(format!("{at}:{line}"));
            }
        }
    }
    out
}

#[test]
fn every_cited_requirement_is_defined_in_docs_requirements() {
    let text =
        std::fs::read_to_string(root().join("docs/requirements.md")).expect("docs/requirements.md");
    let defined = defined(&text);
    let files = cited_in();
    assert!(
        files.len() > 100,
        "the walk found the sources: {}",
        files.len()
    );

    let missing = undefined(&defined, &files);
    let list: Vec<String> = missing
        .iter()
        .map(|(number, at)| format!("{number} (cited at {})", at.join(", ")))
        .collect();
    assert!(
        missing.is_empty(),
        "requirement numbers cited but not defined as a heading in docs/requirements.md:\n  {}",
        list.join("\n  ")
    );

    // The check sees a number that is cited and not defined.
    let mut fewer = defined.clone();
    assert!(fewer.remove("R8.2"), "R8.2 is defined");
    assert!(undefined(&fewer, &files).contains_key("R8.2"));
}

#[test]
fn citations_are_read_as_written() {
    let found = |text: &str| -> Vec<String> { citations(text).into_iter().map(|c| c.0).collect() };
    assert_eq!(found("views of R8.2."), ["R8.2"]);
    assert_eq!(found("(R1.4, R2.3, R4)"), ["R1.4", "R2.3", "R4"]);
    assert_eq!(found("R4.1–R4.4 and R1–R7"), ["R4.1", "R4.4", "R1", "R7"]);
    assert_eq!(found("R.string, XR1, R2D2, R12x, 批示R9.1"), ["R9.1"]);
    assert_eq!(
        defined("# R1 Registration\n### R1.1 An item\nR2 text\n## R10 Mobile"),
        BTreeSet::from(["R1".to_owned(), "R1.1".to_owned(), "R10".to_owned()])
    );
}
