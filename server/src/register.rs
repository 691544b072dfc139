//! Registrations entered at a PC (R1, R2.1, R1.5): the fields of one form or of one row of a
//! spreadsheet, checked field by field into a registration and a dispatch order, then
//! planned into commands whose ids derive from the form's id — so a resent form or a
//! re-run import replays what was applied and never registers an item twice.
//!
//! No I/O here: the pages read the form or the file and apply the planned commands through
//! the authority.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use duban_core::domain::batch::{plan_multi_dispatch, MultiDispatch, MAX_BATCH};
use duban_core::domain::command::{DispatchOrder, Registration};
use duban_core::domain::model::{
    Assignee, BatchId, MilestoneKind, MilestoneSpec, NumberBook, Period, Recurrence, Source,
    TaskNumber, Urgency, Visibility,
};
use duban_core::domain::policy::Policy;
use duban_core::domain::Code;
use duban_core::domain::{Command, Role, TaskId, UnitId, UserId};
use duban_core::protocol::CommandEnvelope;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::org::Org;

/// The largest spreadsheet accepted, in rows.
pub const MAX_ROWS: usize = MAX_BATCH;

/// A registration as typed: every field as text, unchecked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// The category's code or Chinese name.
    pub category: String,
    /// Title.
    pub title: String,
    /// Content and requirements.
    pub content: String,
    /// Source: `meeting`, `document`, `instruction`, `on_site`, `other` or its Chinese name.
    pub source: String,
    /// Urgency: `normal`, `urgent`, `critical` or 普通 / 紧急 / 特急.
    pub urgency: String,
    /// Confidentiality: `public`, `internal`, `confidential` or 公开 / 内部 / 保密.
    pub visibility: String,
    /// The deadline: a date (the end of that day) or a date and time, local.
    pub deadline: String,
    /// Lead units (主办), by id or name; one item per unit.
    pub leads: Vec<String>,
    /// Participating units (协办), by id or name.
    pub participants: Vec<String>,
    /// The responsible leader (责任领导), by id, username or name.
    pub responsible_leader: String,
    /// The deputy leader in charge (分管领导).
    pub deputy_leader: String,
    /// The instructing leader (批示领导).
    pub instructing_leader: String,
    /// Registration approvers in order (立项审批).
    pub approvers: Vec<String>,
    /// Milestones.
    pub milestones: Vec<MilestoneDraft>,
    /// Recurring report requests: `weekly`, `monthly`, `quarterly`, their Chinese names, or
    /// empty for none.
    pub recurrence: String,
    /// Working days after each period starts by which its report is due.
    pub recurrence_days: String,
    /// The figures each period's report gives (e.g. `本月完成投资（万元）`), one per line or
    /// separated by 、，,;；.
    #[serde(default)]
    pub recurrence_fields: String,
    /// Category attributes.
    pub attributes: BTreeMap<String, String>,
}

/// A milestone as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MilestoneDraft {
    /// `final`, `key`, `regular` or 最终 / 关键 / 常规.
    pub kind: String,
    /// What is due.
    pub title: String,
    /// When, as the deadline.
    pub due: String,
    /// The progress expected then (0–100).
    pub percent: String,
}

impl MilestoneDraft {
    /// Whether nothing was typed (a blank row of the form).
    pub fn is_blank(&self) -> bool {
        self.title.trim().is_empty() && self.due.trim().is_empty()
    }
}

/// What is wrong with one field, with a stable code, in zh-CN and English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The field's name in [`Draft`] (`deadline`, `leads`, `milestones.2`, …).
    pub field: String,
    /// Stable code.
    pub code: &'static str,
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Problem {
    fn new(field: &str, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Problem {
            field: field.to_owned(),
            code,
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// A checked registration: what to register, and how to dispatch it (if at once).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The registration (its number is the server's to allocate).
    pub registration: Registration,
    /// The dispatch order, when lead units were chosen; its lead is replaced per unit.
    pub order: Option<DispatchOrder>,
    /// The lead units: one item each.
    pub leads: Vec<UnitId>,
}

/// Text to match against a choice: trimmed, and the part before a space or bracket (so a
/// header or value like `紧急 Urgent` or `紧急(Urgent)` reads as `紧急`).
fn word(s: &str) -> &str {
    let s = s.trim();
    let end = s
        .find(|c: char| c.is_whitespace() || c == '(' || c == '（')
        .unwrap_or(s.len());
    &s[..end]
}

/// The value a cell or field names (by the core's codes, names and aliases); `default` when
/// it is empty.
fn choice<T: Code>(text: &str, default: Option<T>) -> Option<T> {
    let w = word(text);
    if w.is_empty() {
        return default;
    }
    T::from_text(w)
}

/// A local date or date and time: `2026-12-31` (the end of that working day's clock, as
/// deadlines are), `2026-12-31 18:00`, `2026-12-31T18:00`, `2026/12/31`.
pub fn parse_when(text: &str, org: &Org) -> Option<DateTime<Utc>> {
    let t = text.trim().replace('/', "-");
    for f in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(&t, f) {
            return Some(org.calendar.from_local(dt));
        }
    }
    NaiveDate::parse_from_str(&t, "%Y-%m-%d")
        .ok()
        .map(|d| org.calendar.end_of_day(d))
}

/// A refusal of one field: (code, zh, en).
type Why = (&'static str, String, String);

/// The unit named by id, or by its full name, short name (简称) or an alias
/// ([`crate::org::find_unit`]); a retired unit takes no new items.
fn unit_of(text: &str, org: &Org) -> Result<UnitId, Why> {
    let t = text.trim();
    if let Ok(id) = uuid::Uuid::parse_str(t) {
        if let Some(u) = org.unit(UnitId(id)).filter(|u| !u.retired) {
            return Ok(u.id);
        }
    }
    match crate::org::find_unit(&org.units, t, false) {
        Ok(u) => Ok(u.id),
        Err(crate::org::UnitLookup::Unknown) => Err((
            "input.unknown_unit",
            format!("没有名为“{t}”的单位"),
            format!("no unit is named “{t}”"),
        )),
        Err(crate::org::UnitLookup::Ambiguous(_)) => Err((
            "input.ambiguous_unit",
            format!("有多个名为“{t}”的单位，请用编号"),
            format!("several units are named “{t}”: use its id"),
        )),
    }
}

/// The active person named by id, username, (unique) name, or name with their position as
/// the template's list of leaders writes it (`张志强 副县长`, with or without the space).
fn person_of(text: &str, org: &Org) -> Result<UserId, Why> {
    let t = text.trim();
    if let Ok(id) = uuid::Uuid::parse_str(t) {
        if org.people.get(&UserId(id)).is_some_and(|p| p.active) {
            return Ok(UserId(id));
        }
    }
    let titled = |name: &str, position: &str| {
        !position.trim().is_empty()
            && t.strip_prefix(name)
                .is_some_and(|rest| rest.trim() == position.trim())
    };
    let found: Vec<_> = org
        .people
        .values()
        .filter(|p| p.active && (p.username == t || p.name == t || titled(&p.name, &p.position)))
        .collect();
    match found.as_slice() {
        [p] => Ok(p.id),
        [] => Err((
            "input.unknown_person",
            format!("没有名为“{t}”的人员"),
            format!("nobody is named “{t}”"),
        )),
        _ => Err((
            "input.ambiguous_person",
            format!("有多个名为“{t}”的人员，请用账号"),
            format!("several people are named “{t}”: use the username"),
        )),
    }
}

/// The problems found so far, and the checks that add to them.
struct Checker<'a> {
    org: &'a Org,
    problems: Vec<Problem>,
}

const LEADERS: &[Role] = &[Role::MainLeader, Role::DeputyLeader];

impl Checker<'_> {
    fn bad(&mut self, field: &str, (code, zh, en): Why) {
        self.problems.push(Problem::new(field, code, zh, en));
    }

    /// One of `options` (empty text takes `default`).
    fn pick<T: Code>(
        &mut self,
        field: &str,
        text: &str,
        default: T,
        (zh, en): (&str, &str),
    ) -> Option<T> {
        let found = choice(text, Some(default));
        if found.is_none() {
            self.bad(
                field,
                (
                    "input.choice",
                    format!("{zh}“{}”无效", text.trim()),
                    format!("“{}” is not a valid {en}", text.trim()),
                ),
            );
        }
        found
    }

    /// A date or date and time, later than `now`; `None` when empty or bad (reported).
    fn when(&mut self, field: &str, text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if text.trim().is_empty() {
            return None;
        }
        match parse_when(text, self.org) {
            Some(t) if t > now => Some(t),
            Some(_) => {
                self.bad(
                    field,
                    (
                        "input.date_past",
                        format!("日期“{}”已过", text.trim()),
                        format!("the date “{}” has passed", text.trim()),
                    ),
                );
                None
            }
            None => {
                self.bad(
                    field,
                    (
                        "input.date",
                        format!(
                            "日期“{}”无效，应如 2026-12-31 或 2026-12-31 18:00",
                            text.trim()
                        ),
                        format!(
                            "“{}” is not a date like 2026-12-31 or 2026-12-31 18:00",
                            text.trim()
                        ),
                    ),
                );
                None
            }
        }
    }

    /// Units by id or name, each once.
    fn units(&mut self, field: &str, names: &[String]) -> Vec<UnitId> {
        let mut out: Vec<UnitId> = Vec::new();
        for n in names.iter().flat_map(|n| split_list(n)) {
            match unit_of(n, self.org) {
                Ok(u) if out.contains(&u) => self.bad(
                    field,
                    (
                        "input.batch_duplicate",
                        format!("单位“{n}”重复"),
                        format!("the unit “{n}” is named twice"),
                    ),
                ),
                Ok(u) => out.push(u),
                Err(e) => self.bad(field, e),
            }
        }
        out
    }

    /// A person by id, username or name, holding one of `roles` if given.
    fn person(&mut self, field: &str, text: &str, roles: Option<&[Role]>) -> Option<UserId> {
        if text.trim().is_empty() {
            return None;
        }
        match person_of(text, self.org) {
            Ok(id) => {
                let holds = roles.is_none_or(|roles| {
                    self.org
                        .people
                        .get(&id)
                        .is_some_and(|p| p.roles.iter().any(|r| roles.contains(r)))
                });
                if !holds {
                    self.bad(
                        field,
                        (
                            "input.not_a_leader",
                            format!("“{}”不是领导", text.trim()),
                            format!("“{}” is not a leader", text.trim()),
                        ),
                    );
                    return None;
                }
                Some(id)
            }
            Err(e) => {
                self.bad(field, e);
                None
            }
        }
    }

    fn milestones(&mut self, drafts: &[MilestoneDraft], now: DateTime<Utc>) -> Vec<MilestoneSpec> {
        let mut out = Vec::new();
        for (i, m) in drafts.iter().enumerate().filter(|(_, m)| !m.is_blank()) {
            let field = format!("milestones.{}", i + 1);
            let before = self.problems.len();
            let kind = self.pick(
                &field,
                &m.kind,
                MilestoneKind::Regular,
                ("节点类型", "milestone kind"),
            );
            if m.title.trim().is_empty() {
                self.bad(
                    &field,
                    (
                        "input.milestone_title",
                        format!("第{}个节点没有名称", i + 1),
                        format!("milestone {} has no title", i + 1),
                    ),
                );
            }
            if m.due.trim().is_empty() {
                self.bad(
                    &field,
                    (
                        "input.milestone_due",
                        format!("第{}个节点没有日期", i + 1),
                        format!("milestone {} has no date", i + 1),
                    ),
                );
            }
            let due = self.when(&field, &m.due, now);
            let percent = match m.percent.trim().trim_end_matches('%') {
                "" => Some(0),
                p => p.parse::<u8>().ok().filter(|p| *p <= 100),
            };
            if percent.is_none() {
                self.bad(
                    &field,
                    (
                        "input.percent",
                        "计划进度应为0到100".into(),
                        "the planned progress is 0 to 100".into(),
                    ),
                );
            }
            if let (Some(kind), Some(due), Some(planned_percent), true) =
                (kind, due, percent, self.problems.len() == before)
            {
                out.push(MilestoneSpec {
                    id: out.len() as u32 + 1,
                    kind,
                    title: m.title.trim().to_owned(),
                    due,
                    planned_percent,
                });
            }
        }
        out
    }

    fn recurrence(&mut self, draft: &Draft) -> Option<Recurrence> {
        let w = word(&draft.recurrence);
        if w.is_empty() || w == "无" || w.eq_ignore_ascii_case("none") {
            if !draft.recurrence_fields.trim().is_empty() {
                self.bad(
                    "recurrence_fields",
                    (
                        "input.report_fields",
                        "报送数据项只用于定期汇报，请同时选择报送周期".into(),
                        "figures are asked of periodic reports: choose a report period too".into(),
                    ),
                );
            }
            return None;
        }
        let period = self.pick(
            "recurrence",
            &draft.recurrence,
            Period::Monthly,
            ("周期", "period"),
        )?;
        let fields = self.report_fields(&draft.recurrence_fields)?;
        match draft.recurrence_days.trim() {
            "" => Some(Recurrence {
                period,
                due_working_days: 5,
                fields,
            }),
            d => match d.parse::<u32>() {
                Ok(n) if (1..=60).contains(&n) => Some(Recurrence {
                    period,
                    due_working_days: n,
                    fields,
                }),
                _ => {
                    self.bad(
                        "recurrence_days",
                        (
                            "input.days",
                            "报送期限应为1到60个工作日".into(),
                            "the report is due 1 to 60 working days into the period".into(),
                        ),
                    );
                    None
                }
            },
        }
    }
}

impl Checker<'_> {
    /// The labels of a periodic report's figures, as the core takes them
    /// (`decide::MAX_REPORT_FIELDS` of at most `decide::MAX_FIELD_LABEL` characters, none
    /// twice); `None` when they are not (reported).
    fn report_fields(&mut self, text: &str) -> Option<Vec<String>> {
        use duban_core::domain::decide::{MAX_FIELD_LABEL, MAX_REPORT_FIELDS};
        let mut fields: Vec<String> = Vec::new();
        let mut why: Option<(String, String)> = None;
        for label in split_list(text) {
            if label.chars().count() > MAX_FIELD_LABEL {
                why = Some((
                    format!("报送数据项“{label}”过长（最多{MAX_FIELD_LABEL}字）"),
                    format!(
                        "the figure “{label}” is too long (at most {MAX_FIELD_LABEL} characters)"
                    ),
                ));
            } else if fields.iter().any(|f| f == label) {
                why = Some((
                    format!("报送数据项“{label}”重复"),
                    format!("the figure “{label}” is named twice"),
                ));
            } else {
                fields.push(label.to_owned());
            }
        }
        if fields.len() > MAX_REPORT_FIELDS {
            why = Some((
                format!("报送数据项最多{MAX_REPORT_FIELDS}个"),
                format!("at most {MAX_REPORT_FIELDS} figures"),
            ));
        }
        match why {
            Some((zh, en)) => {
                self.bad("recurrence_fields", ("input.report_fields", zh, en));
                None
            }
            None => Some(fields),
        }
    }
}

/// The items of a list typed in one cell or field: split at 、，,;；and new lines.
fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(['、', '，', ',', ';', '；', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The category a cell or field names: by code, Chinese name (whole, or its first word) or
/// English name.
fn category_named<'a>(
    text: &str,
    org: &'a Org,
) -> Option<&'a duban_core::domain::policy::CategoryDef> {
    let w = word(text);
    org.policy.categories.iter().find(|k| {
        k.code == w
            || k.name_zh == text.trim()
            || k.name_zh == w
            || (!k.name_en.is_empty() && k.name_en.eq_ignore_ascii_case(text.trim()))
    })
}

/// Checks a draft field by field. Every problem is reported at once, each with its field.
pub fn check(draft: &Draft, org: &Org, now: DateTime<Utc>) -> Result<Entry, Vec<Problem>> {
    let mut c = Checker {
        org,
        problems: Vec::new(),
    };
    let category = category_named(&draft.category, org);
    if category.is_none() {
        c.bad(
            "category",
            (
                "input.unknown_category",
                format!("类别“{}”不存在", draft.category.trim()),
                format!("no category “{}”", draft.category.trim()),
            ),
        );
    }
    let title = draft.title.trim();
    if title.is_empty() {
        c.bad(
            "title",
            (
                "input.title",
                "标题不能为空".into(),
                "the title is empty".into(),
            ),
        );
    }
    let source = c.pick("source", &draft.source, Source::Other, ("来源", "source"));
    let urgency = c.pick(
        "urgency",
        &draft.urgency,
        Urgency::Normal,
        ("紧急程度", "urgency"),
    );
    let visibility = c.pick(
        "visibility",
        &draft.visibility,
        Visibility::Internal,
        ("公开程度", "confidentiality"),
    );
    let deadline = c.when("deadline", &draft.deadline, now);
    let leads = c.units("leads", &draft.leads);
    let participants: Vec<UnitId> = c
        .units("participants", &draft.participants)
        .into_iter()
        .filter(|u| !leads.contains(u))
        .collect();
    if leads.len() > MAX_BATCH {
        c.bad(
            "leads",
            (
                "input.batch_size",
                format!("一次交办最多{MAX_BATCH}个单位"),
                format!("one dispatch takes at most {MAX_BATCH} units"),
            ),
        );
    }
    let responsible_leader = c.person(
        "responsible_leader",
        &draft.responsible_leader,
        Some(LEADERS),
    );
    let deputy_leader = c.person(
        "deputy_leader",
        &draft.deputy_leader,
        Some(&[Role::DeputyLeader]),
    );
    let instructing_leader = c.person(
        "instructing_leader",
        &draft.instructing_leader,
        Some(LEADERS),
    );
    let approval_chain: Vec<UserId> = draft
        .approvers
        .iter()
        .flat_map(|a| split_list(a))
        .filter_map(|a| c.person("approvers", a, None))
        .collect();
    let milestones = c.milestones(&draft.milestones, now);
    let recurrence = c.recurrence(draft);
    if let Some(k) = category {
        for key in &k.required_attributes {
            if draft
                .attributes
                .get(key)
                .is_none_or(|v| v.trim().is_empty())
            {
                c.bad(
                    &format!("attributes.{key}"),
                    (
                        "input.attribute",
                        format!("“{}”类事项须填写“{key}”", k.name_zh),
                        format!("a {} item needs “{key}”", k.name_en),
                    ),
                );
            }
        }
    }
    if !approval_chain.is_empty() && !leads.is_empty() {
        c.bad(
            "leads",
            (
                "input.dispatch_after_approval",
                "需要立项审批的事项在审批通过后再交办".into(),
                "an item that needs registration approval is dispatched once approved".into(),
            ),
        );
    }
    let (Some(category), Some(source), Some(urgency), Some(visibility), true) =
        (category, source, urgency, visibility, c.problems.is_empty())
    else {
        return Err(c.problems);
    };
    let year = org.calendar.to_local(now).year();
    let registration = Registration {
        category: category.code.clone(),
        number: TaskNumber {
            prefix: category.prefix.clone(),
            year,
            seq: 1,
        },
        title: title.to_owned(),
        content: draft.content.trim().to_owned(),
        source,
        urgency,
        visibility,
        deadline,
        attributes: draft
            .attributes
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), v.trim().to_owned()))
            .collect(),
        attachments: Vec::new(),
        milestones,
        instructing_leader,
        approval_chain,
        recurrence,
        parent: None,
        batch: None,
        order: None,
    };
    let order = leads.first().map(|lead| DispatchOrder {
        lead: Assignee {
            unit: *lead,
            user: None,
        },
        participants: assignees(&participants),
        responsible_leader,
        deputy_leader,
        reviewer: None,
        report_approver: None,
        deadline,
        report_every: None,
    });
    Ok(Entry {
        registration,
        order,
        leads,
    })
}

/// Checks a row of the item import: [`check`], and a row of a hotline category is refused
/// at its category — an order needs its intake facts and is imported by the hotline import
/// (`crate::hotline_import`), so that the rules do not refuse it halfway through a run.
pub fn check_import_row(
    draft: &Draft,
    org: &Org,
    now: DateTime<Utc>,
) -> Result<Entry, Vec<Problem>> {
    let order_category = category_named(&draft.category, org).filter(|k| k.order_line.is_some());
    let mut problems = match check(draft, org, now) {
        Ok(entry) if order_category.is_none() => return Ok(entry),
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    };
    if let Some(k) = order_category {
        problems.insert(
            0,
            Problem::new(
                "category",
                "input.order_category",
                format!("“{}”是热线工单类别,请通过“导入热线工单”登记", k.name_zh),
                format!(
                    "“{}” holds hotline work orders: import them with “Import hotline work orders”",
                    if k.name_en.is_empty() {
                        &k.name_zh
                    } else {
                        &k.name_en
                    }
                ),
            ),
        );
    }
    Err(problems)
}

fn assignees(units: &[UnitId]) -> Vec<Assignee> {
    units
        .iter()
        .map(|u| Assignee {
            unit: *u,
            user: None,
        })
        .collect()
}

/// Checks the dispatch of an item already registered: exactly one lead unit (several units
/// are chosen at registration, one item each), participants, leaders and the deadline.
pub fn check_dispatch(
    draft: &Draft,
    org: &Org,
    now: DateTime<Utc>,
) -> Result<DispatchOrder, Vec<Problem>> {
    let mut c = Checker {
        org,
        problems: Vec::new(),
    };
    let leads = c.units("leads", &draft.leads);
    if leads.len() != 1 && c.problems.is_empty() {
        c.bad(
            "leads",
            (
                "input.one_lead",
                "请选择一个主办单位（多个单位请在立项时选择，每个单位一项）".into(),
                "choose one lead unit (choose several at registration: one item each)".into(),
            ),
        );
    }
    let participants: Vec<UnitId> = c
        .units("participants", &draft.participants)
        .into_iter()
        .filter(|u| !leads.contains(u))
        .collect();
    let responsible_leader = c.person(
        "responsible_leader",
        &draft.responsible_leader,
        Some(LEADERS),
    );
    let deputy_leader = c.person(
        "deputy_leader",
        &draft.deputy_leader,
        Some(&[Role::DeputyLeader]),
    );
    let deadline = c.when("deadline", &draft.deadline, now);
    match (leads.first(), c.problems.is_empty()) {
        (Some(lead), true) => Ok(DispatchOrder {
            lead: Assignee {
                unit: *lead,
                user: None,
            },
            participants: assignees(&participants),
            responsible_leader,
            deputy_leader,
            reviewer: None,
            report_approver: None,
            deadline,
            report_every: None,
        }),
        _ => Err(c.problems),
    }
}

/// An id derived from a form's id and a path within it (the entry, the item, the command).
pub fn derived_id(form: uuid::Uuid, path: &[u32]) -> uuid::Uuid {
    let path: Vec<u8> = path.iter().flat_map(|p| p.to_le_bytes()).collect();
    crate::derived_uuid(&[b"duban registration form v1\0", form.as_bytes(), &path])
}

/// The commands of entry `index` of form `form`, item by item: a registration alone, or one
/// registered and dispatched item per lead unit (one batch, docs/adr/0001). The same form
/// and index always give the same ids.
pub fn plan(
    entry: &Entry,
    policy: &Policy,
    form: uuid::Uuid,
    index: u32,
) -> Result<Vec<(TaskId, Vec<CommandEnvelope>)>, Problem> {
    let envelopes = |task: TaskId, item: u32, commands: Vec<Command>| {
        commands
            .into_iter()
            .zip(0u32..)
            .map(|(command, k)| CommandEnvelope {
                id: derived_id(form, &[index, item, k]),
                task,
                command,
            })
            .collect::<Vec<_>>()
    };
    let Some(order) = &entry.order else {
        let task = TaskId(derived_id(form, &[index, 0, u32::MAX]));
        let mut commands = vec![Command::Register(Box::new(entry.registration.clone()))];
        if !entry.registration.approval_chain.is_empty() {
            commands.push(Command::SubmitForApproval);
        }
        return Ok(vec![(task, envelopes(task, 0, commands))]);
    };
    let multi = MultiDispatch {
        batch: BatchId(derived_id(form, &[index, u32::MAX, u32::MAX])),
        registration: entry.registration.clone(),
        order: order.clone(),
        leads: entry
            .leads
            .iter()
            .zip(0u32..)
            .map(|(unit, i)| {
                (
                    TaskId(derived_id(form, &[index, i, u32::MAX])),
                    Assignee {
                        unit: *unit,
                        user: None,
                    },
                )
            })
            .collect(),
    };
    // The numbers are provisional: the server allocates each item's own.
    let items = plan_multi_dispatch(&multi, &mut NumberBook::default(), policy)
        .map_err(|r| Problem::new("leads", "input.batch", r.zh, r.en))?;
    Ok(items
        .into_iter()
        .zip(0u32..)
        .map(|((task, commands), i)| (task, envelopes(task, i, commands)))
        .collect())
}

/// A spreadsheet's columns: (header, English, the draft's field). A column with any other
/// header is a category attribute of that name.
pub const COLUMNS: &[(&str, &str, &str)] = &[
    ("类别", "Category", "category"),
    ("标题", "Title", "title"),
    ("内容要求", "Content", "content"),
    ("来源", "Source", "source"),
    ("紧急程度", "Urgency", "urgency"),
    ("公开程度", "Confidentiality", "visibility"),
    ("办理时限", "Deadline", "deadline"),
    ("主办单位", "Lead units", "leads"),
    ("协办单位", "Participants", "participants"),
    ("责任领导", "Responsible leader", "responsible_leader"),
    ("分管领导", "Deputy leader", "deputy_leader"),
    ("批示领导", "Instructing leader", "instructing_leader"),
    ("报送周期", "Report period", "recurrence"),
    ("报送期限", "Report due (working days)", "recurrence_days"),
    ("报送数据项", "Report figures", "recurrence_fields"),
];

/// Other names a header may have.
const ALIASES: &[(&str, &str)] = &[
    ("内容", "content"),
    ("密级", "visibility"),
    ("时限", "deadline"),
    ("截止日期", "deadline"),
    ("主办", "leads"),
    ("协办", "participants"),
];

fn field_of(header: &str) -> Option<&'static str> {
    let w = word(header);
    COLUMNS
        .iter()
        .find(|(zh, en, field)| w == *zh || header.trim().eq_ignore_ascii_case(en) || w == *field)
        .map(|(_, _, f)| *f)
        .or_else(|| ALIASES.iter().find(|(zh, _)| w == *zh).map(|(_, f)| *f))
}

/// The rows of a registration spreadsheet (the first sheet; headers in its first row with
/// text), each with its row number as the spreadsheet shows it. Blank rows are skipped.
/// Pure and bounded: the sheet is read within [`crate::sheet`]'s limits, and at most
/// [`MAX_ROWS`] rows are taken; anything beyond is a [`Problem`] of the field `file`.
pub fn read_sheet(bytes: &[u8]) -> Result<Vec<(u32, Draft)>, Problem> {
    let table = crate::sheet::read_table(bytes, MAX_ROWS, |headers| {
        ["category", "title"]
            .into_iter()
            .find(|needed| !headers.values().any(|h| field_of(h) == Some(*needed)))
            .map(|needed| {
                COLUMNS
                    .iter()
                    .find(|c| c.2 == needed)
                    .map_or(("", ""), |c| (c.0, c.1))
            })
    })
    .map_err(|p| Problem::new("file", p.code, p.zh, p.en))?;
    let headers = table.headers;
    let mut out = Vec::new();
    for row in table.rows {
        let mut d = Draft::default();
        for (col, text) in row.cells {
            let Some(header) = headers.get(&col) else {
                continue;
            };
            match field_of(header) {
                Some("category") => d.category = text,
                Some("title") => d.title = text,
                Some("content") => d.content = text,
                Some("source") => d.source = text,
                Some("urgency") => d.urgency = text,
                Some("visibility") => d.visibility = text,
                Some("deadline") => d.deadline = text,
                Some("leads") => d.leads = vec![text],
                Some("participants") => d.participants = vec![text],
                Some("responsible_leader") => d.responsible_leader = text,
                Some("deputy_leader") => d.deputy_leader = text,
                Some("instructing_leader") => d.instructing_leader = text,
                Some("recurrence") => d.recurrence = text,
                Some("recurrence_days") => d.recurrence_days = text,
                Some("recurrence_fields") => d.recurrence_fields = text,
                _ if word(header).is_empty() => {}
                _ => {
                    d.attributes.insert(word(header).to_owned(), text);
                }
            }
        }
        out.push((row.number, d));
    }
    Ok(out)
}

/// A category's name in `lang` (its Chinese one when it has no English one).
fn category_name(c: &duban_core::domain::policy::CategoryDef, lang: crate::i18n::Lang) -> String {
    if c.name_en.trim().is_empty() {
        c.name_zh.clone()
    } else {
        lang.pick(&c.name_zh, &c.name_en).to_owned()
    }
}

/// A spreadsheet to fill in, in `lang` (its headers, sheet names and example; the reader
/// takes either language's headers and names): the columns, an example row, and a second
/// sheet listing the categories, units and leaders as the organisation names them.
pub fn template(
    org: &Org,
    now: DateTime<Utc>,
    lang: crate::i18n::Lang,
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(lang.t("reg-xlsx-sheet"))?;
    for (col, (zh, en, _)) in COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, lang.pick(zh, en), &bold)?;
        sheet.set_column_width(col as u16, 18)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let example_date = org
        .calendar
        .add_working_days(org.calendar.to_local(now).date(), 10);
    let units: Vec<&str> = org
        .units
        .iter()
        .skip(1)
        .take(2)
        .map(|u| u.name.as_str())
        .collect();
    let category = org
        .policy
        .categories
        .first()
        .map(|c| category_name(c, lang))
        .unwrap_or_default();
    let example = [
        category,
        lang.t("reg-xlsx-example-title"),
        lang.t("reg-xlsx-example-content"),
        lang.name(Source::Meeting).to_owned(),
        lang.name(Urgency::Normal).to_owned(),
        lang.name(Visibility::Internal).to_owned(),
        example_date.to_string(),
        units.join(lang.pick("、", ", ")),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    ];
    for (col, text) in example.iter().enumerate() {
        sheet.write_string(1, col as u16, text)?;
    }
    let lists = book.add_worksheet();
    lists.set_name(lang.t("reg-xlsx-choices"))?;
    let columns: [(String, Vec<String>); 5] = [
        (
            lang.t("reg-xlsx-categories"),
            org.policy
                .categories
                .iter()
                .map(|c| category_name(c, lang))
                .collect(),
        ),
        (
            lang.t("reg-xlsx-units"),
            // A retired unit takes no new items.
            org.units
                .iter()
                .filter(|u| !u.retired)
                .map(|u| u.name.clone())
                .collect(),
        ),
        (
            lang.t("reg-xlsx-leaders"),
            org.people
                .values()
                .filter(|p| p.active && p.roles.iter().any(|r| LEADERS.contains(r)))
                .map(|p| format!("{} {}", p.name, p.position))
                .collect(),
        ),
        (
            lang.t("reg-xlsx-urgency"),
            Urgency::ALL
                .iter()
                .map(|u| lang.name(*u).to_owned())
                .collect(),
        ),
        (
            lang.t("reg-xlsx-visibility"),
            Visibility::ALL
                .iter()
                .map(|v| lang.name(*v).to_owned())
                .collect(),
        ),
    ];
    for (col, (head, values)) in columns.iter().enumerate() {
        lists.write_string_with_format(0, col as u16, head, &bold)?;
        lists.set_column_width(col as u16, 24)?;
        for (row, v) in values.iter().enumerate() {
            lists.write_string(row as u32 + 1, col as u16, v)?;
        }
    }
    book.save_to_buffer()
}
