//! The `duban` command line, run as a process: answers, exit statuses and errors.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `duban` in a terminal that asks for no language (zh-CN).
fn duban(args: &[&str]) -> Output {
    duban_in("", args)
}

/// Runs `duban` in a terminal whose `LANG` is `lang`.
fn duban_in(lang: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_duban"))
        .args(args)
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", lang)
        .output()
        .expect("the duban binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(contents: &str) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "duban-cli-test-{}-{}.json",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).expect("write a temporary file");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temporary path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Asserts a failed run: exit status 2, nothing on stdout, and `error[code]: 中文`, in one
/// language.
fn assert_error(output: &Output, code: &str) -> String {
    assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
    assert_eq!(stdout(output), "");
    let err = stderr(output);
    assert!(err.starts_with(&format!("error[{code}]: ")), "{err}");
    let first_line = err.lines().next().unwrap_or("");
    assert!(!first_line.contains(" / "), "{err}");
    err
}

#[test]
fn is_working_day_prints_true_or_false() {
    for (date, expected) in [
        ("2026-02-14", "true\n"),  // adjusted working Saturday
        ("2026-02-16", "false\n"), // Spring Festival
        ("2026-03-02", "true\n"),  // a plain Monday
        ("2026-03-07", "false\n"), // a plain Saturday
        ("2024-02-04", "true\n"),  // adjusted working Sunday
    ] {
        let output = duban(&["calendar", "is-working-day", date]);
        assert!(output.status.success(), "{date}");
        assert_eq!(stdout(&output), expected, "{date}");
        assert_eq!(stderr(&output), "", "{date}");
    }
}

#[test]
fn a_provisional_year_is_answered_with_a_note() {
    let output = duban(&["calendar", "is-working-day", "2027-01-01"]);
    assert!(output.status.success());
    assert_eq!(stdout(&output), "true\n");
    assert!(stderr(&output).contains("2027"), "{}", stderr(&output));
}

#[test]
fn add_working_days_prints_a_date() {
    for (date, n, expected) in [
        ("2026-02-13", "1", "2026-02-14\n"),
        ("2026-02-14", "1", "2026-02-24\n"),
        ("2026-09-30", "3", "2026-10-10\n"),
        ("2025-10-01", "0", "2025-10-09\n"),
        ("2024-02-09", "1", "2024-02-18\n"),
    ] {
        let output = duban(&["calendar", "add-working-days", date, n]);
        assert!(output.status.success(), "{date} {n}: {}", stderr(&output));
        assert_eq!(stdout(&output), expected, "{date} {n}");
    }
}

#[test]
fn list_prints_aligned_special_days() {
    let output = duban(&["calendar", "list", "2026"]);
    assert!(output.status.success());
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 39);
    assert_eq!(lines[0], "2026-01-01  holiday  元旦");
    assert_eq!(lines[3], "2026-01-04  working  元旦调休");
    assert!(lines.contains(&"2026-10-10  working  国庆节调休"));
    assert_eq!(
        lines.iter().filter(|l| l.contains("  working  ")).count(),
        6
    );
    // In an English terminal, the English names alone.
    let output = duban_in("en_US.UTF-8", &["calendar", "list", "2026"]);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 39);
    assert_eq!(lines[0], "2026-01-01  holiday  New Year's Day");
    assert!(lines.contains(&"2026-10-10  working  National Day adjusted working day"));
    assert!(text.is_ascii(), "{text}");
}

#[test]
fn list_of_a_year_without_data_says_it_is_provisional() {
    let output = duban(&["calendar", "list", "2027"]);
    assert!(output.status.success());
    assert_eq!(stdout(&output), "2027: 无数据(临时:仅按周末计算)\n");
    let output = duban_in("en_GB.UTF-8", &["calendar", "list", "2027"]);
    assert_eq!(
        stdout(&output),
        "2027: no data (provisional: weekends only)\n"
    );
}

#[test]
fn a_calendar_file_is_imported_before_answering() {
    let file = TempFile::new(
        r#"{"year": 2027, "source": null, "days": [
            {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "name_en": "New Year's Day"},
            {"date": "2027-01-09", "kind": "working", "name": "元旦调休", "name_en": "New Year's Day adjusted working day"}
        ]}"#,
    );
    let output = duban(&[
        "--calendar-file",
        file.path(),
        "calendar",
        "is-working-day",
        "2027-01-01",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "false\n");
    assert_eq!(stderr(&output), "");

    // The option is global: it may also follow the subcommand.
    let output = duban(&["calendar", "list", "2027", "--calendar-file", file.path()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "2027-01-01  holiday  元旦\n\
         2027-01-09  working  元旦调休\n"
    );

    // Repeated: a later file replaces an earlier one for the same year.
    let empty_2027 = TempFile::new(r#"{"year": 2027, "days": []}"#);
    let output = duban(&[
        "--calendar-file",
        file.path(),
        "--calendar-file",
        empty_2027.path(),
        "calendar",
        "list",
        "2027",
    ]);
    assert!(output.status.success());
    assert_eq!(stdout(&output), "2027: 无节假日或调休\n");
}

#[test]
fn bad_input_is_refused_with_a_stable_code_and_exit_status_2() {
    let err = assert_error(
        &duban(&["calendar", "is-working-day", "2026-13-01"]),
        "cli.bad_date",
    );
    assert_eq!(
        err,
        "error[cli.bad_date]: 日期格式应为 YYYY-MM-DD:\"2026-13-01\"\n"
    );
    // An English terminal gets the English sentence, alone; LC_ALL wins over LANG.
    let en = duban_in("en_US.UTF-8", &["calendar", "is-working-day", "2026-13-01"]);
    assert_eq!(
        stderr(&en),
        "error[cli.bad_date]: date must be YYYY-MM-DD: \"2026-13-01\"\n"
    );
    let zh = Command::new(env!("CARGO_BIN_EXE_duban"))
        .args(["calendar", "is-working-day", "2026-13-01"])
        .env("LANG", "en_US.UTF-8")
        .env("LC_ALL", "zh_CN.UTF-8")
        .output()
        .expect("runs");
    assert!(
        stderr(&zh).starts_with("error[cli.bad_date]: 日期格式"),
        "{}",
        stderr(&zh)
    );
    assert_error(
        &duban(&["calendar", "is-working-day", "2026-2-1"]),
        "cli.bad_date",
    );
    assert_error(
        &duban(&["calendar", "add-working-days", "tomorrow", "1"]),
        "cli.bad_date",
    );
    assert_error(
        &duban(&["calendar", "add-working-days", "2026-01-05", "-1"]),
        "cli.bad_number",
    );
    assert_error(
        &duban(&["calendar", "add-working-days", "2026-01-05", "x"]),
        "cli.bad_number",
    );
    assert_error(
        &duban(&["calendar", "is-working-day", "1899-12-31"]),
        "cli.out_of_range",
    );
    assert_error(&duban(&["calendar", "list", "1800"]), "cli.out_of_range");
    assert_error(&duban(&["calendar", "list", "20x6"]), "cli.bad_year");
    assert_error(&duban(&["calendar", "frobnicate"]), "cli.usage");
    assert_error(&duban(&[]), "cli.usage");

    let missing = std::env::temp_dir().join("duban-cli-test-no-such-file.json");
    let missing = missing.to_str().unwrap();
    assert_error(
        &duban(&["--calendar-file", missing, "calendar", "list", "2026"]),
        "cli.calendar_file",
    );
    let bad_json = TempFile::new("{\"year\": 2027, \"days\": [");
    assert_error(
        &duban(&[
            "--calendar-file",
            bad_json.path(),
            "calendar",
            "list",
            "2027",
        ]),
        "calendar.bad_json",
    );
    let wrong_year = TempFile::new(
        r#"{"year": 2027, "days": [{"date": "2026-10-01", "kind": "holiday", "name": "国庆节", "name_en": "National Day"}]}"#,
    );
    assert_error(
        &duban(&[
            "--calendar-file",
            wrong_year.path(),
            "calendar",
            "list",
            "2027",
        ]),
        "calendar.year_mismatch",
    );
}

#[test]
fn help_and_version_exit_0() {
    let output = duban(&["--help"]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("calendar"));
    let output = duban(&["--version"]);
    assert!(output.status.success());
    assert_eq!(
        stdout(&output),
        format!("duban {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// A small camera JPEG made here.
fn camera_jpeg() -> Vec<u8> {
    let (w, h) = (900u16, 600u16);
    let pixels: Vec<u8> = (0..u32::from(w) * u32::from(h))
        .flat_map(|i| [(i % 251) as u8, (i / 900 % 256) as u8, 128])
        .collect();
    duban_core::photo::encode(
        &duban_core::photo::raster::Rgb {
            width: u32::from(w),
            height: u32::from(h),
            data: pixels,
        },
        90,
    )
    .expect("encode")
}

#[test]
fn photo_process_writes_the_image_the_thumbnail_and_the_record() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("现场.jpg");
    std::fs::write(&input, camera_jpeg()).unwrap();
    let out = dir.path().join("out");
    let args = [
        "photo",
        "process",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--person",
        "李明",
        "--item-number",
        "改〔2026〕3号",
        "--lat",
        "36.81",
        "--lon",
        "118.05",
        "--captured-at",
        "2026-11-30T09:41:27+08:00",
    ];
    let first = duban(&args);
    assert!(first.status.success(), "{}", stderr(&first));
    let image = std::fs::read(out.join("现场.jpg")).expect("the image");
    let thumb = std::fs::read(out.join("现场.thumb.jpg")).expect("the thumbnail");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("现场.json")).unwrap()).unwrap();
    let hash = blake3::hash(&image).to_hex().to_string();
    assert!(stdout(&first).starts_with(&hash), "{}", stdout(&first));
    assert_eq!(record["hash"], hash.as_str());
    assert_eq!(record["size"], image.len());
    assert_eq!(
        record["photo"]["thumbnail"]["hash"],
        blake3::hash(&thumb).to_hex().as_str()
    );
    assert_eq!(record["photo"]["captured_at"], "2026-11-30T09:41:27+08:00");
    assert_eq!(record["photo"]["location"]["lat_e7"], 368_100_000);
    assert_eq!(record["photo"]["width"], 900);
    // The same input gives the same bytes: the hash is stable across runs.
    let second = duban(&args);
    assert_eq!(stdout(&second), stdout(&first));
    assert_eq!(std::fs::read(out.join("现场.jpg")).unwrap(), image);
    assert!(
        !std::fs::read_dir(&out).unwrap().any(|e| e
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "partial")),
        "no half-written file is left"
    );
}

#[test]
fn photo_process_refuses_bad_input_with_a_stable_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cut = dir.path().join("cut.jpg");
    let jpeg = camera_jpeg();
    std::fs::write(&cut, &jpeg[..jpeg.len() / 2]).unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let text = dir.path().join("notes.jpg");
    std::fs::write(&text, "not a photo").unwrap();
    let good = dir.path().join("good.jpg");
    std::fs::write(&good, &jpeg).unwrap();
    let (cut, text, good) = (
        cut.to_str().unwrap(),
        text.to_str().unwrap(),
        good.to_str().unwrap(),
    );
    for (input, extra, code) in [
        (cut, &[][..], "photo.corrupt"),
        (text, &[][..], "photo.not_jpeg"),
        ("/nonexistent/x.jpg", &[][..], "cli.photo_file"),
        (
            good,
            &["--lat", "95", "--lon", "1"][..],
            "cli.photo_argument",
        ),
        (
            good,
            &["--captured-at", "yesterday"][..],
            "cli.photo_argument",
        ),
        (
            good,
            &["--long-edge", "100", "--thumb-edge", "200"][..],
            "cli.photo_argument",
        ),
    ] {
        let mut args = vec!["photo", "process", input, "--out", o];
        args.extend(extra);
        assert_error(&duban(&args), code);
    }
    assert!(!out.exists(), "nothing written for refused input");
}
