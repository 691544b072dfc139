//! The organisation's policy: the numbers the rules use (deadlines, reminders, escalation,
//! the interval within which a second urging is confirmed first, scoring). Defaults come from the seed documents; every field is editable per
//! organisation and the whole struct is plain serde data.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

use super::model::Urgency;
use super::order::{HotlinePolicy, Line};

/// Score points, kept in tenths so that sums are exact. Serialised as a decimal number
/// (e.g. `-1.5`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Points(pub i32);

impl Points {
    /// No points.
    pub const ZERO: Points = Points(0);

    /// Whole points.
    pub const fn whole(n: i32) -> Points {
        Points(n * 10)
    }

    /// Tenths of a point.
    pub const fn tenths(n: i32) -> Points {
        Points(n)
    }

    /// This many times the points, saturating.
    pub fn times(self, n: i64) -> Points {
        let v = i64::from(self.0).saturating_mul(n);
        Points(v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
    }

    /// The sum, saturating.
    pub fn plus(self, other: Points) -> Points {
        Points(self.0.saturating_add(other.0))
    }

    /// The value as a float, for display.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 10.0
    }
}

impl std::iter::Sum for Points {
    fn sum<I: Iterator<Item = Points>>(iter: I) -> Points {
        iter.fold(Points::ZERO, Points::plus)
    }
}

impl fmt::Display for Points {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{}", abs / 10, abs % 10)
    }
}

impl Serialize for Points {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Points, D::Error> {
        let v = f64::deserialize(d)?;
        if !v.is_finite() || v.abs() > 1.0e8 {
            return Err(serde::de::Error::custom("points out of range"));
        }
        Ok(Points((v * 10.0).round() as i32))
    }
}

/// One entry in the editable category list (类别).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryDef {
    /// Stable code, e.g. `instruction`.
    pub code: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// Number prefix, e.g. `督` in `督〔2026〕17号`.
    pub prefix: String,
    /// Attributes the category requires at registration.
    pub required_attributes: Vec<String>,
    /// Attributes only the people who must see them may read (e.g. a caller's phone).
    pub confidential_attributes: Vec<String>,
    /// Whether a completion report must carry evidence (photos for rectifications).
    pub evidence_required: bool,
    /// Whether an item of this category without a deadline takes the instruction default.
    pub is_instruction: bool,
    /// What people read for an attribute's key (e.g. `caller_name`: 来电人姓名, "Caller's
    /// name"), by key: any attribute the category asks for or its items carry. A key without
    /// a label is shown as the key. Absent in policies stored before labels existed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, AttributeLabel>,
    /// The hotline whose work orders this category holds (12345, 12369); `None` for a
    /// category of ordinary items. Absent in policies stored before work orders existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_line: Option<Line>,
}

/// An attribute's name for people, in both languages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeLabel {
    /// In Chinese.
    pub zh: String,
    /// In English (empty: the Chinese label, else the key, is shown).
    #[serde(default)]
    pub en: String,
}

impl CategoryDef {
    /// The label of an attribute in Chinese (`en == false`) or English, falling back to the
    /// other language's label and then to the key itself.
    pub fn label<'a>(&'a self, key: &'a str, en: bool) -> &'a str {
        let Some(l) = self.labels.get(key) else {
            return key;
        };
        let (first, second) = if en { (&l.en, &l.zh) } else { (&l.zh, &l.en) };
        [first, second]
            .into_iter()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .unwrap_or(key)
    }

    /// Every attribute the category names — required, confidential or labelled — each once,
    /// required ones first.
    pub fn attribute_keys(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let all = self
            .required_attributes
            .iter()
            .chain(&self.confidential_attributes)
            .map(String::as_str)
            .chain(self.labels.keys().map(String::as_str));
        for key in all {
            if !out.contains(&key) {
                out.push(key);
            }
        }
        out
    }
}

/// The longest attribute key.
pub const MAX_ATTRIBUTE_KEY: usize = 64;

/// Whether `key` can name an attribute: 1 to [`MAX_ATTRIBUTE_KEY`] characters, letters, digits
/// and `_` or `-` only (it is a form field's and a JSON object's key).
pub fn attribute_key_ok(key: &str) -> bool {
    !key.is_empty()
        && key.chars().count() <= MAX_ATTRIBUTE_KEY
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Default working days to the deadline by urgency (R4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineDays {
    /// 普通: 7.
    pub normal: u32,
    /// 紧急: 3.
    pub urgent: u32,
    /// 特急: 0, the same day.
    pub extra_urgent: u32,
    /// A leader's instruction without a deadline: 5.
    pub instruction: u32,
}

impl DeadlineDays {
    /// The working days for an urgency.
    pub fn for_urgency(&self, urgency: Urgency) -> u32 {
        match urgency {
            Urgency::Normal => self.normal,
            Urgency::Urgent => self.urgent,
            Urgency::ExtraUrgent => self.extra_urgent,
        }
    }
}

/// Points given for a light or card colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColourPoints {
    /// Green.
    pub green: Points,
    /// Yellow.
    pub yellow: Points,
    /// Red.
    pub red: Points,
}

/// How days late are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LateDays {
    /// Working days of the calendar (the default, like every other deadline here).
    Working,
    /// Calendar days.
    Calendar,
}

/// The scoring rules (R6.3), in points added to the unit's base (negative: deducted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scoring {
    /// Base of an item's and a unit's score: 100.
    pub base: Points,
    /// Per day late (迟办1天扣1分): -1.
    pub late_per_day: Points,
    /// How days are counted.
    pub late_days: LateDays,
    /// The most that lateness may deduct from one item; `None`: no cap.
    pub late_cap: Option<Points>,
    /// Per return for rework (不符合要求的,每发现1处扣1分): -1.
    pub per_return: Points,
    /// For an escalation (督办升级…考核扣分): -2.
    pub escalation: Points,
    /// Per periodic report filed late or missing: -0.5.
    pub late_report: Points,
    /// By timeliness light when the item is assessed.
    pub light: ColourPoints,
    /// By quality card.
    pub card: ColourPoints,
    /// By leader rating, index 0 for one star … 4 for five stars.
    pub stars: [Points; 5],
    /// The largest manual adjustment, either way: 10.
    pub max_adjustment: Points,
}

/// When the quality card turns which colour (R6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRules {
    /// Green needs at least this average rating (when rated) …
    pub green_min_stars: u8,
    /// … and at most this many returns.
    pub green_max_returns: u32,
    /// Red at or below this average rating.
    pub red_max_stars: u8,
    /// Red at or above this many returns.
    pub red_min_returns: u32,
}

/// The organisation's policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The editable category list.
    pub categories: Vec<CategoryDef>,
    /// Default deadlines in working days.
    pub deadline_days: DeadlineDays,
    /// Reviews are due within this many working days (R4.5): 3.
    pub review_within_working_days: u32,
    /// A unit that is not responsible declines within this many working days (R3.1): 2.
    pub decline_within_working_days: u32,
    /// Reminders this many working days before the deadline (R4.1): 3 and 1.
    pub remind_before_working_days: Vec<u32>,
    /// Escalate after this many urgings without result (R4.4): 2.
    pub escalate_after_urges: u32,
    /// A second urging of the same item within this many hours of the last asks the person
    /// to confirm (催办间隔): 24.
    #[serde(default = "default_urge_interval_hours")]
    pub urge_interval_hours: u32,
    /// The timeliness light is yellow this many working days before the deadline.
    pub yellow_within_working_days: u32,
    /// The light is yellow when progress lags the schedule by more than this many points.
    pub behind_schedule_tolerance: u8,
    /// Scoring.
    pub scoring: Scoring,
    /// Quality card thresholds.
    pub card: CardRules,
    /// When a photo's times make the reviewer look twice.
    #[serde(default)]
    pub evidence: EvidenceRules,
    /// How notifications reach people beyond the inbox: push, SMS, quiet hours.
    #[serde(default)]
    pub delivery: DeliveryRules,
    /// The hotline work orders' numbers (12345, 12369).
    #[serde(default)]
    pub hotline: HotlinePolicy,
}

fn default_urge_interval_hours() -> u32 {
    24
}

/// When a notification climbs from the inbox to push, the work app, SMS and a voice call,
/// for one urgency: minutes after the inbox, each step only while the notification is still
/// unread; `None`: never. The minutes set the order of the climb.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Climb {
    /// Push to the person's phones after this many minutes.
    pub push_after_minutes: Option<u32>,
    /// A work notification in the person's work app (DingTalk, WeCom) after this many
    /// minutes (a policy stored before work apps existed: at once, as push).
    #[serde(default = "at_once")]
    pub work_after_minutes: Option<u32>,
    /// An SMS to the person's phone number after this many minutes.
    pub sms_after_minutes: Option<u32>,
    /// A voice call to the person's phone number (text to speech) after this many minutes.
    #[serde(default)]
    pub voice_after_minutes: Option<u32>,
}

fn at_once() -> Option<u32> {
    Some(0)
}

fn default_sms_merge_minutes() -> u32 {
    10
}

/// A daily span of local time in which phones are not woken (免打扰), e.g. 22:00–07:00.
/// `from` after `to` spans midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// Starts at this local time.
    pub from: chrono::NaiveTime,
    /// Ends at this local time.
    pub to: chrono::NaiveTime,
}

/// How notifications reach people (R2.2, R10.3). The inbox (站内通知) always receives
/// them at once; push and SMS follow by urgency, and wait out the quiet hours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryRules {
    /// 普通: push at once, never an SMS.
    pub normal: Climb,
    /// 紧急 (and every escalation): push at once, an SMS after 30 minutes unread.
    pub urgent: Climb,
    /// 特急: push at once, an SMS after 10 minutes unread.
    pub extra_urgent: Climb,
    /// No push or SMS in these hours (the inbox still receives): 22:00–07:00.
    pub quiet_hours: Option<QuietHours>,
    /// Whether 特急 notifications go out in the quiet hours all the same: yes.
    pub extra_urgent_ignores_quiet_hours: bool,
    /// Notifications for one person about one item whose SMS falls due within this many
    /// minutes of each other go out as one SMS: 10.
    #[serde(default = "default_sms_merge_minutes")]
    pub sms_merge_minutes: u32,
}

impl DeliveryRules {
    /// The climb for an urgency.
    pub fn climb(&self, urgency: Urgency) -> Climb {
        match urgency {
            Urgency::Normal => self.normal,
            Urgency::Urgent => self.urgent,
            Urgency::ExtraUrgent => self.extra_urgent,
        }
    }
}

impl Default for DeliveryRules {
    fn default() -> DeliveryRules {
        let hm = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default();
        DeliveryRules {
            normal: Climb {
                push_after_minutes: Some(0),
                work_after_minutes: Some(0),
                sms_after_minutes: None,
                voice_after_minutes: None,
            },
            urgent: Climb {
                push_after_minutes: Some(0),
                work_after_minutes: Some(0),
                sms_after_minutes: Some(30),
                voice_after_minutes: None,
            },
            extra_urgent: Climb {
                push_after_minutes: Some(0),
                work_after_minutes: Some(0),
                sms_after_minutes: Some(10),
                voice_after_minutes: Some(20),
            },
            quiet_hours: Some(QuietHours {
                from: hm(22, 0),
                to: hm(7, 0),
            }),
            extra_urgent_ignores_quiet_hours: true,
            sms_merge_minutes: default_sms_merge_minutes(),
        }
    }
}

/// When a photo's times make the reviewer look twice (R5.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRules {
    /// Warn when a photo was taken more than this many hours before the server received it:
    /// 24 (a day offline is ordinary; more is worth a look).
    pub max_delay_hours: u32,
    /// Warn when a photo claims to be taken more than this many minutes after the server
    /// received it (the phone's clock is ahead): 10.
    pub clock_tolerance_minutes: u32,
}

impl Default for EvidenceRules {
    fn default() -> EvidenceRules {
        EvidenceRules {
            max_delay_hours: 24,
            clock_tolerance_minutes: 10,
        }
    }
}

fn category(code: &str, zh: &str, en: &str, prefix: &str) -> CategoryDef {
    CategoryDef {
        code: code.to_owned(),
        name_zh: zh.to_owned(),
        name_en: en.to_owned(),
        prefix: prefix.to_owned(),
        required_attributes: Vec::new(),
        confidential_attributes: Vec::new(),
        evidence_required: false,
        is_instruction: false,
        labels: BTreeMap::new(),
        order_line: None,
    }
}

fn label(zh: &str, en: &str) -> AttributeLabel {
    AttributeLabel {
        zh: zh.to_owned(),
        en: en.to_owned(),
    }
}

impl Default for Policy {
    fn default() -> Policy {
        let mut instruction = category("instruction", "领导批示交办", "Leader's instruction", "批");
        instruction.is_instruction = true;
        let mut rectification = category("rectification", "问题整改", "Rectification", "改");
        rectification.evidence_required = true;
        // A citizen's name and phone on a hotline item reach only those who must call back.
        let hotline = hotline_category(
            "hotline",
            "12345热线工单",
            "12345 hotline work order",
            "热",
            Line::Citizen,
        );
        let environment = hotline_category(
            "env_hotline",
            "12369环保举报",
            "12369 environmental report",
            "环",
            Line::Environment,
        );
        Policy {
            categories: vec![
                category(
                    "higher_level",
                    "上级督查事项",
                    "Higher-level inspection",
                    "督",
                ),
                category("annual_key_work", "年度重点工作", "Annual key work", "重"),
                category("meeting_decision", "议定事项", "Meeting decision", "议"),
                instruction,
                category("major_project", "重大项目", "Major project", "项"),
                rectification,
                hotline,
                environment,
                category("other", "其他", "Other", "督"),
            ],
            deadline_days: DeadlineDays {
                normal: 7,
                urgent: 3,
                extra_urgent: 0,
                instruction: 5,
            },
            review_within_working_days: 3,
            decline_within_working_days: 2,
            remind_before_working_days: vec![3, 1],
            escalate_after_urges: 2,
            urge_interval_hours: default_urge_interval_hours(),
            yellow_within_working_days: 3,
            behind_schedule_tolerance: 10,
            scoring: Scoring {
                base: Points::whole(100),
                late_per_day: Points::whole(-1),
                late_days: LateDays::Working,
                late_cap: None,
                per_return: Points::whole(-1),
                escalation: Points::whole(-2),
                late_report: Points::tenths(-5),
                light: ColourPoints {
                    green: Points::whole(1),
                    yellow: Points::ZERO,
                    red: Points::ZERO,
                },
                card: ColourPoints {
                    green: Points::whole(1),
                    yellow: Points::ZERO,
                    red: Points::whole(-1),
                },
                stars: [
                    Points::whole(-2),
                    Points::whole(-1),
                    Points::ZERO,
                    Points::whole(1),
                    Points::whole(2),
                ],
                max_adjustment: Points::whole(10),
            },
            card: CardRules {
                green_min_stars: 4,
                green_max_returns: 0,
                red_max_stars: 2,
                red_min_returns: 2,
            },
            evidence: EvidenceRules::default(),
            delivery: DeliveryRules::default(),
            hotline: HotlinePolicy::default(),
        }
    }
}

/// A hotline's category: the caller's name, phone and address reach only those who must
/// call back (R11.2).
fn hotline_category(code: &str, zh: &str, en: &str, prefix: &str, line: Line) -> CategoryDef {
    let mut c = category(code, zh, en, prefix);
    c.order_line = Some(line);
    c.confidential_attributes = vec![
        "caller_name".into(),
        "caller_phone".into(),
        "caller_address".into(),
    ];
    c.labels = BTreeMap::from([
        (
            "caller_name".to_owned(),
            label("来电人姓名", "Caller's name"),
        ),
        (
            "caller_phone".to_owned(),
            label("来电人电话", "Caller's phone"),
        ),
        (
            "caller_address".to_owned(),
            label("来电人地址", "Caller's address"),
        ),
        (
            "hotline_ticket".to_owned(),
            label("工单编号", "Work order number"),
        ),
    ]);
    c
}

impl Policy {
    /// The category with this code.
    pub fn category(&self, code: &str) -> Option<&CategoryDef> {
        self.categories.iter().find(|c| c.code == code)
    }
}

/// Why a policy cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PolicyError {
    /// The JSON does not describe a policy.
    #[error("考核与期限规则格式错误:{0} / the policy is not valid JSON for a policy: {0}")]
    BadJson(String),
    /// No category is defined.
    #[error("至少需要一个事项类别 / at least one category is needed")]
    NoCategory,
    /// Two categories share a code.
    #[error("类别代码重复:{0} / two categories share the code {0}")]
    DuplicateCategory(String),
    /// A category lacks a code, a name or a number prefix.
    #[error(
        "类别“{0}”缺少代码、名称或编号前缀 / category {0} lacks a code, a name or a number prefix"
    )]
    IncompleteCategory(String),
    /// An attribute of a category (its place in the list, from 1) has a key that is empty, too
    /// long or not letters, digits, `_` and `-`, or a label with a control character.
    #[error(
        "第{0}个类别的附加属性代码须为1至64个字母、数字、下划线或连字符,名称不得含控制字符 / category {0} has an attribute whose key is not 1 to 64 letters, digits, `_` or `-`, or whose label has a control character"
    )]
    BadAttribute(usize),
    /// A number is out of its sensible range.
    #[error("规则“{0}”的取值超出范围 / the value of {0} is out of range")]
    OutOfRange(&'static str),
    /// A category's code, name or prefix holds a control or text-direction character (the
    /// category's place in the list, from 1).
    #[error(
        "第{0}个类别的代码、名称或编号前缀含有不允许的字符(控制字符、换行或文字方向控制符) / category {0} has a control, line-break or text-direction character in its code, name or number prefix"
    )]
    ControlChar(usize),
}

impl PolicyError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyError::BadJson(_) => "policy.bad_json",
            PolicyError::NoCategory => "policy.no_category",
            PolicyError::DuplicateCategory(_) => "policy.duplicate_category",
            PolicyError::IncompleteCategory(_) => "policy.incomplete_category",
            PolicyError::OutOfRange(_) => "policy.out_of_range",
            PolicyError::BadAttribute(_) => "policy.bad_attribute",
            PolicyError::ControlChar(_) => super::text::CODE,
        }
    }
}

impl Policy {
    /// Reads a policy from JSON and checks it.
    pub fn from_json(json: &str) -> Result<Policy, PolicyError> {
        let policy: Policy =
            serde_json::from_str(json).map_err(|e| PolicyError::BadJson(e.to_string()))?;
        policy.check()?;
        Ok(policy)
    }

    /// Checks that the policy can be used: categories complete and unique, day counts and
    /// thresholds in range.
    pub fn check(&self) -> Result<(), PolicyError> {
        if self.categories.is_empty() {
            return Err(PolicyError::NoCategory);
        }
        let mut codes = std::collections::BTreeSet::new();
        for (i, c) in self.categories.iter().enumerate() {
            let names = [&c.code, &c.name_zh, &c.name_en, &c.prefix];
            if names
                .iter()
                .any(|f| super::text::refused_char(f, true).is_some())
            {
                return Err(PolicyError::ControlChar(i + 1));
            }
            if names.iter().any(|f| f.trim().is_empty()) {
                return Err(PolicyError::IncompleteCategory(c.code.clone()));
            }
            if !codes.insert(c.code.as_str()) {
                return Err(PolicyError::DuplicateCategory(c.code.clone()));
            }
            let labels_ok = c.labels.values().all(|l| {
                [&l.zh, &l.en]
                    .iter()
                    .all(|t| super::text::refused_char(t, true).is_none())
            });
            if !labels_ok || !c.attribute_keys().into_iter().all(attribute_key_ok) {
                return Err(PolicyError::BadAttribute(i + 1));
            }
        }
        let d = &self.deadline_days;
        let days = [
            (
                "deadline_days",
                d.normal
                    .max(d.urgent)
                    .max(d.extra_urgent)
                    .max(d.instruction),
            ),
            (
                "review_within_working_days",
                self.review_within_working_days,
            ),
            (
                "decline_within_working_days",
                self.decline_within_working_days,
            ),
            (
                "yellow_within_working_days",
                self.yellow_within_working_days,
            ),
        ];
        for (name, v) in days {
            if v > 365 {
                return Err(PolicyError::OutOfRange(name));
            }
        }
        if self.remind_before_working_days.iter().any(|d| *d > 365) {
            return Err(PolicyError::OutOfRange("remind_before_working_days"));
        }
        if self.evidence.max_delay_hours == 0 || self.evidence.max_delay_hours > 24 * 365 {
            return Err(PolicyError::OutOfRange("evidence.max_delay_hours"));
        }
        if self.evidence.clock_tolerance_minutes > 24 * 60 {
            return Err(PolicyError::OutOfRange("evidence.clock_tolerance_minutes"));
        }
        let dl = &self.delivery;
        for climb in [dl.normal, dl.urgent, dl.extra_urgent] {
            let steps = [
                climb.push_after_minutes,
                climb.work_after_minutes,
                climb.sms_after_minutes,
                climb.voice_after_minutes,
            ];
            if steps.iter().flatten().any(|m| *m > 7 * 24 * 60) {
                return Err(PolicyError::OutOfRange("delivery"));
            }
            // The call is the last step: after the SMS it follows.
            if let (Some(sms), Some(voice)) = (climb.sms_after_minutes, climb.voice_after_minutes) {
                if voice <= sms {
                    return Err(PolicyError::OutOfRange("delivery.voice_after_minutes"));
                }
            }
        }
        if dl.sms_merge_minutes > 24 * 60 {
            return Err(PolicyError::OutOfRange("delivery.sms_merge_minutes"));
        }
        // Whole seconds: the times travel as `HH:MM:SS` (see the API's `LocalTime`).
        if dl.quiet_hours.is_some_and(|q| {
            use chrono::Timelike as _;
            q.from == q.to || q.from.nanosecond() != 0 || q.to.nanosecond() != 0
        }) {
            return Err(PolicyError::OutOfRange("delivery.quiet_hours"));
        }
        if self.escalate_after_urges == 0 || self.escalate_after_urges > 100 {
            return Err(PolicyError::OutOfRange("escalate_after_urges"));
        }
        if self.urge_interval_hours > 24 * 365 {
            return Err(PolicyError::OutOfRange("urge_interval_hours"));
        }
        if self.behind_schedule_tolerance > 100 {
            return Err(PolicyError::OutOfRange("behind_schedule_tolerance"));
        }
        let card = &self.card;
        if !(1..=5).contains(&card.green_min_stars)
            || !(1..=5).contains(&card.red_max_stars)
            || card.red_max_stars >= card.green_min_stars
            || card.red_min_returns <= card.green_max_returns
        {
            return Err(PolicyError::OutOfRange("card"));
        }
        let sc = &self.scoring;
        let big = Points::whole(1000);
        let all = [
            sc.base,
            sc.late_per_day,
            sc.per_return,
            sc.escalation,
            sc.late_report,
            sc.max_adjustment,
            sc.light.green,
            sc.light.yellow,
            sc.light.red,
            sc.card.green,
            sc.card.yellow,
            sc.card.red,
        ];
        if all
            .iter()
            .chain(sc.stars.iter())
            .chain(sc.late_cap.iter())
            .any(|p| p.0.unsigned_abs() > big.0.unsigned_abs())
        {
            return Err(PolicyError::OutOfRange("scoring"));
        }
        let h = &self.hotline;
        let hours = [
            ("hotline.dispatch_hours", h.dispatch_hours),
            ("hotline.return_hours", h.return_hours),
        ];
        if hours.iter().any(|(_, v)| *v == 0 || *v > 24 * 30) {
            return Err(PolicyError::OutOfRange("hotline.hours"));
        }
        let days = [
            h.inform_caller_days,
            h.handle_working_days,
            h.reopen_working_days,
            h.duplicate_window_days,
            h.environment_days,
            h.environment_extension_days,
        ];
        if days.iter().any(|v| *v == 0 || *v > 365) {
            return Err(PolicyError::OutOfRange("hotline.days"));
        }
        let sections_ok = h.reply_sections.len() <= 20
            && h.reply_sections.iter().all(|t| {
                let n = t.chars().count();
                (1..=40).contains(&n)
                    && super::text::refused_char(t, true).is_none()
                    && !t.contains(['【', '】'])
            });
        if !sections_ok {
            return Err(PolicyError::OutOfRange("hotline.reply_sections"));
        }
        if [
            h.unsatisfied_points,
            h.basic_points,
            h.unjustified_return_points,
        ]
        .iter()
        .any(|p| p.0.unsigned_abs() > big.0.unsigned_abs())
        {
            return Err(PolicyError::OutOfRange("hotline.points"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_valid_and_round_trips() {
        let p = Policy::default();
        assert_eq!(p.check(), Ok(()));
        let json = serde_json::to_string(&p).expect("serialises");
        assert_eq!(Policy::from_json(&json), Ok(p));
    }

    #[test]
    fn a_bad_policy_is_refused_with_its_code() {
        assert_eq!(
            Policy::from_json("{").map_err(|e| e.code()),
            Err("policy.bad_json")
        );
        let mut p = Policy::default();
        p.categories.push(p.categories[0].clone());
        assert_eq!(
            p.check().map_err(|e| e.code()),
            Err("policy.duplicate_category")
        );
        let mut p = Policy::default();
        p.categories[1].prefix = " ".into();
        assert_eq!(
            p.check().map_err(|e| e.code()),
            Err("policy.incomplete_category")
        );
        let p = Policy {
            escalate_after_urges: 0,
            ..Policy::default()
        };
        assert_eq!(p.check().map_err(|e| e.code()), Err("policy.out_of_range"));
        let p = Policy {
            urge_interval_hours: 24 * 366,
            ..Policy::default()
        };
        assert_eq!(p.check().map_err(|e| e.code()), Err("policy.out_of_range"));
        let mut p = Policy::default();
        p.card.red_max_stars = 4;
        assert_eq!(p.check().map_err(|e| e.code()), Err("policy.out_of_range"));
        let mut p = Policy::default();
        p.categories.clear();
        assert_eq!(p.check().map_err(|e| e.code()), Err("policy.no_category"));
        assert!(PolicyError::NoCategory.to_string().contains(" / "));
    }

    #[test]
    fn a_category_name_with_a_control_or_direction_character_is_refused() {
        for bad in ["整改\u{202E}", "a\u{0}b", "两\n行"] {
            let mut p = Policy::default();
            p.categories[2].name_zh = bad.into();
            assert_eq!(p.check(), Err(PolicyError::ControlChar(3)), "{bad:?}");
            assert_eq!(PolicyError::ControlChar(3).code(), "input.control_char");
        }
    }

    #[test]
    fn attribute_labels_fall_back_and_bad_keys_are_refused() {
        let p = Policy::default();
        let hotline = p.category("hotline").expect("the hotline category");
        assert_eq!(hotline.label("caller_name", false), "来电人姓名");
        assert_eq!(hotline.label("caller_name", true), "Caller's name");
        assert_eq!(hotline.label("address", false), "address");
        let mut zh_only = hotline.clone();
        zh_only.labels.insert("x".into(), label("某", " "));
        assert_eq!(zh_only.label("x", true), "某");
        assert_eq!(
            hotline.attribute_keys(),
            [
                "caller_name",
                "caller_phone",
                "caller_address",
                "hotline_ticket"
            ]
        );
        // A policy stored before labels existed still reads, and one without labels
        // serialises as before.
        let mut json = serde_json::to_value(&p).expect("serialises");
        json["categories"][6]
            .as_object_mut()
            .expect("a category")
            .remove("labels");
        let old: Policy = serde_json::from_value(json).expect("reads");
        assert!(old.categories[6].labels.is_empty());
        assert!(!serde_json::to_string(&old.categories[0])
            .expect("serialises")
            .contains("labels"));
        for bad in ["", "two words", "a\u{202E}b", &"k".repeat(65)] {
            let mut p = Policy::default();
            p.categories[1].required_attributes.push(bad.to_owned());
            assert_eq!(p.check(), Err(PolicyError::BadAttribute(2)), "{bad:?}");
        }
        let mut p = Policy::default();
        p.categories[6]
            .labels
            .insert("caller_name".into(), label("来电\n人", ""));
        assert_eq!(p.check().map_err(|e| e.code()), Err("policy.bad_attribute"));
    }

    #[test]
    fn quiet_hours_are_whole_seconds() {
        let mut p = Policy::default();
        let t = chrono::NaiveTime::from_hms_milli_opt(22, 0, 0, 500).expect("a time");
        p.delivery.quiet_hours = Some(QuietHours {
            from: t,
            to: chrono::NaiveTime::from_hms_opt(7, 0, 0).expect("a time"),
        });
        assert_eq!(p.check().map_err(|e| e.code()), Err("policy.out_of_range"));
        let leap = chrono::NaiveTime::from_hms_milli_opt(23, 59, 59, 1000).expect("a leap second");
        p.delivery.quiet_hours = Some(QuietHours { from: leap, to: t });
        assert_eq!(p.check().map_err(|e| e.code()), Err("policy.out_of_range"));
    }

    #[test]
    fn points_print_and_parse_as_decimals() {
        assert_eq!(Points::tenths(-15).to_string(), "-1.5");
        assert_eq!(Points::whole(3).to_string(), "3.0");
        let p: Points = serde_json::from_str("-0.5").expect("parses");
        assert_eq!(p, Points::tenths(-5));
        assert!(serde_json::from_str::<Points>("1e300").is_err());
        assert_eq!(Points::whole(-1).times(3), Points::whole(-3));
    }
}
