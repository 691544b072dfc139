//! The `duban` command line: parsing (clap), running a command, and reporting errors in zh-CN
//! or English — one of them, the terminal's ([`lang`]: `LC_ALL`, `LC_MESSAGES`, `LANG`; zh-CN
//! unless English is asked for) — with a stable code (`error[code]: …`, exit status 2).
//!
//! Each area of the program is one subcommand of [`Command`]: `calendar`, `serve` (the HTTP
//! server), `demo` (the server with demo data), `photo` (the on-site photo pipeline) and
//! `verify-archive` (the offline check of an item's archive), `init` (an empty organisation
//! and its first administrator on an empty database).

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{Datelike, NaiveDate};
use clap::{Parser, Subcommand};
use duban_core::domain::calendar::{Calendar, CalendarError, MAX_YEAR, MIN_YEAR};
use duban_server::config::{ConfigError, ServeArgs};
use duban_server::i18n::Lang;
use duban_server::ServeError;

/// Duban (督办): task supervision for government offices.
#[derive(Debug, Parser)]
#[command(name = "duban", version)]
pub struct Cli {
    /// Import a year of calendar data (a `YYYY.json` file) before answering, replacing the
    /// built-in data for that year. May be repeated.
    #[arg(long = "calendar-file", value_name = "PATH", global = true)]
    pub calendar_files: Vec<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `duban`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The working-day calendar (工作日日历).
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Run the server (HTTP API on an embedded SQLite database, or PostgreSQL).
    Serve(ServeArgs),
    /// Run the server with the demo organisation and items (same as `serve --demo`).
    Demo(ServeArgs),
    /// The on-site photo pipeline (现场照片).
    #[command(subcommand)]
    Photo(PhotoCommand),
    /// Verify an item's archive (归档 zip) offline: re-hash every file against its manifest
    /// and re-compute the trail's hash chain; prints OK, or each mismatch (exit status 1).
    VerifyArchive {
        /// The archive, as downloaded from `/items/{id}/archive.zip`.
        file: PathBuf,
    },
    /// Set up an empty organisation on an empty database: its name (the root unit's), its
    /// time zone and its first administrator. The password is read from the terminal
    /// (twice, without echo) or from `--password-file`, never from the command line.
    Init(InitArgs),
}

/// `duban init …`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The organisation's name, e.g. 某某县人民政府.
    #[arg(long = "name", value_name = "NAME")]
    pub name: String,
    /// Its time zone as a UTC offset.
    #[arg(long = "utc-offset", value_name = "±HH:MM", default_value = "+08:00")]
    pub utc_offset: String,
    /// The first administrator's username.
    #[arg(long = "admin-username", value_name = "USERNAME")]
    pub admin_username: String,
    /// The first administrator's name.
    #[arg(long = "admin-name", value_name = "NAME")]
    pub admin_name: String,
    /// Read the password from this file (its first line) instead of the terminal.
    #[arg(long = "password-file", value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    /// Where the database is (as for `duban serve`).
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// `duban photo …`.
#[derive(Debug, Subcommand)]
pub enum PhotoCommand {
    /// Run the pipeline on a JPEG: writes `DIR/NAME.jpg` (long edge 1600 px, watermarked),
    /// `DIR/NAME.thumb.jpg` (320 px) and `DIR/NAME.json` (the evidence record with its
    /// metadata), and prints the hash.
    Process(PhotoArgs),
}

/// The arguments of `duban photo process`.
#[derive(Debug, clap::Args)]
pub struct PhotoArgs {
    /// The camera's JPEG file.
    pub input: PathBuf,
    /// Where to write the results (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The item's number for the watermark, e.g. 改〔2026〕3号.
    #[arg(long, value_name = "NUMBER")]
    pub item_number: Option<String>,
    /// Who took it, for the watermark.
    #[arg(long, default_value = "")]
    pub person: String,
    /// The place's name for the watermark.
    #[arg(long)]
    pub place: Option<String>,
    /// Latitude in degrees, used when the file has no GPS.
    #[arg(long, allow_hyphen_values = true, requires = "lon")]
    pub lat: Option<f64>,
    /// Longitude in degrees, used when the file has no GPS.
    #[arg(long, allow_hyphen_values = true, requires = "lat")]
    pub lon: Option<f64>,
    /// The capture time (RFC 3339, e.g. 2026-11-30T09:41:27+08:00), used when the file has
    /// none; default now, in UTC+08:00.
    #[arg(long, value_name = "TIME")]
    pub captured_at: Option<String>,
    /// The photo was picked from a gallery, not taken on site.
    #[arg(long)]
    pub gallery: bool,
    /// The evidence image's long edge in pixels.
    #[arg(long, default_value_t = 1600)]
    pub long_edge: u32,
    /// The thumbnail's long edge in pixels.
    #[arg(long, default_value_t = 320)]
    pub thumb_edge: u32,
}

/// `duban calendar …`: questions about the working-day calendar.
#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Print `true` if DATE is a working day, else `false`.
    IsWorkingDay {
        /// The date, YYYY-MM-DD.
        date: String,
    },
    /// Print the N-th working day after DATE (N = 0: DATE rolled forward to a working day).
    AddWorkingDays {
        /// The start date, YYYY-MM-DD.
        date: String,
        /// How many working days to add.
        #[arg(allow_hyphen_values = true)]
        n: String,
    },
    /// List the holidays and adjusted working days of YEAR.
    List {
        /// The year, e.g. 2026.
        year: String,
    },
}

/// The terminal's language: the first of `LC_ALL`, `LC_MESSAGES` and `LANG` that is set and
/// not empty (POSIX's order), English when it names English (`en_US.UTF-8`), else zh-CN.
pub fn lang() -> Lang {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty())
        .and_then(|v| Lang::from_code(v.split(['.', '@']).next().unwrap_or("")))
        .unwrap_or_default()
}

/// Why a command failed. Displayed as `error[code]: …` in the terminal's language.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.render())]
pub enum CliError {
    /// The command line does not parse (clap's own explanation follows the message).
    Usage(String),
    /// A date argument is not a valid YYYY-MM-DD date.
    BadDate(String),
    /// A count argument is not a whole number from 0 to `u32::MAX`.
    BadNumber(String),
    /// A year argument is not four digits.
    BadYear(String),
    /// A date or year is outside the years the calendar supports.
    OutOfRange(String),
    /// A calendar file cannot be read.
    CalendarFile {
        /// The file.
        path: PathBuf,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// A calendar file was read but its data is refused.
    CalendarData {
        /// The file.
        path: PathBuf,
        /// What is wrong with its data.
        source: CalendarError,
    },
    /// The server's configuration is refused.
    Config(ConfigError),
    /// The server stopped with an error.
    Serve(ServeError),
    /// A photo file cannot be read or its results written.
    PhotoFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A photo argument (time, position, size) is refused.
    PhotoArg(String),
    /// The pipeline refused the photo.
    Photo(duban_core::photo::PhotoError),
    /// An archive file cannot be read.
    ArchiveFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An archive does not verify: the verifier's report, each mismatch on a line.
    ArchiveMismatch(String),
    /// `duban init` refused.
    Init(duban_server::init::InitError),
    /// The password could not be read (terminal or file), or the two entries differ.
    Password(String),
}

impl CliError {
    /// The stable code, e.g. `cli.bad_date` (for refused calendar data, the calendar's code,
    /// e.g. `calendar.bad_json`).
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Usage(_) => "cli.usage",
            CliError::BadDate(_) => "cli.bad_date",
            CliError::BadNumber(_) => "cli.bad_number",
            CliError::BadYear(_) => "cli.bad_year",
            CliError::OutOfRange(_) => "cli.out_of_range",
            CliError::CalendarFile { .. } => "cli.calendar_file",
            CliError::CalendarData { source, .. } => source.code(),
            CliError::Config(e) => e.code(),
            CliError::Serve(e) => e.code(),
            CliError::PhotoFile { .. } => "cli.photo_file",
            CliError::PhotoArg(_) => "cli.photo_argument",
            CliError::Photo(e) => e.code(),
            CliError::ArchiveFile { .. } => "cli.archive_file",
            CliError::ArchiveMismatch(_) => "archive.mismatch",
            CliError::Init(duban_server::init::InitError::NotEmpty) => "init.not_empty",
            CliError::Init(duban_server::init::InitError::BadOffset(_)) => "init.bad_offset",
            CliError::Init(_) => "init.refused",
            CliError::Password(_) => "init.password",
        }
    }

    /// The message in Chinese (zh-CN).
    pub fn message_zh(&self) -> String {
        match self {
            CliError::Usage(_) => "命令行参数有误".to_owned(),
            CliError::BadDate(text) => format!("日期格式应为 YYYY-MM-DD:\"{text}\""),
            CliError::BadNumber(text) => {
                format!("天数应为 0 至 {} 的整数:\"{text}\"", u32::MAX)
            }
            CliError::BadYear(text) => format!("年份应为四位数字:\"{text}\""),
            CliError::OutOfRange(text) => {
                format!("超出支持的年份范围({MIN_YEAR}–{MAX_YEAR}):\"{text}\"")
            }
            CliError::CalendarFile { path, source } => {
                format!("无法读取日历文件 {}:{source}", path.display())
            }
            CliError::CalendarData { path, source } => {
                format!("日历文件 {}:{}", path.display(), source.message_zh())
            }
            CliError::Config(e) => format!("配置有误:{e}"),
            CliError::Serve(e) => format!("服务器无法运行:{e}"),
            CliError::PhotoFile { path, source } => {
                format!("无法读写照片文件 {}:{source}", path.display())
            }
            CliError::PhotoArg(text) => format!("照片参数有误:{text}"),
            CliError::Photo(e) => e.zh(),
            CliError::ArchiveFile { path, source } => {
                format!("无法读取归档文件 {}:{source}", path.display())
            }
            CliError::ArchiveMismatch(_) => "归档校验未通过,文件或留痕被改动".to_owned(),
            CliError::Init(e) => format!("{}({})", e.zh(), e.code()),
            CliError::Password(text) => format!("无法读取密码:{text}"),
        }
    }

    /// The message in English.
    pub fn message_en(&self) -> String {
        match self {
            CliError::Usage(_) => "invalid command line".to_owned(),
            CliError::BadDate(text) => format!("date must be YYYY-MM-DD: \"{text}\""),
            CliError::BadNumber(text) => format!(
                "the number of days must be a whole number from 0 to {}: \"{text}\"",
                u32::MAX
            ),
            CliError::BadYear(text) => format!("year must be four digits: \"{text}\""),
            CliError::OutOfRange(text) => {
                format!("outside the supported years ({MIN_YEAR}–{MAX_YEAR}): \"{text}\"")
            }
            CliError::CalendarFile { path, source } => {
                format!("cannot read calendar file {}: {source}", path.display())
            }
            CliError::CalendarData { path, source } => {
                format!("calendar file {}: {}", path.display(), source.message_en())
            }
            CliError::Config(e) => format!("invalid configuration: {e}"),
            CliError::Serve(e) => format!("the server cannot run: {e}"),
            CliError::PhotoFile { path, source } => {
                format!(
                    "cannot read or write photo file {}: {source}",
                    path.display()
                )
            }
            CliError::PhotoArg(text) => format!("invalid photo argument: {text}"),
            CliError::Photo(e) => e.en(),
            CliError::ArchiveFile { path, source } => {
                format!("cannot read archive file {}: {source}", path.display())
            }
            CliError::ArchiveMismatch(_) => {
                "the archive does not verify: files or the trail were altered".to_owned()
            }
            CliError::Init(e) => format!("{} ({})", e.en(), e.code()),
            CliError::Password(text) => format!("cannot read the password: {text}"),
        }
    }

    /// The process exit status for this error: 2 for bad input, 1 for a server that failed.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Serve(_) | CliError::ArchiveMismatch(_) => ExitCode::from(1),
            _ => ExitCode::from(2),
        }
    }

    fn render(&self) -> String {
        let message = match lang() {
            Lang::Zh => self.message_zh(),
            Lang::En => self.message_en(),
        };
        let mut text = format!("error[{}]: {message}", self.code());
        if let CliError::Usage(clap_text) | CliError::ArchiveMismatch(clap_text) = self {
            text.push_str("\n\n");
            text.push_str(clap_text.trim_end());
        }
        text
    }
}

/// The result of parsing the command line.
#[derive(Debug)]
pub enum Parsed {
    /// A command to run.
    Run(Box<Cli>),
    /// Help or version text to print (exit 0).
    Show(String),
}

/// What a successful command prints.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// The answer, for standard output.
    pub stdout: String,
    /// Notes for a person (such as a provisional year), for standard error.
    pub stderr: String,
}

/// Parses the command line (the first item is the program name).
pub fn parse<I, T>(args: I) -> Result<Parsed, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => Ok(Parsed::Run(Box::new(cli))),
        Err(e) if !e.use_stderr() => {
            let mut text = e.render().to_string();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            Ok(Parsed::Show(text))
        }
        Err(e) => Err(CliError::Usage(e.render().to_string())),
    }
}

/// Runs a parsed command line against the built-in calendar plus any `--calendar-file`s.
pub fn run(cli: &Cli) -> Result<Output, CliError> {
    let mut calendar = Calendar::builtin();
    for path in &cli.calendar_files {
        import_file(&mut calendar, path)?;
    }
    match &cli.command {
        Command::Calendar(command) => run_calendar(&calendar, command),
        Command::Serve(args) => serve(args, false),
        Command::Demo(args) => serve(args, true),
        Command::Photo(PhotoCommand::Process(args)) => process_photo(args),
        Command::VerifyArchive { file } => verify_archive(file),
        Command::Init(args) => init(args),
    }
}

/// The password for `duban init`: the first line of `--password-file`, or typed twice at
/// the terminal without echo (`rpassword`).
fn init_password(args: &InitArgs) -> Result<String, CliError> {
    if let Some(path) = &args.password_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Password(format!("{}: {e}", path.display())))?;
        return Ok(text.lines().next().unwrap_or("").to_owned());
    }
    let lang = lang();
    let first = rpassword::prompt_password(lang.pick("密码:", "Password: "))
        .map_err(|e| CliError::Password(e.to_string()))?;
    let second = rpassword::prompt_password(lang.pick("再输一次:", "Again: "))
        .map_err(|e| CliError::Password(e.to_string()))?;
    if first != second {
        return Err(CliError::Password(
            lang.pick("两次输入不一致", "the two entries differ")
                .to_owned(),
        ));
    }
    Ok(first)
}

/// `duban init`: see [`duban_server::init`].
fn init(args: &InitArgs) -> Result<Output, CliError> {
    let utc_offset_minutes =
        duban_server::init::parse_utc_offset(&args.utc_offset).map_err(CliError::Init)?;
    let config = args.serve.resolve().map_err(CliError::Config)?;
    let password = init_password(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Serve(ServeError::Io(e)))?;
    let new = duban_server::init::NewOrganisation {
        name: args.name.clone(),
        utc_offset_minutes,
        admin_username: args.admin_username.clone(),
        admin_name: args.admin_name.clone(),
        password,
    };
    let made = runtime.block_on(async {
        let state = duban_server::AppState::open(config)
            .await
            .map_err(|e| CliError::Serve(e.into()))?;
        duban_server::init::init(&state, &new)
            .await
            .map_err(CliError::Init)
    })?;
    Ok(Output {
        stdout: format!(
            "{}\nroot={} admin={}\n",
            match lang() {
                Lang::Zh => format!(
                    "{}: 已建立组织,系统管理员 {}。请登录后在“系统管理”中导入单位和人员。",
                    new.name, new.admin_username
                ),
                Lang::En => format!(
                    "{}: organisation set up, administrator {}. Sign in and import units and \
                     people under Administration.",
                    new.name, new.admin_username
                ),
            },
            made.root,
            made.admin,
        ),
        stderr: String::new(),
    })
}

/// `duban verify-archive`: the offline check of an item's archive.
fn verify_archive(path: &Path) -> Result<Output, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::ArchiveFile {
        path: path.to_owned(),
        source,
    })?;
    let v = duban_server::archive::verify(&bytes);
    if v.ok() {
        Ok(Output {
            stdout: v.report(),
            stderr: String::new(),
        })
    } else {
        Err(CliError::ArchiveMismatch(v.report()))
    }
}

/// `duban photo process`: the same pipeline the phones run, on a file.
fn process_photo(args: &PhotoArgs) -> Result<Output, CliError> {
    use duban_core::domain::model::{GeoPoint, PhotoSource};
    use duban_core::photo::{process, Capture, Options};

    let file_error = |path: &Path| {
        let path = path.to_owned();
        move |source| CliError::PhotoFile { path, source }
    };
    let zone = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+08:00");
    let device_time = match &args.captured_at {
        Some(t) => chrono::DateTime::parse_from_rfc3339(t)
            .map_err(|_| CliError::PhotoArg(format!("--captured-at {t}")))?,
        None => chrono::Utc::now().with_timezone(&zone),
    };
    let device_location = match (args.lat, args.lon) {
        (Some(lat), Some(lon)) => Some(
            GeoPoint::from_degrees(lat, lon)
                .ok_or_else(|| CliError::PhotoArg(format!("--lat {lat} --lon {lon}")))?,
        ),
        _ => None,
    };
    if !(16..=8192).contains(&args.long_edge) || !(16..=args.long_edge).contains(&args.thumb_edge) {
        return Err(CliError::PhotoArg(format!(
            "--long-edge {} --thumb-edge {} (16 ≤ thumb ≤ long ≤ 8192)",
            args.long_edge, args.thumb_edge
        )));
    }
    let data = std::fs::read(&args.input).map_err(file_error(&args.input))?;
    let capture = Capture {
        source: if args.gallery {
            PhotoSource::Gallery
        } else {
            PhotoSource::Camera
        },
        device_time,
        device_location,
        place: args.place.clone(),
        item_number: args.item_number.clone(),
        person: args.person.clone(),
        answers: None,
    };
    let options = Options {
        long_edge: args.long_edge,
        thumb_edge: args.thumb_edge,
        ..Options::default()
    };
    let mut out = process(&data, &capture, &options).map_err(CliError::Photo)?;
    let stem = args
        .input
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "photo".into());
    out.evidence.name = format!("{stem}.jpg");
    if let Some(meta) = out.evidence.photo.as_deref_mut() {
        meta.thumbnail.name = format!("{stem}.thumb.jpg");
    }
    std::fs::create_dir_all(&args.out).map_err(file_error(&args.out))?;
    let json = serde_json::to_vec_pretty(&out.evidence).expect("an evidence record serialises");
    for (name, bytes) in [
        (format!("{stem}.jpg"), &out.image),
        (format!("{stem}.thumb.jpg"), &out.thumbnail),
        (format!("{stem}.json"), &json),
    ] {
        write_atomically(&args.out.join(name), bytes)?;
    }
    Ok(Output {
        stdout: format!(
            "{}  {}  {} bytes, thumbnail {} bytes\n",
            out.evidence.hash,
            args.out.join(format!("{stem}.jpg")).display(),
            out.image.len(),
            out.thumbnail.len()
        ),
        stderr: String::new(),
    })
}

/// Writes a file whole or not at all: to a temporary name beside it, then renamed.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|source| CliError::PhotoFile {
            path: path.to_owned(),
            source,
        })
}

/// Runs the server until it is told to stop (SIGINT or SIGTERM).
fn serve(args: &ServeArgs, demo: bool) -> Result<Output, CliError> {
    let mut config = args.resolve().map_err(CliError::Config)?;
    config.demo |= demo;
    duban_server::init_logging(config.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Serve(ServeError::Io(e)))?;
    runtime
        .block_on(duban_server::serve(config))
        .map_err(CliError::Serve)?;
    Ok(Output::default())
}

fn import_file(calendar: &mut Calendar, path: &Path) -> Result<i32, CliError> {
    let json = std::fs::read_to_string(path).map_err(|source| CliError::CalendarFile {
        path: path.to_owned(),
        source,
    })?;
    calendar
        .import_year_json(&json)
        .map_err(|source| CliError::CalendarData {
            path: path.to_owned(),
            source,
        })
}

fn run_calendar(calendar: &Calendar, command: &CalendarCommand) -> Result<Output, CliError> {
    let mut out = Output::default();
    match command {
        CalendarCommand::IsWorkingDay { date } => {
            let date = parse_date(date)?;
            out.stdout = format!("{}\n", calendar.is_working_day(date));
            note_provisional(calendar, date.year(), date.year(), &mut out.stderr);
        }
        CalendarCommand::AddWorkingDays { date, n } => {
            let start = parse_date(date)?;
            let n: u32 = n.parse().map_err(|_| CliError::BadNumber(n.clone()))?;
            let result = calendar.add_working_days(start, n);
            if !(MIN_YEAR..=MAX_YEAR).contains(&result.year()) {
                return Err(CliError::OutOfRange(result.to_string()));
            }
            out.stdout = format!("{}\n", result.format("%Y-%m-%d"));
            note_provisional(calendar, start.year(), result.year(), &mut out.stderr);
        }
        CalendarCommand::List { year: text } => {
            let year = parse_year(text)?;
            out.stdout = list(calendar, year);
        }
    }
    Ok(out)
}

/// The `list` output: one aligned line per special day, or a note for a provisional year.
fn list(calendar: &Calendar, year: i32) -> String {
    let lang = lang();
    let mut text = String::new();
    if calendar.is_provisional(year) {
        let _ = writeln!(
            text,
            "{year}: {}",
            lang.pick(
                "无数据(临时:仅按周末计算)",
                "no data (provisional: weekends only)"
            )
        );
    }
    let days = calendar.special_days(year);
    if days.is_empty() && !calendar.is_provisional(year) {
        let _ = writeln!(
            text,
            "{year}: {}",
            lang.pick("无节假日或调休", "no holidays or adjusted working days")
        );
    }
    for day in &days {
        let name = match lang {
            Lang::En if !day.name_en.is_empty() => &day.name_en,
            _ => &day.name,
        };
        let _ = writeln!(
            text,
            "{}  {:<7}  {name}",
            day.date.format("%Y-%m-%d"),
            day.kind.as_str(),
        );
    }
    text
}

/// Warns on standard error when a year in `from..=to` has no data.
fn note_provisional(calendar: &Calendar, from: i32, to: i32, stderr: &mut String) {
    for year in from..=to {
        if calendar.is_provisional(year) {
            let _ = writeln!(
                stderr,
                "{}",
                match lang() {
                    Lang::Zh => format!("注意:{year} 年无节假日数据,仅按周末计算"),
                    Lang::En => format!("note: no holiday data for {year}, weekends only"),
                }
            );
        }
    }
}

fn parse_date(text: &str) -> Result<NaiveDate, CliError> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    let date = if shape_ok {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
    } else {
        None
    };
    let date = date.ok_or_else(|| CliError::BadDate(text.to_owned()))?;
    if (MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
        Ok(date)
    } else {
        Err(CliError::OutOfRange(text.to_owned()))
    }
}

fn parse_year(text: &str) -> Result<i32, CliError> {
    if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CliError::BadYear(text.to_owned()));
    }
    let year: i32 = text
        .parse()
        .map_err(|_| CliError::BadYear(text.to_owned()))?;
    if (MIN_YEAR..=MAX_YEAR).contains(&year) {
        Ok(year)
    } else {
        Err(CliError::OutOfRange(text.to_owned()))
    }
}
