//! Bulletins and notices (通报/专报/通知, R9.2): stored drafts the office edits, published
//! ones read-only. The monthly bulletin and the quarterly ranking are generated from the
//! data and name units — the ranking's top and bottom, every unit with overdue or red-light
//! items and how many — never "some units".
//!
//! A public bulletin (shown on the public board, to anyone) names only public items by number
//! or title; internal and confidential ones appear only as a unit and a count. Generation
//! with the public flag writes them so, and every save that publishes a public bulletin
//! checks its title and text, as typed, against every non-public item's number and title
//! ([`non_public_named`]): a hand-pasted internal title is refused with the items to remove
//! (`bulletin.names_internal`).
//!
//! A bulletin is the organisation's document: generated once, in the organisation's language
//! (zh-CN), stored, edited and published as written; it is shown to every reader as it is,
//! in any interface language. Only its frame (its kind's name, the page's labels) follows the
//! reader's language.
//!
//! Every write is one statement in its own transaction: a create is keyed by the form's id
//! (a resent form creates one), an edit or a publication names the version it was made
//! from (a stale one is refused and changes nothing).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Utc};
use duban_core::domain::derived::score::{completion_rate, DateRange};
use duban_core::domain::derived::{timeliness_light, Colour};
use duban_core::domain::model::Visibility;
use duban_core::domain::{TaskId, TaskState, UnitId, UserId};

use crate::db::bulletins::{self as store, BulletinRow, DraftChange, NewBulletin};
use crate::db::Db;
use crate::error::ApiError;
use crate::org::Org;
use crate::AppState;

/// What a bulletin is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 月度通报, generated for a month.
    Monthly,
    /// 季度排名通报, generated for a quarter.
    Quarterly,
    /// 专报: written by hand.
    Special,
    /// 通知.
    Notice,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 4] = [Kind::Monthly, Kind::Quarterly, Kind::Special, Kind::Notice];

    /// The stored name.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Monthly => "monthly",
            Kind::Quarterly => "quarterly",
            Kind::Special => "special",
            Kind::Notice => "notice",
        }
    }

    /// The kind of a stored name.
    pub fn of(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code.trim())
    }

    /// The catalog key of its name (`bulletin-kind-…`).
    pub fn key(self) -> &'static str {
        match self {
            Kind::Monthly => "bulletin-kind-monthly",
            Kind::Quarterly => "bulletin-kind-quarterly",
            Kind::Special => "bulletin-kind-special",
            Kind::Notice => "bulletin-kind-notice",
        }
    }
}

/// A stored bulletin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bulletin {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: Kind,
    /// Title.
    pub title: String,
    /// Body (plain text, paragraphs separated by blank lines).
    pub body: String,
    /// The period it covers (`2026-11`, `2026-Q4`), or empty.
    pub period: String,
    /// Whether the public board shows it once published.
    pub public: bool,
    /// Published (read-only) or a draft.
    pub published: bool,
    /// Who wrote it.
    pub author: UserId,
    /// Bumped by every change.
    pub version: i64,
    /// Last changed (ms).
    pub updated_at: i64,
    /// Published (ms).
    pub published_at: Option<i64>,
}

fn of_row(r: BulletinRow) -> Result<Bulletin, ApiError> {
    Ok(Bulletin {
        kind: Kind::of(&r.kind)
            .ok_or_else(|| ApiError::internal(format!("bulletin kind {}", r.kind)))?,
        author: UserId(uuid::Uuid::parse_str(&r.author).map_err(ApiError::internal)?),
        id: r.id,
        title: r.title,
        body: r.body,
        period: r.period,
        public: r.public,
        published: r.published,
        version: r.version,
        updated_at: r.updated_at,
        published_at: r.published_at,
    })
}

/// A bulletin by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<Bulletin>, ApiError> {
    store::get(db, id).await?.map(of_row).transpose()
}

/// Published bulletins, newest first (only the public ones if `public_only`), at most 100;
/// and the drafts too when `drafts`.
pub async fn list(db: &Db, public_only: bool, drafts: bool) -> Result<Vec<Bulletin>, ApiError> {
    store::list(db, public_only, drafts)
        .await?
        .into_iter()
        .map(of_row)
        .collect()
}

/// Refuses a title or text holding a control or text-direction character (the core's rule:
/// the title is one line, the text keeps tabs and line breaks).
fn check_text(title: &str, body: &str) -> Result<(), ApiError> {
    duban_core::domain::text::check(title, true, "通报标题", "the bulletin's title")
        .and_then(|()| {
            duban_core::domain::text::check(body, false, "通报正文", "the bulletin's text")
        })
        .map_err(|r| ApiError::from_rejection(&r))
}

/// Titles shorter than this (in characters) are not looked for in a public bulletin's text:
/// a word that short (`整改`) is ordinary prose, and says little of the item.
pub const MIN_TITLE_CHARS: usize = 4;

/// The numbers of the non-public items (internal or confidential) that `texts` name by number
/// or by title (a title of at least [`MIN_TITLE_CHARS`] characters), sorted. A match inside a
/// public item's title or number (an internal title that is part of a public one) does not
/// count. Fails closed: an error if the search cannot be built.
pub fn non_public_named(
    items: &[(TaskId, Arc<TaskState>)],
    texts: &[&str],
) -> Result<Vec<String>, ApiError> {
    // Every public and non-public number and title, with whose it is.
    let mut needles: Vec<&str> = Vec::new();
    let mut owner: Vec<(bool, usize)> = Vec::new();
    let numbers: Vec<String> = items
        .iter()
        .map(|(_, s)| {
            s.number
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect();
    for (i, (_, s)) in items.iter().enumerate() {
        let public = s.visibility == Visibility::Public;
        let title = s.title.trim();
        if !numbers[i].is_empty() {
            needles.push(&numbers[i]);
            owner.push((public, i));
        }
        if !title.is_empty() && (public || title.chars().count() >= MIN_TITLE_CHARS) {
            needles.push(title);
            owner.push((public, i));
        }
    }
    if !owner.iter().any(|(public, _)| !public) {
        return Ok(Vec::new());
    }
    let ac = aho_corasick::AhoCorasick::new(&needles).map_err(ApiError::internal)?;
    let mut named = std::collections::BTreeSet::new();
    for text in texts {
        let (mut public, mut other) = (Vec::new(), Vec::new());
        for m in ac.find_overlapping_iter(*text) {
            let (is_public, i) = owner[m.pattern().as_usize()];
            if is_public {
                public.push(m.range());
            } else {
                other.push((m.range(), i));
            }
        }
        for (r, i) in other {
            if !public.iter().any(|p| p.start <= r.start && r.end <= p.end) {
                named.insert(numbers[i].clone());
            }
        }
    }
    Ok(named.into_iter().collect())
}

/// Refuses to publish a public bulletin whose title or text names a non-public item by
/// number or title, listing (by number) what to remove.
pub async fn check_public(state: &AppState, title: &str, body: &str) -> Result<(), ApiError> {
    let items = every_item(state).await?;
    let named = non_public_named(&items, &[title, body])?;
    if named.is_empty() {
        return Ok(());
    }
    const SHOWN: usize = 20;
    let mut list = named
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("、");
    if named.len() > SHOWN {
        list.push_str(&format!(" … ({})", named.len()));
    }
    Err(ApiError::unprocessable(
        "bulletin.names_internal",
        format!(
            "公开通报只能写出公开事项的编号和标题,内部和保密事项只能按单位写出件数。请删去以下事项的编号或标题后再发布:{list}"
        ),
        format!(
            "a public bulletin names only public items by number or title; internal and confidential ones appear only as a unit and a count. Remove the number or title of these items before publishing: {list}"
        ),
    ))
}

/// Creates a draft with id `id`, or finds the one a first sending of the same form made.
pub async fn create(db: &Db, b: &Bulletin, now: DateTime<Utc>) -> Result<(), ApiError> {
    check_text(&b.title, &b.body)?;
    let at = now.timestamp_millis();
    let author = b.author.to_string();
    let new = NewBulletin {
        id: &b.id,
        kind: b.kind.code(),
        title: &b.title,
        body: &b.body,
        period: &b.period,
        public: b.public,
        author: &author,
        at,
    };
    store::insert(db, new).await?;
    Ok(())
}

fn stale() -> ApiError {
    ApiError::conflict(
        "bulletin.stale",
        "该通报已被他人修改或已发布，请查看最新内容后再改（您填写的内容仍在下方）",
        "the bulletin was changed or published meanwhile: look at the latest before changing it (what you wrote is still below)",
    )
}

/// Saves a draft's title, body and audience — and publishes it, read-only from then on, if
/// `publish` — when it is still at `version` and a draft. One statement: all or nothing. A
/// public bulletin is published only if it names no non-public item ([`check_public`]).
#[allow(clippy::too_many_arguments)]
pub async fn save(
    state: &AppState,
    id: &str,
    version: i64,
    title: &str,
    body: &str,
    public: bool,
    publish: bool,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    check_text(title, body)?;
    if publish && public {
        check_public(state, title, body).await?;
    }
    let at = now.timestamp_millis();
    let change = DraftChange {
        id,
        version,
        title,
        body,
        public,
        publish,
        at,
    };
    let saved = store::save(&state.db, change).await?;
    if saved {
        Ok(())
    } else {
        Err(stale())
    }
}

/// The period a bulletin of `kind` covers: `2026-11` for a month, `2026-Q4` for a quarter.
pub fn period_of(kind: Kind, text: &str) -> Option<(DateRange, String, String)> {
    let t = text.trim();
    let (y, rest) = t.split_once('-')?;
    let year: i32 = y.parse().ok()?;
    match kind {
        Kind::Monthly => {
            let m: u32 = rest.parse().ok()?;
            let range = DateRange::month(year, m)?;
            Some((range, format!("{year:04}-{m:02}"), format!("{year}年{m}月")))
        }
        Kind::Quarterly => {
            let q: u32 = rest.strip_prefix(['Q', 'q'])?.parse().ok()?;
            let range = DateRange::quarter(year, q)?;
            Some((
                range,
                format!("{year:04}-Q{q}"),
                format!("{year}年第{q}季度"),
            ))
        }
        _ => None,
    }
}

/// Every item's id and state, as the assessment counts them (whoever looks).
pub async fn every_item(state: &AppState) -> Result<Vec<(TaskId, Arc<TaskState>)>, ApiError> {
    Ok(crate::read::every_state(state).await?)
}

/// 一, 二 … 十, 十一 … 九十九: the numbering of a bulletin's sub-sections.
fn chinese_ordinal(n: usize) -> String {
    const DIGITS: [&str; 10] = ["", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        1..=9 => DIGITS[n].to_owned(),
        10..=19 => format!("十{}", DIGITS[n % 10]),
        20..=99 => format!("{}十{}", DIGITS[n / 10], DIGITS[n % 10]),
        _ => n.to_string(),
    }
}

fn unit_name(org: &Org, id: UnitId) -> String {
    org.unit(id).map(|u| u.name.clone()).unwrap_or_default()
}

/// The text of a generated bulletin for `period` (named `label`, e.g. 2026年11月): the
/// completion figures, the ranking's top and bottom units by name and score, and every unit
/// with overdue or red-light items, by name and count, with the items' numbers (a
/// confidential item's title is not written). For the public board (`public`), only public
/// items are named: the others are counted.
pub fn generate(
    org: &Org,
    items: &[(TaskId, Arc<TaskState>)],
    kind: Kind,
    period: DateRange,
    label: &str,
    now: DateTime<Utc>,
    public: bool,
) -> (String, String) {
    let cal = &org.calendar;
    let policy = &org.policy;
    let organisation = org.name();
    let scores =
        crate::read::period_scores(org, items.iter().map(|(id, s)| (*id, &**s)), period, now);
    let groups = crate::read::ranked_groups(org, &scores);
    let rate = completion_rate(items.iter().map(|(_, s)| &**s), period, now, cal);
    // Per unit: the overdue items named, and how many in all.
    let mut overdue: BTreeMap<UnitId, (Vec<String>, usize)> = BTreeMap::new();
    let mut red: BTreeMap<UnitId, u32> = BTreeMap::new();
    for (_, s) in items {
        let Some(lead) = s.lead else { continue };
        let Some(light) = timeliness_light(s, now, cal, policy) else {
            continue;
        };
        if light.colour != Colour::Red {
            continue;
        }
        *red.entry(lead.unit).or_default() += 1;
        if light.code == "light.overdue" {
            let entry = overdue.entry(lead.unit).or_default();
            entry.1 += 1;
            if public && s.visibility != Visibility::Public {
                continue;
            }
            let number = s.number.as_ref().map(|n| n.to_string()).unwrap_or_default();
            let named = if s.visibility == Visibility::Confidential {
                number
            } else {
                format!("{number}《{}》", s.title)
            };
            entry.0.push(named);
        }
    }
    // The organisation's language: a bulletin is its document, stored and published as
    // written, whoever reads it later.
    let kind_zh = crate::i18n::Lang::Zh.t(kind.key());
    let title = format!("{organisation}督查督办{label}{kind_zh}");
    let mut body = String::new();
    let _ = writeln!(
        body,
        "一、总体情况\n{label}应办结事项{}项，按期办结{}项，逾期办结{}项，尚未办结{}项，按期办结率{}。\n",
        rate.due,
        rate.on_time,
        rate.late,
        rate.open,
        rate.percent().map_or_else(|| "—".to_owned(), |p| format!("{p:.1}%"))
    );
    let _ = writeln!(body, "二、考核排名（百分制）");
    if groups.is_empty() {
        let _ = writeln!(body, "{label}没有到期考核的事项。\n");
    } else {
        // Units are ranked among their peers (docs/domain.md, "Peer groups"): each group's
        // top and bottom units, under the group's name.
        let named = |r: &duban_core::domain::derived::score::Ranked| {
            format!("第{}名 {}（{}分）", r.rank, unit_name(org, r.unit), r.score)
        };
        for (i, g) in groups.iter().enumerate() {
            let caption = crate::read::RankGroup::of(org, &g.group).caption(crate::i18n::Lang::Zh);
            let ranking = &g.ranked;
            let _ = writeln!(body, "（{}）{caption}", chinese_ordinal(i + 1));
            let top: Vec<String> = ranking.iter().take(3).map(named).collect();
            let _ = writeln!(body, "排名靠前：{}。", top.join("，"));
            if ranking.len() > 3 {
                let bottom: Vec<String> = ranking
                    .iter()
                    .rev()
                    .take(3.min(ranking.len() - 3))
                    .rev()
                    .map(named)
                    .collect();
                let _ = writeln!(body, "排名靠后：{}。", bottom.join("，"));
            }
        }
        let _ = writeln!(body);
    }
    let _ = writeln!(body, "三、逾期未报送事项");
    if overdue.is_empty() {
        let _ = writeln!(body, "截至通报时，没有逾期未报送的事项。\n");
    } else {
        for (unit, (list, all)) in &overdue {
            let unit = unit_name(org, *unit);
            let _ = if list.is_empty() {
                writeln!(body, "{unit}：{all}项。")
            } else if list.len() < *all {
                writeln!(
                    body,
                    "{unit}：{all}项，{}，另有{}项未公开。",
                    list.join("、"),
                    all - list.len()
                )
            } else {
                writeln!(body, "{unit}：{all}项，{}。", list.join("、"))
            };
        }
        let _ = writeln!(body);
    }
    let _ = writeln!(body, "四、红灯事项");
    if red.is_empty() {
        let _ = writeln!(body, "没有亮红灯的事项。\n");
    } else {
        let named: Vec<String> = red
            .iter()
            .map(|(u, n)| format!("{}{}项", unit_name(org, *u), n))
            .collect();
        let _ = writeln!(body, "{}。\n", named.join("，"));
    }
    let mut next = 5;
    if kind == Kind::Monthly && policy.categories.iter().any(|c| c.order_line.is_some()) {
        hotline_section(&mut body, org, items, period, label, now, public);
        next += 1;
    }
    let _ = write!(
        body,
        "{}、工作要求\n请以上逾期和亮红灯的单位对照通报，逐项说明原因、提出措施、限期整改，并在督办系统中报送进展。",
        chinese_ordinal(next)
    );
    (title, body)
}

/// A rate in a bulletin: `66.7%`, or `—` when there is nothing to divide by.
fn rate(p: Option<f64>) -> String {
    p.map_or_else(|| "—".to_owned(), |p| format!("{p:.1}%"))
}

/// The monthly bulletin's hotline section (docs/domain.md, "Hotline work orders: the
/// monthly figures"): the calls, the figures in total and per unit, and the month's typical
/// orders by number and kind — never the caller's data nor the reply. In a public bulletin
/// only public typical orders are named; the others are counted.
fn hotline_section(
    body: &mut String,
    org: &Org,
    items: &[(TaskId, Arc<TaskState>)],
    period: DateRange,
    label: &str,
    now: DateTime<Utc>,
    public: bool,
) {
    use duban_core::domain::derived::hotline_figures;
    use duban_core::domain::Code;
    let f = hotline_figures(
        items.iter().map(|(id, s)| (*id, &**s)),
        period,
        now,
        &org.calendar,
    );
    let h = crate::read::hotline_table(org, label, f);
    let c = &h.calls;
    let na = &c.not_accepted;
    let t = &h.total;
    let _ = writeln!(body, "五、热线工单办理情况");
    let _ = writeln!(
        body,
        "{label}热线来电{}件，受理{}件，不予受理{}件（不属于受理范围{}件，应通过法定途径解决{}件，同一事项已受理{}件，对答复有异议且无新情况{}件），待决定{}件。",
        c.taken,
        c.accepted,
        na.total(),
        na.outside_remit,
        na.legal_channel,
        na.already_accepted,
        na.contested_reply,
        c.undecided
    );
    let _ = writeln!(
        body,
        "派出工单{}件，办结{}件，办结率{}；回访{}件，满意{}件，基本满意{}件，不满意{}件，满意率{}；退单{}件，转办{}件，申请承诺件{}件，逾期{}件，重办{}件。",
        t.orders,
        t.completed,
        rate(t.completion_percent()),
        t.called_back,
        t.satisfied,
        t.basic,
        t.unsatisfied,
        rate(t.satisfaction_percent()),
        t.returns,
        t.transfers,
        t.commitments,
        t.overdue,
        t.reopened
    );
    for r in &h.rows {
        let f = &r.figures;
        let _ = writeln!(
            body,
            "{}：工单{}件，办结{}件，办结率{}，回访{}件，满意率{}，退单{}件，转办{}件，申请承诺件{}件，逾期{}件，重办{}件。",
            r.name,
            f.orders,
            f.completed,
            rate(f.completion_percent()),
            f.called_back,
            rate(f.satisfaction_percent()),
            f.returns,
            f.transfers,
            f.commitments,
            f.overdue,
            f.reopened
        );
    }
    let visibility: BTreeMap<TaskId, Visibility> =
        items.iter().map(|(id, s)| (*id, s.visibility)).collect();
    let named: Vec<String> = h
        .typical
        .iter()
        .filter(|o| !public || visibility.get(&o.task) == Some(&Visibility::Public))
        .map(|o| format!("{}（{}）", o.number, o.kind.zh()))
        .collect();
    let unnamed = h.typical.len() - named.len();
    let _ = match (named.is_empty(), unnamed) {
        (true, 0) => writeln!(body, "典型工单：本月没有典型工单。"),
        (true, n) => writeln!(body, "典型工单：{n}件，未公开。"),
        (false, 0) => writeln!(body, "典型工单：{}。", named.join("、")),
        (false, n) => writeln!(body, "典型工单：{}，另有{n}件未公开。", named.join("、")),
    };
    let _ = writeln!(body);
}

/// The period a new bulletin of `kind` is for unless the office chooses another: the last
/// complete month, or the last complete quarter, as of the organisation's local date — a
/// bulletin judges a period that is over, never the unfinished current one (issue 20).
pub fn default_period(kind: Kind, org: &Org, now: DateTime<Utc>) -> String {
    last_complete_period(kind, org.calendar.to_local(now).date())
}

/// The last complete month or quarter before the one `today` lies in.
fn last_complete_period(kind: Kind, today: chrono::NaiveDate) -> String {
    let (year, month) = (today.year(), today.month());
    match kind {
        Kind::Quarterly => {
            let q = month.div_ceil(3);
            if q == 1 {
                format!("{}-Q4", year - 1)
            } else {
                format!("{year}-Q{}", q - 1)
            }
        }
        _ => {
            if month == 1 {
                format!("{}-12", year - 1)
            } else {
                format!("{year:04}-{:02}", month - 1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duban_core::domain::model::TaskNumber;

    fn item(seq: u32, title: &str, visibility: Visibility) -> (TaskId, Arc<TaskState>) {
        let s = TaskState {
            number: Some(TaskNumber {
                prefix: "督".into(),
                year: 2026,
                seq,
            }),
            title: title.into(),
            visibility,
            ..TaskState::default()
        };
        (TaskId(uuid::Uuid::new_v4()), Arc::new(s))
    }

    #[test]
    fn peer_groups_are_numbered_in_chinese() {
        let got: Vec<String> = [1, 2, 9, 10, 11, 20, 23].map(chinese_ordinal).into();
        assert_eq!(got, ["一", "二", "九", "十", "十一", "二十", "二十三"]);
    }

    #[test]
    fn a_bulletin_defaults_to_the_last_complete_month_or_quarter() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert_eq!(
            last_complete_period(Kind::Monthly, d(2026, 12, 7)),
            "2026-11"
        );
        assert_eq!(
            last_complete_period(Kind::Monthly, d(2026, 12, 31)),
            "2026-11"
        );
        assert_eq!(
            last_complete_period(Kind::Monthly, d(2027, 1, 1)),
            "2026-12"
        );
        assert_eq!(
            last_complete_period(Kind::Quarterly, d(2026, 12, 7)),
            "2026-Q3"
        );
        assert_eq!(
            last_complete_period(Kind::Quarterly, d(2026, 4, 1)),
            "2026-Q1"
        );
        assert_eq!(
            last_complete_period(Kind::Quarterly, d(2027, 2, 15)),
            "2026-Q4"
        );
        // Each default is a period the bulletin reads.
        for kind in [Kind::Monthly, Kind::Quarterly] {
            let p = last_complete_period(kind, d(2027, 1, 10));
            assert!(period_of(kind, &p).is_some(), "{p}");
        }
    }

    #[test]
    fn non_public_items_are_found_by_number_or_title_but_not_inside_public_ones() {
        let items = vec![
            item(1, "城区道路整修工程", Visibility::Public),
            item(2, "道路整修", Visibility::Internal),
            item(3, "信访积案化解", Visibility::Confidential),
            item(4, "整改", Visibility::Internal),
            item(12, "老旧小区改造", Visibility::Public),
        ];
        let named = |text: &str| non_public_named(&items, &[text]).expect("search");
        assert!(named("督〔2026〕1号《城区道路整修工程》按期推进。").is_empty());
        assert_eq!(named("另有道路整修一项。"), ["督〔2026〕2号"]);
        assert_eq!(named("见督〔2026〕3号。"), ["督〔2026〕3号"]);
        assert_eq!(
            named("信访积案化解与道路整修。"),
            ["督〔2026〕2号", "督〔2026〕3号"]
        );
        // Too short a title to look for; a number inside another (12) is not 1.
        assert!(named("请抓好整改。督〔2026〕12号。").is_empty());
    }
}
