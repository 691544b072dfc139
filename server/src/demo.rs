//! The demonstration organisation and scenario behind `duban serve --demo`: a fictional county
//! government (清河县人民政府) with its supervision office, leaders, inspector and handling
//! units, and a couple of months of supervision work that leaves items in every status with
//! believable trails.
//!
//! Pure data: no I/O and no clock. The server creates the units and accounts from
//! [`organisation`] and then issues every [`DemoStep`] of [`scenario`] through the ordinary
//! rules (`decide` at the step's time, as the step's actor). Identifiers are fixed, so the
//! demo is the same on every run; only the dates move with `now`, counted in working days of
//! the calendar so that every step falls on a working day during office hours.
//!
//! Two things the server does itself and the scenario therefore leaves out: item numbers are
//! allocated from the server's number book (the numbers carried here are valid placeholders in
//! the same sequence), and accepting a `Decompose` also registers and dispatches the subtask
//! (`batch::subtask_commands`) as the decomposer at the same time.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Utc};
use duban_core::domain::command::{
    DispatchOrder, DraftPatch, Registration, ReportBody, SubtaskSpec, UrgeChannel,
};
use duban_core::domain::model::{
    AdjustmentId, Assignee, MilestoneKind, MilestoneSpec, NoteId, NumberBook, ReportId, Source,
    TaskNumber, Urgency, Visibility,
};
use duban_core::domain::{Calendar, Command, Points, Policy, Role, TaskId, UnitId, UserId};

/// The password of every demo account. For demonstrations only: the server prints it at start.
pub const DEMO_PASSWORD: &str = "duban-demo";

/// A unit of the demo organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoUnit {
    /// Fixed identifier.
    pub id: UnitId,
    /// The unit above it; `None` for the county government itself.
    pub parent: Option<UnitId>,
    /// Name in Chinese, e.g. `县交通运输局`.
    pub name: String,
    /// Name in English.
    pub name_en: String,
}

/// A person with a demo account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoPerson {
    /// Fixed identifier.
    pub id: UserId,
    /// Login name, e.g. `supervisor` or `head-jtj`.
    pub username: String,
    /// Name in Chinese.
    pub name: String,
    /// The person's unit.
    pub unit: Option<UnitId>,
    /// Position in Chinese, e.g. `县长`.
    pub position: String,
    /// Roles held.
    pub roles: Vec<Role>,
    /// For deputy leaders: the units they are in charge of (分管); empty otherwise.
    pub in_charge: Vec<UnitId>,
}

/// The demo organisation: its units (parents before children) and its people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoOrg {
    /// The organisation's name.
    pub name: String,
    /// Units, each listed after its parent.
    pub units: Vec<DemoUnit>,
    /// People with accounts; usernames are unique.
    pub people: Vec<DemoPerson>,
}

/// One command of the scenario: who issues it, when, on which item.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoStep {
    /// The person issuing the command (one of [`DemoOrg::people`]).
    pub actor: UserId,
    /// When it is issued: a working day, office hours, before `now`.
    pub at: DateTime<Utc>,
    /// The item.
    pub task: TaskId,
    /// The command.
    pub command: Command,
}

// ----- the organisation ---------------------------------------------------------------------

const ROOT: UnitId = UnitId::from_u128(0x1001);
const OFFICE: UnitId = UnitId::from_u128(0x1002);
const DUCHA: UnitId = UnitId::from_u128(0x1003);
const JIJIAN: UnitId = UnitId::from_u128(0x1004);
const FGJ: UnitId = UnitId::from_u128(0x1010);
const CZJ: UnitId = UnitId::from_u128(0x1011);
const ZJJ: UnitId = UnitId::from_u128(0x1012);
const JTJ: UnitId = UnitId::from_u128(0x1013);
const STJ: UnitId = UnitId::from_u128(0x1014);
const JYJ: UnitId = UnitId::from_u128(0x1015);
const WJJ: UnitId = UnitId::from_u128(0x1016);
const YJJ: UnitId = UnitId::from_u128(0x1017);
const CGJ: UnitId = UnitId::from_u128(0x1018);
const CGZ: UnitId = UnitId::from_u128(0x1019);
const LHZ: UnitId = UnitId::from_u128(0x101A);
const ZJJ_FDC: UnitId = UnitId::from_u128(0x1021);
const YJJ_AQ: UnitId = UnitId::from_u128(0x1022);
const CGJ_SZ: UnitId = UnitId::from_u128(0x1023);

/// (id, parent, zh, en), parents first.
const UNITS: &[(UnitId, Option<UnitId>, &str, &str)] = &[
    (
        ROOT,
        None,
        "清河县人民政府",
        "Qinghe County People's Government",
    ),
    (
        OFFICE,
        Some(ROOT),
        "县政府办公室",
        "County Government Office",
    ),
    (DUCHA, Some(OFFICE), "县政府督查室", "Supervision Office"),
    (
        JIJIAN,
        Some(ROOT),
        "县纪委监委派驻第一纪检监察组",
        "Resident Discipline Inspection and Supervision Team",
    ),
    (
        FGJ,
        Some(ROOT),
        "县发展和改革局",
        "Development and Reform Bureau",
    ),
    (CZJ, Some(ROOT), "县财政局", "Finance Bureau"),
    (
        ZJJ,
        Some(ROOT),
        "县住房和城乡建设局",
        "Housing and Urban-Rural Development Bureau",
    ),
    (JTJ, Some(ROOT), "县交通运输局", "Transport Bureau"),
    (
        STJ,
        Some(ROOT),
        "县生态环境局",
        "Ecology and Environment Bureau",
    ),
    (JYJ, Some(ROOT), "县教育局", "Education Bureau"),
    (WJJ, Some(ROOT), "县卫生健康局", "Health Bureau"),
    (
        YJJ,
        Some(ROOT),
        "县应急管理局",
        "Emergency Management Bureau",
    ),
    (CGJ, Some(ROOT), "县城市管理局", "Urban Management Bureau"),
    (
        CGZ,
        Some(ROOT),
        "城关镇人民政府",
        "Chengguan Town Government",
    ),
    (LHZ, Some(ROOT), "柳河镇人民政府", "Liuhe Town Government"),
    (
        ZJJ_FDC,
        Some(ZJJ),
        "房地产市场监管股",
        "Real Estate Market Supervision Section",
    ),
    (
        YJJ_AQ,
        Some(YJJ),
        "安全生产综合监管股",
        "Work Safety Supervision Section",
    ),
    (
        CGJ_SZ,
        Some(CGJ),
        "市政设施管护中心",
        "Municipal Facilities Maintenance Centre",
    ),
];

const ADMIN: UserId = UserId::from_u128(0x2001);
const LEADER: UserId = UserId::from_u128(0x2002);
const DEPUTY1: UserId = UserId::from_u128(0x2003);
const DEPUTY2: UserId = UserId::from_u128(0x2004);
const DEPUTY3: UserId = UserId::from_u128(0x2005);
const SUPERVISOR: UserId = UserId::from_u128(0x2006);
const SUPERVISOR2: UserId = UserId::from_u128(0x2007);
const INSPECTOR: UserId = UserId::from_u128(0x2008);

const HEAD_FGJ: UserId = UserId::from_u128(0x2101);
const STAFF_FGJ: UserId = UserId::from_u128(0x2102);
const HEAD_CZJ: UserId = UserId::from_u128(0x2111);
const STAFF_CZJ: UserId = UserId::from_u128(0x2112);
const HEAD_ZJJ: UserId = UserId::from_u128(0x2121);
const STAFF_ZJJ: UserId = UserId::from_u128(0x2122);
const STAFF_FDC: UserId = UserId::from_u128(0x2123);
const HEAD_JTJ: UserId = UserId::from_u128(0x2131);
const STAFF_JTJ: UserId = UserId::from_u128(0x2132);
const STAFF_JTJ2: UserId = UserId::from_u128(0x2133);
const HEAD_STJ: UserId = UserId::from_u128(0x2141);
const STAFF_STJ: UserId = UserId::from_u128(0x2142);
const HEAD_JYJ: UserId = UserId::from_u128(0x2151);
const STAFF_JYJ: UserId = UserId::from_u128(0x2152);
const HEAD_WJJ: UserId = UserId::from_u128(0x2161);
const STAFF_WJJ: UserId = UserId::from_u128(0x2162);
const HEAD_YJJ: UserId = UserId::from_u128(0x2171);
const STAFF_YJJ: UserId = UserId::from_u128(0x2172);
const STAFF_AQG: UserId = UserId::from_u128(0x2173);
const HEAD_CGJ: UserId = UserId::from_u128(0x2181);
const STAFF_CGJ: UserId = UserId::from_u128(0x2182);
const STAFF_CGJ2: UserId = UserId::from_u128(0x2183);
const HEAD_SZZX: UserId = UserId::from_u128(0x2184);
const STAFF_SZZX: UserId = UserId::from_u128(0x2185);
const HEAD_CGZ: UserId = UserId::from_u128(0x2191);
const STAFF_CGZ: UserId = UserId::from_u128(0x2192);
const HEAD_LHZ: UserId = UserId::from_u128(0x21A1);
const STAFF_LHZ: UserId = UserId::from_u128(0x21A2);

/// The deputy leaders and the units they are in charge of (分管).
const IN_CHARGE: &[(UserId, &[UnitId])] = &[
    (DEPUTY1, &[FGJ, CZJ, ZJJ, CGZ]),
    (DEPUTY2, &[JTJ, STJ, YJJ, CGJ]),
    (DEPUTY3, &[JYJ, WJJ, LHZ]),
];

/// (id, username, name, unit, position, roles).
type PersonRow = (
    UserId,
    &'static str,
    &'static str,
    UnitId,
    &'static str,
    Role,
);

const PEOPLE: &[PersonRow] = &[
    (
        ADMIN,
        "admin",
        "孙立新",
        OFFICE,
        "信息化管理员",
        Role::Admin,
    ),
    (LEADER, "leader", "王建国", ROOT, "县长", Role::MainLeader),
    (
        DEPUTY1,
        "deputy1",
        "李红梅",
        ROOT,
        "常务副县长",
        Role::DeputyLeader,
    ),
    (
        DEPUTY2,
        "deputy2",
        "张志强",
        ROOT,
        "副县长",
        Role::DeputyLeader,
    ),
    (
        DEPUTY3,
        "deputy3",
        "刘晓燕",
        ROOT,
        "副县长",
        Role::DeputyLeader,
    ),
    (
        SUPERVISOR,
        "supervisor",
        "陈静",
        DUCHA,
        "督查室主任",
        Role::Supervisor,
    ),
    (
        SUPERVISOR2,
        "supervisor2",
        "赵磊",
        DUCHA,
        "督查室督办专员",
        Role::Supervisor,
    ),
    (
        INSPECTOR,
        "inspector",
        "周正",
        JIJIAN,
        "纪检监察组组长",
        Role::Inspector,
    ),
    (HEAD_FGJ, "head-fgj", "吴国平", FGJ, "局长", Role::UnitHead),
    (
        STAFF_FGJ,
        "staff-fgj",
        "郑雪",
        FGJ,
        "投资科科员",
        Role::Staff,
    ),
    (HEAD_CZJ, "head-czj", "钱卫东", CZJ, "局长", Role::UnitHead),
    (
        STAFF_CZJ,
        "staff-czj",
        "冯丽",
        CZJ,
        "预算科科员",
        Role::Staff,
    ),
    (HEAD_ZJJ, "head-zjj", "马俊", ZJJ, "局长", Role::UnitHead),
    (
        STAFF_ZJJ,
        "staff-zjj",
        "何静怡",
        ZJJ,
        "城建科科员",
        Role::Staff,
    ),
    (STAFF_FDC, "staff-fdc", "罗浩", ZJJ_FDC, "科员", Role::Staff),
    (HEAD_JTJ, "head-jtj", "高峰", JTJ, "局长", Role::UnitHead),
    (
        STAFF_JTJ,
        "staff-jtj",
        "林涛",
        JTJ,
        "建设管理科科员",
        Role::Staff,
    ),
    (
        STAFF_JTJ2,
        "staff-jtj2",
        "谢婷",
        JTJ,
        "公路养护中心技术员",
        Role::Staff,
    ),
    (
        HEAD_STJ,
        "head-sthjj",
        "宋建华",
        STJ,
        "局长",
        Role::UnitHead,
    ),
    (
        STAFF_STJ,
        "staff-sthjj",
        "唐敏",
        STJ,
        "水生态环境科科员",
        Role::Staff,
    ),
    (HEAD_JYJ, "head-jyj", "韩梅", JYJ, "局长", Role::UnitHead),
    (
        STAFF_JYJ,
        "staff-jyj",
        "曹阳",
        JYJ,
        "后勤保障科科员",
        Role::Staff,
    ),
    (HEAD_WJJ, "head-wjj", "彭志勇", WJJ, "局长", Role::UnitHead),
    (
        STAFF_WJJ,
        "staff-wjj",
        "邓佳",
        WJJ,
        "医政科科员",
        Role::Staff,
    ),
    (HEAD_YJJ, "head-yjj", "许强", YJJ, "局长", Role::UnitHead),
    (
        STAFF_YJJ,
        "staff-yjj",
        "傅斌",
        YJJ,
        "应急指挥科科员",
        Role::Staff,
    ),
    (STAFF_AQG, "staff-aqg", "沈涛", YJJ_AQ, "科员", Role::Staff),
    (HEAD_CGJ, "head-cgj", "蒋文", CGJ, "局长", Role::UnitHead),
    (
        STAFF_CGJ,
        "staff-cgj",
        "邱明",
        CGJ,
        "执法大队队员",
        Role::Staff,
    ),
    (
        STAFF_CGJ2,
        "staff-cgj2",
        "范晓丽",
        CGJ,
        "环卫科科员",
        Role::Staff,
    ),
    (
        HEAD_SZZX,
        "head-szzx",
        "袁野",
        CGJ_SZ,
        "主任",
        Role::UnitHead,
    ),
    (
        STAFF_SZZX,
        "staff-szzx",
        "鲁大勇",
        CGJ_SZ,
        "技术员",
        Role::Staff,
    ),
    (HEAD_CGZ, "head-cgz", "潘志刚", CGZ, "镇长", Role::UnitHead),
    (
        STAFF_CGZ,
        "staff-cgz",
        "杜娟",
        CGZ,
        "党政办公室干事",
        Role::Staff,
    ),
    (HEAD_LHZ, "head-lhz", "姚建军", LHZ, "镇长", Role::UnitHead),
    (
        STAFF_LHZ,
        "staff-lhz",
        "董晨",
        LHZ,
        "农业农村办干事",
        Role::Staff,
    ),
];

/// The demo organisation: 清河县人民政府 with its office, supervision office, inspector, eleven
/// handling units (bureaus and towns, three with a section below them) and their people.
pub fn organisation() -> DemoOrg {
    let units = UNITS
        .iter()
        .map(|(id, parent, name, name_en)| DemoUnit {
            id: *id,
            parent: *parent,
            name: (*name).to_owned(),
            name_en: (*name_en).to_owned(),
        })
        .collect();
    let people = PEOPLE
        .iter()
        .map(|(id, username, name, unit, position, role)| DemoPerson {
            id: *id,
            username: (*username).to_owned(),
            name: (*name).to_owned(),
            unit: Some(*unit),
            position: (*position).to_owned(),
            roles: vec![*role],
            in_charge: IN_CHARGE
                .iter()
                .find(|(deputy, _)| deputy == id)
                .map(|(_, units)| units.to_vec())
                .unwrap_or_default(),
        })
        .collect();
    DemoOrg {
        name: "清河县人民政府".to_owned(),
        units,
        people,
    }
}

/// The accounts to print at start and list in the README: (username, role in Chinese, role in
/// English). Every account's password is [`DEMO_PASSWORD`].
pub fn accounts() -> Vec<(String, String, String)> {
    [
        (
            "admin",
            "系统管理员(账号、日历、规则)",
            "administrator (accounts, calendar, policy)",
        ),
        (
            "leader",
            "县长(主要领导,审批第二次延时)",
            "county head (main leader; decides second extensions)",
        ),
        (
            "deputy1",
            "常务副县长(分管发改、财政、住建、城关镇)",
            "executive deputy head (in charge of development, finance, housing, Chengguan)",
        ),
        (
            "deputy2",
            "副县长(分管交通、生态环境、应急、城管)",
            "deputy head (in charge of transport, environment, emergencies, urban management)",
        ),
        (
            "deputy3",
            "副县长(分管教育、卫健、柳河镇)",
            "deputy head (in charge of education, health, Liuhe)",
        ),
        (
            "supervisor",
            "督查室主任(督办员,立项、交办、复核、办结)",
            "head of the supervision office (registers, dispatches, reviews, closes)",
        ),
        (
            "supervisor2",
            "督查室督办专员(督办员)",
            "supervision officer",
        ),
        (
            "inspector",
            "纪检监察组组长(查阅全部事项)",
            "discipline inspector (reads every item)",
        ),
        (
            "head-zjj",
            "县住建局局长(单位负责人)",
            "head of the housing bureau (unit head)",
        ),
        (
            "head-jtj",
            "县交通运输局局长(单位负责人,汇报审批)",
            "head of the transport bureau (unit head; approves reports)",
        ),
        (
            "staff-jtj",
            "县交通运输局科员(承办人)",
            "transport bureau officer (handler)",
        ),
        (
            "staff-cgj",
            "县城管局执法队员(承办人)",
            "urban management officer (handler)",
        ),
    ]
    .into_iter()
    .map(|(u, zh, en)| (u.to_owned(), zh.to_owned(), en.to_owned()))
    .collect()
}

/// The deputy leader in charge of a unit or of a unit above it.
fn deputy_for(unit: UnitId) -> Option<UserId> {
    let mut current = Some(unit);
    for _ in 0..UNITS.len() {
        let u = current?;
        if let Some((deputy, _)) = IN_CHARGE.iter().find(|(_, units)| units.contains(&u)) {
            return Some(*deputy);
        }
        current = UNITS.iter().find(|row| row.0 == u).and_then(|row| row.1);
    }
    None
}

// ----- the scenario -------------------------------------------------------------------------

/// Builds steps with times counted in working days back from `now`, and hands out ids.
struct Builder<'a> {
    calendar: &'a Calendar,
    policy: &'a Policy,
    today: NaiveDate,
    steps: Vec<DemoStep>,
    reports: u128,
    notes: u128,
    adjustments: u128,
}

impl Builder<'_> {
    /// The `n`-th working day before today (`n >= 1`).
    fn day(&self, n: u32) -> NaiveDate {
        let mut d = self.today;
        let mut left = n;
        for _ in 0..5_000 {
            if left == 0 {
                break;
            }
            match d.pred_opt() {
                Some(p) => d = p,
                None => break,
            }
            if self.calendar.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// `h:m` local time on the `n`-th working day before today.
    fn at(&self, n: u32, h: u32, m: u32) -> DateTime<Utc> {
        let time = NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        self.calendar.from_local(self.day(n).and_time(time))
    }

    /// Due at the end of the `n`-th working day before today (a deadline already passed).
    fn back(&self, n: u32) -> DateTime<Utc> {
        self.calendar.end_of_day(self.day(n))
    }

    /// Due at the end of the `n`-th working day after today.
    fn ahead(&self, n: u32) -> DateTime<Utc> {
        self.calendar
            .end_of_day(self.calendar.add_working_days(self.today, n))
    }

    fn step(&mut self, task: TaskId, actor: UserId, when: (u32, u32, u32), command: Command) {
        let at = self.at(when.0, when.1, when.2);
        self.steps.push(DemoStep {
            actor,
            at,
            task,
            command,
        });
    }

    /// A registration with the category's prefix (the number is set in time order at the end)
    /// and any attribute the category requires.
    fn reg(&self, category: &str, title: &str, content: &str, source: Source) -> Registration {
        let def = self
            .policy
            .category(category)
            .or_else(|| self.policy.categories.first());
        let mut attributes = BTreeMap::new();
        for key in def
            .map(|c| c.required_attributes.clone())
            .unwrap_or_default()
        {
            attributes.insert(key, "(演示数据)".to_owned());
        }
        Registration {
            category: def.map_or_else(|| category.to_owned(), |c| c.code.clone()),
            number: TaskNumber {
                prefix: def.map(|c| c.prefix.clone()).unwrap_or_default(),
                year: self.today.year(),
                seq: 1,
            },
            title: title.to_owned(),
            content: content.to_owned(),
            source,
            urgency: Urgency::Normal,
            // The year's key work and the major projects are the public's business: the
            // public board (督办网) shows them.
            visibility: if matches!(category, "annual_key_work" | "major_project") {
                Visibility::Public
            } else {
                Visibility::Internal
            },
            deadline: None,
            attributes,
            attachments: Vec::new(),
            milestones: Vec::new(),
            instructing_leader: None,
            approval_chain: Vec::new(),
            recurrence: None,
            parent: None,
            batch: None,
        }
    }

    fn body(&mut self, text: &str) -> ReportBody {
        self.reports += 1;
        ReportBody {
            id: ReportId::from_u128(0x3000_0000 + self.reports),
            text: text.to_owned(),
            evidence: Vec::new(),
        }
    }

    fn progress(&mut self, percent: u8, milestone: Option<u32>, text: &str) -> Command {
        Command::ReportProgress {
            report: self.body(text),
            percent,
            milestone,
            answers: None,
        }
    }

    fn completion(&mut self, text: &str) -> Command {
        Command::ReportCompletion {
            report: self.body(text),
        }
    }

    fn note(&mut self) -> NoteId {
        self.notes += 1;
        NoteId::from_u128(0x4000_0000 + self.notes)
    }

    fn instruct(&mut self, text: &str) -> (NoteId, Command) {
        let id = self.note();
        (
            id,
            Command::Instruct {
                id,
                text: text.to_owned(),
            },
        )
    }

    fn comment(&mut self, text: &str, reply_to: Option<NoteId>) -> Command {
        Command::Comment {
            id: self.note(),
            text: text.to_owned(),
            reply_to,
        }
    }

    fn adjust(&mut self, points: Points, reason: &str) -> Command {
        self.adjustments += 1;
        Command::AdjustScore {
            id: AdjustmentId::from_u128(0x5000_0000 + self.adjustments),
            points,
            reason: reason.to_owned(),
        }
    }

    /// The last report id handed out (for a report approval).
    fn last_report(&self) -> ReportId {
        ReportId::from_u128(0x3000_0000 + self.reports)
    }
}

fn task(n: u128) -> TaskId {
    TaskId::from_u128(0xD000 + n)
}

fn register(r: Registration) -> Command {
    Command::Register(Box::new(r))
}

fn dispatch(o: DispatchOrder) -> Command {
    Command::Dispatch(Box::new(o))
}

/// A dispatch to a unit (and a named handler), with the deputy leader in charge of the unit as
/// the responsible and deciding leader.
fn order(unit: UnitId, user: Option<UserId>, deadline: Option<DateTime<Utc>>) -> DispatchOrder {
    let deputy = deputy_for(unit);
    DispatchOrder {
        lead: Assignee { unit, user },
        participants: Vec::new(),
        responsible_leader: deputy,
        deputy_leader: deputy,
        reviewer: None,
        report_approver: None,
        deadline,
        report_every: None,
    }
}

fn to_unit(unit: UnitId) -> Assignee {
    Assignee { unit, user: None }
}

fn receive() -> Command {
    Command::Receive
}

fn accept(opinion: &str) -> Command {
    Command::Review {
        accept: true,
        opinion: opinion.to_owned(),
        new_deadline: None,
    }
}

fn rework(opinion: &str, new_deadline: DateTime<Utc>) -> Command {
    Command::Review {
        accept: false,
        opinion: opinion.to_owned(),
        new_deadline: Some(new_deadline),
    }
}

fn rate(stars: u8, opinion: &str) -> Command {
    Command::Rate {
        stars,
        opinion: opinion.to_owned(),
    }
}

fn approve_report(report: ReportId, opinion: &str) -> Command {
    Command::DecideReport {
        report,
        approve: true,
        opinion: opinion.to_owned(),
    }
}

fn milestone(
    id: u32,
    kind: MilestoneKind,
    title: &str,
    due: DateTime<Utc>,
    planned_percent: u8,
) -> MilestoneSpec {
    MilestoneSpec {
        id,
        kind,
        title: title.to_owned(),
        due,
        planned_percent,
    }
}

/// A hotline ticket number (工单号) for the day of `at`.
fn ticket(calendar: &Calendar, at: DateTime<Utc>, n: u32) -> String {
    format!("QH12345-{}-{n:04}", calendar.to_local(at).format("%Y%m%d"))
}

/// The scenario: about two months of supervision work before `now`, in time order, leaving
/// items in every status (draft, awaiting approval, dispatched, declined, in progress on time
/// and overdue, under review, completed, suspended, closed, revoked, archived). Every step
/// falls on a working day between 09:00 and 17:30 local time, before `now`, and is accepted
/// by `decide` at its time when the steps are applied in order (with the subtask of each
/// `Decompose` created by the server as the decomposer at the same time).
pub fn scenario(now: DateTime<Utc>, calendar: &Calendar, policy: &Policy) -> Vec<DemoStep> {
    let mut b = Builder {
        calendar,
        policy,
        today: calendar.to_local(now).date(),
        steps: Vec::new(),
        reports: 0,
        notes: 0,
        adjustments: 0,
    };
    in_progress_items(&mut b);
    pending_decision_items(&mut b);
    finished_items(&mut b);
    early_items(&mut b);

    let mut steps = b.steps;
    // Stable: the steps of one item keep their order.
    steps.sort_by_key(|s| s.at);
    number_in_time_order(&mut steps, calendar, policy);
    steps
}

/// Gives every registration and subtask the number the server's book would give it, in time
/// order per category and year.
fn number_in_time_order(steps: &mut [DemoStep], calendar: &Calendar, policy: &Policy) {
    let mut book = NumberBook::default();
    let mut categories: BTreeMap<TaskId, String> = BTreeMap::new();
    for step in steps.iter_mut() {
        let year = calendar.to_local(step.at).year();
        match &mut step.command {
            Command::Register(r) => {
                categories.insert(step.task, r.category.clone());
                let prefix = policy
                    .category(&r.category)
                    .map_or_else(|| r.number.prefix.clone(), |c| c.prefix.clone());
                r.number = book.allocate(&r.category, &prefix, year);
            }
            Command::Decompose(spec) => {
                if let Some(category) = categories.get(&step.task).cloned() {
                    let prefix = policy
                        .category(&category)
                        .map_or_else(|| spec.number.prefix.clone(), |c| c.prefix.clone());
                    spec.number = book.allocate(&category, &prefix, year);
                    categories.insert(spec.child, category);
                }
            }
            _ => {}
        }
    }
}

/// Items being handled: on time, overdue (urged, escalated), with milestones, a subtask, a
/// report approver, an approved extension, a suspension and resumption.
fn in_progress_items(b: &mut Builder<'_>) {
    // 1. A leader's instruction, decomposed into a subtask for a section of the bureau.
    let t = task(1);
    let child = task(101);
    let mut r = b.reg(
        "instruction",
        "关于加快老旧小区改造进度的批示",
        "王建国县长批示:老旧小区改造是群众关心的民生实事,目前进度偏慢。请住建局会同财政局倒排工期、\
         挂图作战,确保幸福里、建设路、纺织厂宿舍等12个小区年内完工,资金保障要及时到位。",
        Source::Instruction,
    );
    r.instructing_leader = Some(LEADER);
    r.milestones = vec![
        milestone(
            1,
            MilestoneKind::Regular,
            "完成入户调查并确定改造方案",
            b.back(28),
            30,
        ),
        milestone(2, MilestoneKind::Key, "完成主体改造施工", b.ahead(5), 80),
        milestone(
            3,
            MilestoneKind::Final,
            "完成竣工验收并移交物业",
            b.ahead(15),
            100,
        ),
    ];
    b.step(t, SUPERVISOR, (38, 9, 30), register(r));
    let mut o = order(ZJJ, Some(HEAD_ZJJ), Some(b.ahead(15)));
    o.participants = vec![to_unit(CZJ)];
    o.responsible_leader = Some(LEADER);
    b.step(t, SUPERVISOR, (38, 10, 0), dispatch(o));
    b.step(t, LEADER, (38, 14, 30), Command::Follow);
    b.step(t, HEAD_ZJJ, (37, 9, 10), receive());
    b.step(t, STAFF_CZJ, (37, 10, 20), receive());
    let (instruction, c) = b.instruct(
        "老旧小区改造是民生实事,要倒排工期、挂图作战,确保按期完工;住建局每两周报告一次进展,\
         财政局要保障配套资金及时拨付。",
    );
    b.step(t, LEADER, (36, 11, 0), c);
    let c = b.comment(
        "坚决落实县长批示。我局已成立老旧小区改造工作专班,实行一个小区一名责任人,倒排工期推进。",
        Some(instruction),
    );
    b.step(t, HEAD_ZJJ, (36, 15, 0), c);
    let spec = SubtaskSpec {
        child,
        number: TaskNumber {
            prefix: String::new(),
            year: b.today.year(),
            seq: 1,
        },
        title: "幸福里、建设路片区老旧小区房屋安全排查".to_owned(),
        content:
            "对幸福里、建设路片区6个小区的房屋结构安全逐栋排查,建立隐患台账,为改造方案提供依据。"
                .to_owned(),
        lead: Assignee {
            unit: ZJJ_FDC,
            user: Some(STAFF_FDC),
        },
        deadline: Some(b.ahead(5)),
    };
    // The server registers and dispatches the subtask itself when it accepts this.
    b.step(t, HEAD_ZJJ, (36, 16, 0), Command::Decompose(Box::new(spec)));
    b.step(child, STAFF_FDC, (35, 9, 30), receive());
    let c = b.progress(
        30,
        Some(1),
        "已完成12个小区2860户入户调查,征求意见采纳率92%;改造方案经专家评审通过并在小区公示。",
    );
    b.step(t, HEAD_ZJJ, (29, 16, 0), c);
    let c = b.progress(
        50,
        None,
        "已完成6个小区中3个小区共41栋楼的结构安全排查,发现局部墙体开裂等隐患7处,已建立台账。",
    );
    b.step(child, STAFF_FDC, (20, 10, 0), c);
    let c = b.progress(
        55,
        None,
        "雨污分流管网改造完成8个小区,外墙保温完成约60%,新增停车位320个;纺织厂宿舍因管线迁改进度稍慢。",
    );
    b.step(t, HEAD_ZJJ, (15, 15, 30), c);
    let c = b.comment(
        "请注意施工期间的居民出行和用电安全,每个工地都要有安全员值守。",
        None,
    );
    b.step(t, DEPUTY1, (3, 10, 0), c);

    // 2. A major project through a registration approval chain, with a report approver, a
    //    milestone met and a first extension approved by the deputy leader.
    let t = task(2);
    let mut r = b.reg(
        "major_project",
        "重大项目:清河大桥危桥改造工程",
        "清河大桥建于1986年,经检测评定为四类危桥。按照县政府重大项目推进计划,实施原址拆除重建,\
         新桥长218米、宽24米,总投资1.36亿元。",
        Source::Document,
    );
    r.approval_chain = vec![DEPUTY2, LEADER];
    r.milestones = vec![
        milestone(1, MilestoneKind::Key, "完成施工图设计审查", b.back(25), 20),
        milestone(
            2,
            MilestoneKind::Key,
            "完成旧桥拆除和桩基施工",
            b.back(10),
            50,
        ),
    ];
    b.step(t, SUPERVISOR, (38, 9, 0), register(r));
    b.step(t, SUPERVISOR, (38, 9, 10), Command::SubmitForApproval);
    b.step(
        t,
        DEPUTY2,
        (37, 10, 0),
        Command::DecideRegistration {
            approve: true,
            opinion: "同意立项,请交通运输局抓紧组织实施,做好施工期间交通分流。".to_owned(),
        },
    );
    b.step(
        t,
        LEADER,
        (37, 16, 0),
        Command::DecideRegistration {
            approve: true,
            opinion: "同意。".to_owned(),
        },
    );
    let mut o = order(JTJ, Some(STAFF_JTJ), Some(b.back(6)));
    o.participants = vec![to_unit(CGJ)];
    o.report_approver = Some(HEAD_JTJ);
    b.step(t, SUPERVISOR, (36, 9, 30), dispatch(o));
    b.step(t, STAFF_JTJ, (36, 11, 0), receive());
    let c = b.progress(
        20,
        Some(1),
        "施工图设计已通过市交通运输局组织的审查,施工单位已进场,临时便桥已通行。",
    );
    b.step(t, STAFF_JTJ, (27, 15, 0), c);
    let report = b.last_report();
    b.step(
        t,
        HEAD_JTJ,
        (26, 9, 30),
        approve_report(report, "情况属实,同意报送。"),
    );
    b.step(
        t,
        STAFF_JTJ,
        (10, 10, 0),
        Command::RequestExtension {
            until: b.ahead(20),
            reason: "旧桥拆除中发现原桥桩基侵入河道行洪断面,须增加围堰和桩基处理工序,经设计单位测算需延长工期。"
                .to_owned(),
        },
    );
    b.step(
        t,
        DEPUTY2,
        (9, 15, 0),
        Command::DecideExtension {
            approve: true,
            opinion: "同意延期。请交通运输局加强施工组织,确保施工安全和汛期行洪安全。".to_owned(),
        },
    );
    let c = b.progress(
        55,
        Some(2),
        "旧桥已全部拆除,新桥桩基32根已完成28根,剩余4根预计下周完成。",
    );
    b.step(t, STAFF_JTJ, (8, 16, 0), c);
    let report = b.last_report();
    b.step(t, HEAD_JTJ, (7, 9, 30), approve_report(report, ""));

    // 3. A rectification found on site: overdue, urged twice, escalated, a deputy's instruction.
    let t = task(3);
    let r = b.reg(
        "rectification",
        "安全生产大检查发现问题整改:城关镇烟花爆竹批发仓库超量储存",
        "县安全生产大检查第二组现场检查发现:城关镇某烟花爆竹批发企业仓库超核定药量储存,\
         防雷设施检测过期,库区消防通道被占用。请立即整改并报送整改前后对比照片。",
        Source::OnSite,
    );
    b.step(t, SUPERVISOR, (28, 9, 20), register(r));
    let mut o = order(YJJ_AQ, Some(STAFF_AQG), None);
    o.participants = vec![to_unit(CGZ)];
    b.step(t, SUPERVISOR, (28, 10, 0), dispatch(o));
    b.step(t, STAFF_AQG, (27, 9, 0), receive());
    b.step(t, INSPECTOR, (27, 14, 0), Command::Follow);
    let c = b.progress(
        40,
        None,
        "已责令该企业停止批发经营,清点超量储存产品约2.3吨,消防通道已清理。",
    );
    b.step(t, STAFF_AQG, (24, 16, 0), c);
    b.step(
        t,
        SUPERVISOR,
        (20, 9, 30),
        Command::Urge {
            channel: UrgeChannel::Message,
            note: "该事项已超过整改期限,请县应急管理局尽快完成整改并报送整改报告。".to_owned(),
        },
    );
    b.step(
        t,
        SUPERVISOR,
        (18, 10, 0),
        Command::Urge {
            channel: UrgeChannel::Phone,
            note: "电话催办:已联系安全生产综合监管股,要求3日内完成超量产品转移和防雷检测。"
                .to_owned(),
        },
    );
    b.step(
        t,
        SUPERVISOR,
        (16, 9, 30),
        Command::Escalate {
            reason: "经两次催办仍未完成整改,存在重大安全隐患,提请分管县领导督办。".to_owned(),
        },
    );
    let (_, c) = b.instruct(
        "应急管理局要立即组织力量,彻底消除隐患,一周内向县政府报告整改结果;城关镇要落实属地责任。",
    );
    b.step(t, DEPUTY2, (16, 15, 0), c);
    let c = b.progress(
        70,
        None,
        "超量产品已全部转移至合规仓库;防雷设施已委托有资质机构检测,待出具报告。",
    );
    b.step(t, STAFF_AQG, (14, 11, 0), c);

    // 4. A hotline item, slightly overdue, urged by phone.
    let t = task(4);
    let mut r = b.reg(
        "hotline",
        "12345热线:城南农贸市场周边占道经营",
        "市民反映城南农贸市场周边人民路、建设路段长期占道经营,早晚高峰车辆通行困难,希望尽快整治。",
        Source::Other,
    );
    let at = b.at(12, 9, 30);
    r.attributes
        .insert("hotline_ticket".to_owned(), ticket(b.calendar, at, 217));
    b.step(t, SUPERVISOR2, (12, 9, 30), register(r));
    b.step(
        t,
        SUPERVISOR2,
        (12, 10, 0),
        dispatch(order(CGZ, Some(STAFF_CGZ), None)),
    );
    b.step(t, STAFF_CGZ, (11, 9, 30), receive());
    let c = b.progress(
        50,
        None,
        "已联合县城管执法大队开展两次集中整治,劝离占道摊贩46户;正在协调市场内临时摊位安置。",
    );
    b.step(t, STAFF_CGZ, (8, 15, 0), c);
    b.step(
        t,
        SUPERVISOR2,
        (3, 10, 30),
        Command::Urge {
            channel: UrgeChannel::Phone,
            note: "电话催办:该件已超期,请城关镇尽快完成整治并回访来电群众。".to_owned(),
        },
    );

    // 5. A resumed suspension: the deadline moved by the working time paused.
    let t = task(8);
    let r = b.reg(
        "annual_key_work",
        "年度重点工作:预算绩效管理全覆盖",
        "将县级全部部门预算项目纳入绩效目标管理,开展重点项目绩效评价,评价结果与下年度预算安排挂钩。",
        Source::Document,
    );
    b.step(t, SUPERVISOR, (32, 9, 0), register(r));
    b.step(
        t,
        SUPERVISOR,
        (32, 9, 30),
        dispatch(order(CZJ, Some(STAFF_CZJ), Some(b.ahead(4)))),
    );
    b.step(t, STAFF_CZJ, (32, 14, 0), receive());
    let c = b.progress(
        30,
        None,
        "已完成86个部门预算项目绩效目标审核,正在遴选重点评价项目。",
    );
    b.step(t, STAFF_CZJ, (28, 10, 0), c);
    b.step(
        t,
        STAFF_CZJ,
        (26, 15, 0),
        Command::RequestSuspension {
            reason: "省财政厅正在修订绩效评价指标体系,须待新体系下发后统一开展重点项目评价。"
                .to_owned(),
        },
    );
    b.step(
        t,
        DEPUTY1,
        (25, 10, 0),
        Command::DecideSuspension {
            approve: true,
            opinion: "同意暂停,新体系下发后及时恢复。".to_owned(),
        },
    );
    b.step(
        t,
        STAFF_CZJ,
        (19, 9, 30),
        Command::RequestResumption {
            reason: "省财政厅已印发新版绩效评价指标体系,具备恢复条件。".to_owned(),
        },
    );
    b.step(
        t,
        DEPUTY1,
        (18, 11, 0),
        Command::DecideResumption {
            approve: true,
            opinion: "同意恢复。".to_owned(),
        },
    );
    let c = b.progress(
        75,
        None,
        "已按新指标体系完成12个重点项目绩效评价,评价报告正在征求部门意见。",
    );
    b.step(t, STAFF_CZJ, (6, 16, 0), c);

    // 6. Found by the inspector on site; the inspector dispatches and follows it up.
    let t = task(9);
    let r = b.reg(
        "rectification",
        "纪检监察发现问题整改:柳河镇惠民惠农补贴资金发放台账不规范",
        "派驻纪检监察组在日常监督中发现,柳河镇耕地地力保护补贴发放台账存在签字不全、\
         部分发放记录与银行流水不一致等问题。请逐户核实,完善台账并报送整改情况。",
        Source::OnSite,
    );
    b.step(t, INSPECTOR, (10, 10, 0), register(r));
    b.step(
        t,
        INSPECTOR,
        (10, 11, 0),
        dispatch(order(LHZ, Some(HEAD_LHZ), Some(b.ahead(8)))),
    );
    b.step(t, HEAD_LHZ, (9, 9, 30), receive());
    let c = b.progress(
        30,
        None,
        "已成立核查小组,完成6个行政村共1320户的逐户核对,发现记录不一致23户,正在与银行对账。",
    );
    b.step(t, HEAD_LHZ, (5, 16, 0), c);
    let c = b.comment(
        "请同步梳理近三年的补贴发放记录,发现问题一并整改,并建立台账定期公示制度。",
        None,
    );
    b.step(t, INSPECTOR, (4, 10, 0), c);

    // 7. A higher-level inspection on time, with a participant unit.
    let t = task(29);
    let r = b.reg(
        "higher_level",
        "上级督查事项:生态环境保护督察反馈问题——县城区黑臭水体治理",
        "省生态环境保护督察反馈:县城区东沟、南河支渠存在黑臭水体反弹问题。请制定治理方案,\
         完成截污纳管和清淤,确保水质稳定达标。",
        Source::Document,
    );
    b.step(t, SUPERVISOR, (14, 9, 30), register(r));
    let mut o = order(STJ, Some(STAFF_STJ), Some(b.ahead(20)));
    o.participants = vec![to_unit(ZJJ)];
    b.step(t, SUPERVISOR, (14, 10, 0), dispatch(o));
    b.step(t, STAFF_STJ, (13, 9, 0), receive());
    let c = b.progress(
        25,
        None,
        "治理方案已经县政府常务会议审议通过;东沟截污纳管工程已开工,完成管网铺设约800米。",
    );
    b.step(t, STAFF_STJ, (6, 15, 0), c);
}

/// Items waiting for someone's decision: extension requests, a suspension request, a
/// suspension waiting to resume, registrations waiting for approval.
fn pending_decision_items(b: &mut Builder<'_>) {
    // A first extension approved; the second waits for the county head.
    let t = task(5);
    let r = b.reg(
        "annual_key_work",
        "年度重点工作:全县中小学食堂“明厨亮灶”建设",
        "全县43所中小学食堂全部完成“明厨亮灶”改造,后厨操作视频接入县市场监管智慧监管平台。",
        Source::Document,
    );
    b.step(t, SUPERVISOR, (33, 9, 30), register(r));
    b.step(
        t,
        SUPERVISOR,
        (33, 10, 30),
        dispatch(order(JYJ, Some(STAFF_JYJ), Some(b.back(12)))),
    );
    b.step(t, STAFF_JYJ, (32, 9, 0), receive());
    let c = b.progress(
        40,
        None,
        "已完成城区17所学校改造,视频已接入平台;农村学校设备采购已完成招标。",
    );
    b.step(t, STAFF_JYJ, (25, 16, 0), c);
    b.step(
        t,
        STAFF_JYJ,
        (15, 10, 0),
        Command::RequestExtension {
            until: b.ahead(3),
            reason: "部分农村学校食堂需同步进行电路增容改造,设备到货延迟。".to_owned(),
        },
    );
    b.step(
        t,
        DEPUTY3,
        (14, 11, 0),
        Command::DecideExtension {
            approve: true,
            opinion: "同意,请教育局挂图作战,不得再拖。".to_owned(),
        },
    );
    let c = b.progress(
        75,
        None,
        "已完成32所学校改造;剩余11所农村学校电路增容正在施工。",
    );
    b.step(t, STAFF_JYJ, (8, 15, 0), c);
    b.step(
        t,
        STAFF_JYJ,
        (2, 10, 0),
        Command::RequestExtension {
            until: b.ahead(13),
            reason: "供电部门线路改造排期推迟,剩余11所学校须待电路增容完成后方可安装设备。"
                .to_owned(),
        },
    );

    // A first extension waiting for the deputy leader in charge.
    let t = task(6);
    let r = b.reg(
        "meeting_decision",
        "县政府常务会议决定事项:县人民医院发热门诊改造",
        "县政府常务会议决定:县人民医院发热门诊按照“三区两通道”标准改造,增设负压病房4间。",
        Source::Meeting,
    );
    b.step(t, SUPERVISOR, (20, 9, 30), register(r));
    b.step(
        t,
        SUPERVISOR,
        (20, 10, 0),
        dispatch(order(WJJ, Some(HEAD_WJJ), Some(b.ahead(3)))),
    );
    b.step(t, HEAD_WJJ, (19, 9, 0), receive());
    let c = b.progress(
        60,
        None,
        "土建改造已完成,通风系统正在安装调试;负压病房设备正在采购。",
    );
    b.step(t, HEAD_WJJ, (12, 16, 0), c);
    b.step(
        t,
        HEAD_WJJ,
        (1, 10, 0),
        Command::RequestExtension {
            until: b.ahead(15),
            reason: "负压病房设备须经省级集中采购平台统一采购,到货时间推迟约三周。".to_owned(),
        },
    );

    // A suspension request waiting for the deputy leader.
    let t = task(7);
    let r = b.reg(
        "annual_key_work",
        "年度重点工作:争取中央预算内投资项目申报",
        "组织全县各部门谋划储备项目,争取中央预算内投资项目不少于8个,资金不少于1.2亿元。",
        Source::Document,
    );
    b.step(t, SUPERVISOR, (16, 9, 30), register(r));
    b.step(
        t,
        SUPERVISOR,
        (16, 10, 0),
        dispatch(order(FGJ, Some(STAFF_FGJ), Some(b.ahead(12)))),
    );
    b.step(t, STAFF_FGJ, (15, 9, 30), receive());
    let c = b.progress(
        20,
        None,
        "已梳理储备项目23个,其中11个已完成可研批复,正在完善项目申报材料。",
    );
    b.step(t, STAFF_FGJ, (10, 16, 0), c);
    b.step(
        t,
        STAFF_FGJ,
        (1, 15, 0),
        Command::RequestSuspension {
            reason: "国家发展改革委调整了专项申报要求,须待新的申报指南发布后方可继续申报。"
                .to_owned(),
        },
    );

    // Suspended: the clock stands still.
    let t = task(10);
    let r = b.reg(
        "major_project",
        "重大项目:县城区集中供热管网改造",
        "改造县城区老旧供热主管网12.6公里、换热站9座,解决供热“最后一公里”问题。",
        Source::Document,
    );
    b.step(t, SUPERVISOR, (30, 9, 30), register(r));
    b.step(
        t,
        SUPERVISOR,
        (30, 10, 0),
        dispatch(order(ZJJ, Some(STAFF_ZJJ), Some(b.ahead(10)))),
    );
    b.step(t, STAFF_ZJJ, (29, 9, 30), receive());
    let c = b.progress(
        40,
        None,
        "已完成主管网改造5.1公里、换热站3座;剩余工程施工图已完成。",
    );
    b.step(t, STAFF_ZJJ, (20, 16, 0), c);
    b.step(
        t,
        STAFF_ZJJ,
        (8, 10, 0),
        Command::RequestSuspension {
            reason: "省级专项资金尚未下达,施工单位无法继续垫资施工,申请暂停。".to_owned(),
        },
    );
    b.step(
        t,
        DEPUTY1,
        (7, 15, 0),
        Command::DecideSuspension {
            approve: true,
            opinion: "同意暂停。请住建局积极对接省住建厅,资金到位后立即恢复。".to_owned(),
        },
    );

    // Suspended, with a resumption request waiting for the deputy leader.
    let t = task(11);
    let r = b.reg(
        "annual_key_work",
        "年度重点工作:柳河镇农村人居环境整治提升",
        "完成柳河镇8个行政村生活污水治理和户厕改造,村庄保洁实现常态化。",
        Source::Document,
    );
    b.step(t, SUPERVISOR, (24, 9, 30), register(r));
    b.step(
        t,
        SUPERVISOR,
        (24, 10, 0),
        dispatch(order(LHZ, Some(STAFF_LHZ), Some(b.ahead(6)))),
    );
    b.step(t, STAFF_LHZ, (24, 15, 0), receive());
    let c = b.progress(35, None, "已完成3个行政村污水管网铺设和户厕改造412户。");
    b.step(t, STAFF_LHZ, (18, 16, 0), c);
    b.step(
        t,
        STAFF_LHZ,
        (14, 10, 0),
        Command::RequestSuspension {
            reason: "污水处理站选址涉及基本农田,须待县自然资源部门完成规划调整后方可施工。"
                .to_owned(),
        },
    );
    b.step(
        t,
        DEPUTY3,
        (13, 11, 0),
        Command::DecideSuspension {
            approve: true,
            opinion: "同意暂停,请柳河镇主动对接自然资源局加快办理。".to_owned(),
        },
    );
    b.step(
        t,
        STAFF_LHZ,
        (1, 10, 0),
        Command::RequestResumption {
            reason: "规划调整已获批复,污水处理站具备开工条件。".to_owned(),
        },
    );

    // Awaiting approval: the deputy agreed, the county head's turn.
    let t = task(27);
    let mut r = b.reg(
        "major_project",
        "重大项目:清河县工业园区污水处理厂二期工程",
        "新建日处理能力2万吨的污水处理厂二期工程及配套管网,总投资1.8亿元,拟申请专项债券资金。",
        Source::Document,
    );
    r.approval_chain = vec![DEPUTY1, LEADER];
    b.step(t, SUPERVISOR, (4, 9, 0), register(r));
    b.step(t, SUPERVISOR, (4, 9, 10), Command::SubmitForApproval);
    b.step(t, DEPUTY1, (4, 9, 20), Command::Follow);
    b.step(
        t,
        DEPUTY1,
        (3, 11, 0),
        Command::DecideRegistration {
            approve: true,
            opinion: "同意立项,报县长审定。".to_owned(),
        },
    );

    // Returned by the approver, amended and submitted again.
    let t = task(28);
    let mut r = b.reg(
        "annual_key_work",
        "年度重点工作:“四好农村路”提质改造",
        "完成农村公路提质改造86公里,危桥改造5座,实现具备条件的自然村通硬化路。",
        Source::Document,
    );
    r.approval_chain = vec![DEPUTY2];
    b.step(t, SUPERVISOR, (6, 9, 30), register(r));
    b.step(t, SUPERVISOR, (6, 9, 40), Command::SubmitForApproval);
    b.step(
        t,
        DEPUTY2,
        (5, 10, 0),
        Command::DecideRegistration {
            approve: false,
            opinion: "请补充资金来源和分年度实施计划后再报。".to_owned(),
        },
    );
    b.step(
        t,
        SUPERVISOR,
        (5, 15, 0),
        Command::AmendDraft(Box::new(DraftPatch {
            content: Some(
                "完成农村公路提质改造86公里,危桥改造5座,实现具备条件的自然村通硬化路。\
                 资金来源:省级补助3200万元、县级配套1800万元;分两年实施,今年完成50公里。"
                    .to_owned(),
            ),
            ..DraftPatch::default()
        })),
    );
    b.step(t, SUPERVISOR, (4, 9, 30), Command::SubmitForApproval);
}

/// Items through review: under review, completed, closed with a rating, archived, revoked.
fn finished_items(b: &mut Builder<'_>) {
    // Declined by the wrong unit, re-dispatched, shared, returned for rework, accepted.
    let t = task(15);
    let r = b.reg(
        "meeting_decision",
        "县政府常务会议决定事项:县城区主干道破损路面修复",
        "县政府常务会议决定:对人民路、长江路破损路面和井盖沉陷进行集中修复,修复后路面平整度须达到规范要求。",
        Source::Meeting,
    );
    b.step(t, SUPERVISOR, (26, 9, 0), register(r));
    b.step(
        t,
        SUPERVISOR,
        (26, 10, 0),
        dispatch(order(CGJ, Some(HEAD_CGJ), Some(b.back(12)))),
    );
    b.step(
        t,
        HEAD_CGJ,
        (25, 16, 0),
        Command::Decline {
            reason: "人民路、长江路属于国省干线过境段,由县交通运输局公路养护中心负责养护,不属于我局职责。"
                .to_owned(),
        },
    );
    b.step(
        t,
        SUPERVISOR,
        (24, 9, 30),
        dispatch(order(JTJ, Some(STAFF_JTJ), Some(b.back(12)))),
    );
    b.step(t, STAFF_JTJ, (24, 14, 0), receive());
    b.step(
        t,
        STAFF_JTJ,
        (23, 10, 0),
        Command::Share {
            with: vec![STAFF_JTJ2],
        },
    );
    let c = b.progress(
        60,
        None,
        "已完成人民路破损路面修复3200平方米、沉陷井盖更换27处;长江路正在施工。",
    );
    b.step(t, STAFF_JTJ2, (20, 15, 0), c);
    let c = b.completion("人民路、长江路破损路面及沉陷井盖已全部修复,共计修复路面5600平方米。");
    b.step(t, STAFF_JTJ, (15, 16, 0), c);
    b.step(
        t,
        SUPERVISOR,
        (14, 10, 0),
        rework(
            "经现场核查,长江路K2+300处修补路面平整度不达标,雨后存在积水,请返工并补充检测报告。",
            b.back(8),
        ),
    );
    let c = b
        .completion("已对长江路K2+300处重新铣刨摊铺,经第三方检测平整度合格,检测报告已报送督查室。");
    b.step(t, STAFF_JTJ2, (9, 15, 0), c);
    b.step(
        t,
        SUPERVISOR,
        (8, 10, 0),
        accept("经复核,返工到位,同意验收。"),
    );

    // Completed and rated, waiting to be closed.
    let t = task(18);
    let r = b.reg(
        "higher_level",
        "上级督查事项:市政府督查组反馈城镇燃气安全隐患问题",
        "市政府督查组暗访发现:城关镇部分餐饮场所未安装燃气泄漏报警装置,个别液化气钢瓶超期未检。请限期整改。",
        Source::Document,
    );
    b.step(t, SUPERVISOR2, (18, 9, 30), register(r));
    b.step(
        t,
        SUPERVISOR2,
        (18, 10, 0),
        dispatch(order(CGZ, Some(HEAD_CGZ), None)),
    );
    b.step(t, HEAD_CGZ, (17, 9, 0), receive());
    let c = b.progress(
        50,
        None,
        "已排查餐饮场所214家,督促安装燃气泄漏报警装置96家,收缴超期钢瓶38只。",
    );
    b.step(t, HEAD_CGZ, (14, 15, 0), c);
    let c = b.completion(
        "反馈问题已全部整改:全镇214家餐饮场所均已安装报警装置,超期钢瓶全部收缴并更换,已建立月度巡查制度。",
    );
    b.step(t, HEAD_CGZ, (11, 16, 0), c);
    b.step(
        t,
        SUPERVISOR2,
        (10, 10, 0),
        accept("经抽查12家餐饮场所,整改到位。"),
    );
    b.step(
        t,
        DEPUTY1,
        (9, 11, 0),
        rate(4, "整改较为及时,要建立常态化巡查机制,防止问题反弹。"),
    );

    // Under review: a hotline item with the caller's name and phone (confidential attributes).
    let t = task(16);
    let mut r = b.reg(
        "hotline",
        "12345热线:居民反映夜间施工噪音扰民",
        "来电人反映:滨河花园小区南侧在建工地连续多日夜间施工至凌晨,噪音严重影响休息,要求尽快处理并回复。",
        Source::Other,
    );
    r.urgency = Urgency::Urgent;
    // Internal: the bureau's staff see the item; the caller's name and phone are confidential
    // attributes of the hotline category and reach only those who must call back.
    let at = b.at(7, 9, 20);
    r.attributes
        .insert("hotline_ticket".to_owned(), ticket(b.calendar, at, 388));
    r.attributes
        .insert("caller_name".to_owned(), "刘桂芬".to_owned());
    r.attributes
        .insert("caller_phone".to_owned(), "138-0000-5678".to_owned());
    b.step(t, SUPERVISOR2, (7, 9, 20), register(r));
    b.step(
        t,
        SUPERVISOR2,
        (7, 9, 40),
        dispatch(order(CGJ, Some(STAFF_CGJ), None)),
    );
    b.step(t, STAFF_CGJ, (7, 10, 30), receive());
    let c = b.completion(
        "已约谈施工单位并下达整改通知,责令夜间22时至次日6时停止高噪声作业;连续三晚夜查未发现违规施工。\
         已电话回访来电人,来电人表示满意。",
    );
    b.step(t, STAFF_CGJ, (4, 16, 0), c);

    // Under review after the report approver approved the completion (one report returned).
    let t = task(17);
    let r = b.reg(
        "meeting_decision",
        "县政府常务会议决定事项:县城区生活垃圾分类收运体系建设",
        "县城区建成“分类投放、分类收集、分类运输、分类处理”体系,新建垃圾分类亭120座,购置分类运输车辆8辆。",
        Source::Meeting,
    );
    b.step(t, SUPERVISOR, (22, 9, 30), register(r));
    let mut o = order(CGJ, Some(STAFF_CGJ2), Some(b.ahead(2)));
    o.report_approver = Some(HEAD_CGJ);
    b.step(t, SUPERVISOR, (22, 10, 0), dispatch(o));
    b.step(t, STAFF_CGJ2, (21, 9, 30), receive());
    let c = b.progress(40, None, "已建成垃圾分类亭52座,分类运输车辆已完成招标。");
    b.step(t, STAFF_CGJ2, (18, 15, 0), c);
    let report = b.last_report();
    b.step(t, HEAD_CGJ, (17, 9, 30), approve_report(report, "同意。"));
    let c = b.progress(70, None, "已建成垃圾分类亭90座,运输车辆到位8辆。");
    b.step(t, STAFF_CGJ2, (10, 16, 0), c);
    let report = b.last_report();
    b.step(
        t,
        HEAD_CGJ,
        (9, 10, 0),
        Command::DecideReport {
            report,
            approve: false,
            opinion: "分类亭建成数量与现场核查不符(实际84座),请核实后重新报送。".to_owned(),
        },
    );
    let c = b.progress(
        65,
        None,
        "经核实,已建成并投入使用的垃圾分类亭84座,另有6座正在安装;运输车辆到位8辆。",
    );
    b.step(t, STAFF_CGJ2, (9, 15, 0), c);
    let report = b.last_report();
    b.step(t, HEAD_CGJ, (8, 9, 30), approve_report(report, ""));
    let c = b.completion(
        "垃圾分类亭120座全部建成投用,8辆分类运输车辆投入运营,县城区32个小区实现分类收运全覆盖。",
    );
    b.step(t, STAFF_CGJ2, (3, 16, 0), c);
    let report = b.last_report();
    b.step(
        t,
        HEAD_CGJ,
        (2, 10, 0),
        approve_report(report, "情况属实,同意报督查室复核。"),
    );

    // Closed: a hotline item handled within a day, rated five stars.
    let t = task(19);
    let mut r = b.reg(
        "hotline",
        "12345热线:城关镇幸福里小区周边路灯损坏",
        "市民反映幸福里小区东侧道路路灯大面积不亮已有一周,夜间出行存在安全隐患。",
        Source::Other,
    );
    r.urgency = Urgency::Urgent;
    let at = b.at(22, 9, 15);
    r.attributes
        .insert("hotline_ticket".to_owned(), ticket(b.calendar, at, 158));
    b.step(t, SUPERVISOR2, (22, 9, 15), register(r));
    b.step(
        t,
        SUPERVISOR2,
        (22, 9, 30),
        dispatch(order(CGJ_SZ, Some(STAFF_SZZX), None)),
    );
    b.step(t, STAFF_SZZX, (22, 11, 0), receive());
    let c = b.completion(
        "已更换损坏LED灯具12盏,修复地埋电缆故障1处,全路段照明恢复正常;已回访来电群众,群众满意。",
    );
    b.step(t, STAFF_SZZX, (21, 15, 30), c);
    b.step(
        t,
        SUPERVISOR2,
        (20, 10, 0),
        accept("经夜间现场核实,路灯已全部恢复。"),
    );
    b.step(t, DEPUTY2, (20, 15, 0), rate(5, "响应迅速,处置到位。"));
    b.step(t, SUPERVISOR2, (19, 9, 30), Command::Close);

    // Closed: finished early, a score adjustment, rated.
    let t = task(20);
    let r = b.reg(
        "meeting_decision",
        "县政府常务会议决定事项:落实森林防灭火责任制",
        "县政府常务会议决定:压实森林防灭火责任,完成重点林区防火隔离带建设和护林员网格化管理。",
        Source::Meeting,
    );
    b.step(t, SUPERVISOR, (34, 9, 30), register(r));
    let mut o = order(YJJ, Some(HEAD_YJJ), Some(b.back(24)));
    o.participants = vec![to_unit(LHZ)];
    b.step(t, SUPERVISOR, (34, 10, 0), dispatch(o));
    b.step(t, HEAD_YJJ, (33, 9, 30), receive());
    b.step(t, STAFF_LHZ, (33, 10, 30), receive());
    let c = b.progress(50, None, "已完成防火隔离带建设18公里,护林员网格划分完成。");
    b.step(t, HEAD_YJJ, (30, 15, 0), c);
    let c = b.completion(
        "全县重点林区防火隔离带36公里全部建成,128名护林员实行网格化管理,已开展防灭火演练2次。",
    );
    b.step(t, HEAD_YJJ, (27, 16, 0), c);
    b.step(t, SUPERVISOR, (26, 10, 0), accept("经复核,已按要求完成。"));
    let c = b.adjust(
        Points::whole(2),
        "提前完成并建立护林员网格化巡护长效机制,予以加分。",
    );
    b.step(t, SUPERVISOR, (26, 11, 0), c);
    b.step(
        t,
        LEADER,
        (25, 15, 0),
        rate(4, "工作扎实,要保持常态化管理。"),
    );
    b.step(t, SUPERVISOR, (24, 9, 30), Command::Close);

    // Closed: a leader's instruction returned once for rework, then accepted.
    let t = task(21);
    let mut r = b.reg(
        "instruction",
        "关于县第一中学教学楼屋面渗漏维修的批示",
        "王建国县长批示:县一中教学楼屋面渗漏影响正常教学,请教育局立即组织维修,确保师生安全。",
        Source::Instruction,
    );
    r.instructing_leader = Some(LEADER);
    b.step(t, SUPERVISOR, (30, 9, 0), register(r));
    let mut o = order(JYJ, Some(HEAD_JYJ), None);
    o.responsible_leader = Some(LEADER);
    b.step(t, SUPERVISOR, (30, 9, 30), dispatch(o));
    b.step(t, HEAD_JYJ, (30, 15, 0), receive());
    let c = b.completion("教学楼屋面防水层已全部翻新,共计1850平方米,经雨天检验无渗漏。");
    b.step(t, HEAD_JYJ, (26, 16, 0), c);
    b.step(
        t,
        SUPERVISOR,
        (25, 10, 0),
        rework(
            "未提供房屋安全鉴定报告和维修工程验收资料,请补充后重新报送。",
            b.back(20),
        ),
    );
    let c = b.completion(
        "已补充房屋安全鉴定报告(鉴定等级B级)和维修工程竣工验收资料,屋面经两次降雨检验无渗漏。",
    );
    b.step(t, HEAD_JYJ, (22, 15, 0), c);
    b.step(t, SUPERVISOR, (21, 10, 0), accept("资料齐全,同意验收。"));
    b.step(
        t,
        LEADER,
        (21, 16, 0),
        rate(3, "维修基本到位,但首次报送资料不全,今后要注意工作质量。"),
    );
    b.step(t, SUPERVISOR, (20, 9, 30), Command::Close);
}

/// The oldest items and the short-lived ones: archived, revoked, drafts, new dispatches and a
/// decline.
fn early_items(b: &mut Builder<'_>) {
    // Closed, then archived.
    let t = task(22);
    let r = b.reg(
        "higher_level",
        "上级督查事项:审计反馈专项资金拨付滞后问题整改",
        "省审计厅审计反馈:部分中央和省级专项资金拨付滞后,形成沉淀资金2860万元。请加快拨付并建立预警机制。",
        Source::Document,
    );
    b.step(t, SUPERVISOR, (40, 9, 30), register(r));
    b.step(
        t,
        SUPERVISOR,
        (40, 10, 0),
        dispatch(order(CZJ, Some(HEAD_CZJ), Some(b.back(28)))),
    );
    b.step(t, HEAD_CZJ, (39, 9, 30), receive());
    let c = b.progress(
        60,
        None,
        "已拨付沉淀资金1720万元,剩余资金正在督促项目单位加快支出进度。",
    );
    b.step(t, HEAD_CZJ, (35, 15, 0), c);
    let c = b.completion("沉淀资金2860万元已全部拨付到位;已建立专项资金支出进度月通报和预警机制。");
    b.step(t, HEAD_CZJ, (30, 16, 0), c);
    b.step(
        t,
        SUPERVISOR,
        (29, 10, 0),
        accept("经核查,资金已拨付到位。"),
    );
    b.step(t, DEPUTY1, (29, 15, 0), rate(4, "整改彻底,机制健全。"));
    b.step(t, SUPERVISOR, (28, 9, 30), Command::Close);
    b.step(t, SUPERVISOR, (5, 10, 0), Command::Archive);

    // Revoked, then archived.
    let t = task(23);
    let r = b.reg(
        "meeting_decision",
        "县政府常务会议决定事项:县城区重要路口智能交通信号灯改造",
        "对县城区14个重要路口的交通信号灯进行智能化改造,实现绿波通行。",
        Source::Meeting,
    );
    b.step(t, SUPERVISOR, (21, 9, 30), register(r));
    b.step(
        t,
        SUPERVISOR,
        (21, 10, 0),
        dispatch(order(JTJ, Some(HEAD_JTJ), Some(b.ahead(5)))),
    );
    b.step(t, HEAD_JTJ, (20, 9, 30), receive());
    b.step(
        t,
        SUPERVISOR,
        (17, 10, 0),
        Command::Revoke {
            reason: "经县政府常务会议研究,该项目并入城区道路综合改造工程统一实施,原事项撤销。"
                .to_owned(),
        },
    );
    b.step(t, SUPERVISOR, (15, 15, 0), Command::Archive);

    // Revoked.
    let t = task(24);
    let r = b.reg(
        "meeting_decision",
        "县政府常务会议决定事项:筹办柳河镇首届乡村文化旅游节",
        "由柳河镇牵头筹办首届乡村文化旅游节,展示特色农产品和非遗项目。",
        Source::Meeting,
    );
    b.step(t, SUPERVISOR, (12, 9, 30), register(r));
    b.step(
        t,
        SUPERVISOR,
        (12, 10, 0),
        dispatch(order(LHZ, Some(HEAD_LHZ), Some(b.ahead(10)))),
    );
    b.step(t, HEAD_LHZ, (11, 9, 30), receive());
    b.step(
        t,
        SUPERVISOR,
        (9, 16, 0),
        Command::Revoke {
            reason: "根据上级关于严格控制节庆活动的通知精神,该活动取消,事项撤销。".to_owned(),
        },
    );

    // Dispatched to a unit as a whole, not yet received.
    let t = task(12);
    let r = b.reg(
        "higher_level",
        "上级督查事项:省政府督查反馈义务教育“大班额”化解",
        "省政府第三督查组反馈:县城区3所小学仍存在56人以上大班额。请制定化解方案,通过新建校舍和调整学区逐步消除。",
        Source::Document,
    );
    b.step(t, SUPERVISOR, (2, 9, 30), register(r));
    b.step(
        t,
        SUPERVISOR,
        (1, 10, 0),
        dispatch(order(JYJ, None, Some(b.ahead(15)))),
    );

    // A leader's instruction dispatched three days ago, not yet received.
    let t = task(13);
    let mut r = b.reg(
        "instruction",
        "关于乡镇卫生院医疗设备闲置问题的批示",
        "刘晓燕副县长批示:部分乡镇卫生院DR、彩超等设备长期闲置,请卫健局全面摸排,提出盘活利用方案。",
        Source::Instruction,
    );
    r.instructing_leader = Some(DEPUTY3);
    b.step(t, SUPERVISOR, (4, 9, 0), register(r));
    b.step(
        t,
        SUPERVISOR,
        (3, 10, 0),
        dispatch(order(WJJ, Some(HEAD_WJJ), None)),
    );
    b.step(t, DEPUTY3, (3, 11, 0), Command::Follow);

    // Declined: waits for the supervision office to dispatch it elsewhere.
    let t = task(14);
    let mut r = b.reg(
        "hotline",
        "12345热线:柳河镇某养殖场异味扰民",
        "市民反映柳河镇北侧一生猪养殖场粪污直排,夏季异味严重,周边居民无法开窗。",
        Source::Other,
    );
    r.urgency = Urgency::Urgent;
    let at = b.at(3, 9, 30);
    r.attributes
        .insert("hotline_ticket".to_owned(), ticket(b.calendar, at, 452));
    b.step(t, SUPERVISOR2, (3, 9, 30), register(r));
    b.step(t, SUPERVISOR2, (3, 10, 0), dispatch(order(CGJ, None, None)));
    b.step(
        t,
        HEAD_CGJ,
        (2, 11, 0),
        Command::Decline {
            reason: "畜禽养殖污染防治属于生态环境部门和属地镇政府职责,建议改派县生态环境局、柳河镇办理。"
                .to_owned(),
        },
    );

    // Drafts.
    let t = task(25);
    let r = b.reg(
        "meeting_decision",
        "县政府常务会议决定事项:推进县城区公共停车场建设",
        "县政府常务会议决定:在老城区新建公共停车场3处,新增停车泊位600个。",
        Source::Meeting,
    );
    b.step(t, SUPERVISOR, (2, 10, 0), register(r));
    b.step(
        t,
        SUPERVISOR,
        (1, 14, 0),
        Command::AmendDraft(Box::new(DraftPatch {
            content: Some(
                "县政府常务会议决定:在老城区新建公共停车场3处(人民路、东关街、体育场北侧),\
                 新增停车泊位600个,由住建局牵头,城管局、自然资源局配合。"
                    .to_owned(),
            ),
            deadline: Some(Some(b.ahead(25))),
            ..DraftPatch::default()
        })),
    );

    let t = task(26);
    let r = b.reg(
        "higher_level",
        "上级督查事项:城镇燃气安全专项整治",
        "按照上级通知要求,开展城镇燃气安全专项整治,全面排查燃气经营、输送、使用各环节隐患。",
        Source::Document,
    );
    b.step(t, SUPERVISOR2, (1, 11, 0), register(r));
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use chrono::{Duration, FixedOffset, TimeZone, Timelike};
    use duban_core::domain::batch::subtask_commands;
    use duban_core::domain::decide::parent_of;
    use duban_core::domain::{
        decide, evolve, Actor, Context, EventKind, Roles, Status, TaskState, UnitTree,
    };

    use super::*;

    fn local(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        FixedOffset::east_opt(8 * 3600)
            .and_then(|o| o.with_ymd_and_hms(y, m, d, h, 0, 0).single())
            .map(|t| t.with_timezone(&Utc))
            .expect("a valid local time")
    }

    /// Replays the scenario the way the server seeds it and returns the final states.
    fn replay(now: DateTime<Utc>) -> (Vec<DemoStep>, BTreeMap<TaskId, TaskState>) {
        let calendar = Calendar::builtin();
        let policy = Policy::default();
        let org = organisation();
        let mut units = UnitTree::default();
        for u in &org.units {
            units.insert(u.id, u.parent);
        }
        let actors: BTreeMap<UserId, Actor> = org
            .people
            .iter()
            .map(|p| {
                (
                    p.id,
                    Actor {
                        id: p.id,
                        unit: p.unit,
                        roles: Roles::of(&p.roles),
                    },
                )
            })
            .collect();
        let steps = scenario(now, &calendar, &policy);
        let mut states: BTreeMap<TaskId, TaskState> = BTreeMap::new();
        let apply = |states: &mut BTreeMap<TaskId, TaskState>,
                     i: usize,
                     task: TaskId,
                     actor: &Actor,
                     at: DateTime<Utc>,
                     command: &Command| {
            let parent_id = parent_of(states.get(&task).unwrap_or(&TaskState::default()), command);
            let parent = parent_id.and_then(|p| states.get(&p).cloned());
            let ctx = Context {
                actor,
                now: at,
                calendar: &calendar,
                policy: &policy,
                units: &units,
                parent: parent_id.zip(parent.as_ref()),
            };
            let state = states.entry(task).or_default();
            let events = match decide(state, command, &ctx) {
                Ok(e) => e,
                Err(r) => panic!(
                    "step {i} ({:?} on {task} at {at}) refused: {r}",
                    command.kind()
                ),
            };
            for e in &events {
                *state = evolve(std::mem::take(state), e);
            }
            events
        };
        for (i, step) in steps.iter().enumerate() {
            let actor = actors
                .get(&step.actor)
                .unwrap_or_else(|| panic!("step {i}: unknown actor"));
            let events = apply(&mut states, i, step.task, actor, step.at, &step.command);
            for e in events {
                if let EventKind::Decomposed(spec) = &e.kind {
                    let parent = states[&step.task].clone();
                    for c in subtask_commands(step.task, &parent, spec, step.actor) {
                        apply(&mut states, i, spec.child, actor, step.at, &c);
                    }
                }
            }
        }
        (steps, states)
    }

    fn check(now: DateTime<Utc>) {
        let calendar = Calendar::builtin();
        let (steps, states) = replay(now);
        assert!(states.len() >= 25, "{} items", states.len());

        let seen: BTreeSet<Status> = states.values().map(|s| s.status).collect();
        for status in Status::ALL {
            if status != Status::New {
                assert!(seen.contains(&status), "no item ends {status:?}");
            }
        }
        for (id, s) in &states {
            s.check_invariants()
                .unwrap_or_else(|e| panic!("item {id}: {e}"));
        }

        // Time: non-decreasing, before now, working days in office hours, strictly increasing
        // within an item.
        assert!(steps.windows(2).all(|w| w[0].at <= w[1].at));
        let mut last: BTreeMap<TaskId, DateTime<Utc>> = BTreeMap::new();
        for (i, s) in steps.iter().enumerate() {
            assert!(s.at < now, "step {i} is not before now");
            let t = calendar.to_local(s.at);
            assert!(calendar.is_working_day(t.date()), "step {i} on a day off");
            let minutes = t.hour() * 60 + t.minute();
            assert!(
                (9 * 60..=17 * 60 + 30).contains(&minutes),
                "step {i} at {t}"
            );
            if let Some(prev) = last.insert(s.task, s.at) {
                assert!(
                    prev < s.at,
                    "step {i} is not after its item's previous step"
                );
            }
            assert!(now - s.at < Duration::days(92), "step {i} too old");
        }

        // Overdue and on-time items in progress.
        let overdue = states
            .values()
            .filter(|s| s.status == Status::InProgress && s.deadline.is_some_and(|d| d < now))
            .count();
        let on_time = states
            .values()
            .filter(|s| s.status == Status::InProgress && s.deadline.is_some_and(|d| d > now))
            .count();
        assert!(
            overdue >= 2 && on_time >= 3,
            "{overdue} overdue, {on_time} on time"
        );
        assert!(states.values().any(|s| s.parent.is_some()), "a subtask");
        assert!(
            states.values().any(|s| s.escalated.is_some()),
            "an escalation"
        );
        assert!(states.values().any(|s| !s.returns.is_empty()), "a return");
        assert!(states.values().any(|s| !s.sharers.is_empty()), "a share");
        assert!(
            states.values().any(|s| !s.pauses.is_empty()),
            "a resumption"
        );
        assert!(
            states.values().any(|s| s.instructions > 0),
            "an instruction"
        );
        assert!(
            states.values().any(|s| !s.followers.is_empty()),
            "a follower"
        );
        assert!(
            states
                .values()
                .any(|s| s.status == Status::Closed && !s.ratings.is_empty()),
            "a closed item with a rating"
        );
    }

    #[test]
    fn the_scenario_replays_through_the_rules() {
        check(local(2026, 11, 20, 10));
    }

    #[test]
    fn the_scenario_does_not_depend_on_one_date() {
        check(local(2026, 6, 15, 10));
        check(local(2025, 3, 3, 9));
        check(local(2026, 10, 9, 16));
    }

    #[test]
    fn numbers_follow_the_categories_in_time_order() {
        let steps = scenario(
            local(2026, 11, 20, 10),
            &Calendar::builtin(),
            &Policy::default(),
        );
        let mut seen = BTreeSet::new();
        for s in &steps {
            if let Command::Register(r) = &s.command {
                assert!(seen.insert((r.category.clone(), r.number.year, r.number.seq)));
            }
        }
        let (_, states) = replay(local(2026, 11, 20, 10));
        // Numbered per category (two categories of the default policy share the prefix 督).
        let numbers: BTreeSet<(String, String)> = states
            .values()
            .filter_map(|s| Some((s.category.clone(), s.number.as_ref()?.to_string())))
            .collect();
        assert_eq!(numbers.len(), states.len(), "every item has its own number");
    }

    #[test]
    fn the_organisation_has_every_role_and_unique_usernames() {
        let org = organisation();
        let names: BTreeSet<&str> = org.people.iter().map(|p| p.username.as_str()).collect();
        assert_eq!(names.len(), org.people.len(), "usernames are unique");
        for role in [
            Role::Admin,
            Role::MainLeader,
            Role::DeputyLeader,
            Role::Supervisor,
            Role::Inspector,
            Role::UnitHead,
            Role::Staff,
        ] {
            assert!(
                org.people.iter().any(|p| p.roles.contains(&role)),
                "no account with {role:?}"
            );
        }
        assert!(org
            .people
            .iter()
            .any(|p| p.username == "supervisor" && p.roles.contains(&Role::Supervisor)));
        let handling: BTreeSet<UnitId> = org
            .people
            .iter()
            .filter(|p| p.roles.contains(&Role::UnitHead))
            .filter_map(|p| p.unit)
            .collect();
        assert!(handling.len() >= 8, "{} handling units", handling.len());
        // Units are listed after their parents; people belong to known units.
        let mut known = BTreeSet::new();
        for u in &org.units {
            assert!(u.parent.is_none_or(|p| known.contains(&p)));
            assert!(known.insert(u.id));
        }
        assert!(org
            .people
            .iter()
            .all(|p| p.unit.is_some_and(|u| known.contains(&u))));
        assert!(org
            .people
            .iter()
            .filter(|p| p.roles.contains(&Role::DeputyLeader))
            .all(|p| !p.in_charge.is_empty()));
        for (username, zh, en) in accounts() {
            assert!(names.contains(username.as_str()), "{username}");
            assert!(!zh.is_empty() && !en.is_empty());
        }
        for required in ["admin", "leader", "deputy1", "supervisor", "inspector"] {
            assert!(accounts().iter().any(|a| a.0 == required), "{required}");
        }
    }

    /// Everything the demo module gives out, for one `now`, as JSON: the organisation, the
    /// accounts and the scenario's steps (times, items, actors and commands in full).
    fn snapshot(now: DateTime<Utc>) -> serde_json::Value {
        let org = organisation();
        let units: Vec<serde_json::Value> = org
            .units
            .iter()
            .map(|u| {
                serde_json::json!({
                    "id": u.id, "parent": u.parent, "name": u.name, "name_en": u.name_en,
                })
            })
            .collect();
        let people: Vec<serde_json::Value> = org
            .people
            .iter()
            .map(|p| {
                serde_json::json!({
                    "id": p.id, "username": p.username, "name": p.name, "unit": p.unit,
                    "position": p.position, "roles": p.roles, "in_charge": p.in_charge,
                })
            })
            .collect();
        let steps: Vec<serde_json::Value> = scenario(now, &Calendar::builtin(), &Policy::default())
            .iter()
            .map(|s| {
                serde_json::json!({
                    "actor": s.actor, "at": s.at, "task": s.task, "command": s.command,
                })
            })
            .collect();
        serde_json::json!({
            "now": now,
            "organisation": {"name": org.name, "units": units, "people": people},
            "accounts": accounts(),
            "scenario": steps,
        })
    }

    /// The times the snapshot is taken at: one in full, the others (a spring after the Spring
    /// Festival, a summer before the Dragon Boat Festival, the day after the National Day
    /// week) by the BLAKE3 hash of their JSON.
    const SNAPSHOT_AT: (i32, u32, u32, u32) = (2026, 11, 20, 10);
    const HASHED_AT: [(i32, u32, u32, u32); 3] =
        [(2026, 6, 15, 10), (2025, 3, 3, 9), (2026, 10, 9, 16)];

    fn hash_of(v: &serde_json::Value) -> String {
        blake3::hash(v.to_string().as_bytes()).to_hex().to_string()
    }

    /// The demo's content is fixed: what the module gives out equals the snapshot taken when
    /// the scenario was still written as code (`expected.json`), to the byte.
    #[test]
    fn the_demo_gives_out_exactly_the_snapshot() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("demo/expected.json")).expect("the snapshot");
        let expected = &file["snapshot"];
        let (y, m, d, h) = SNAPSHOT_AT;
        let actual = snapshot(local(y, m, d, h));
        assert_eq!(actual["organisation"], expected["organisation"]);
        assert_eq!(actual["accounts"], expected["accounts"]);
        let (a, e) = (
            actual["scenario"].as_array().expect("steps"),
            expected["scenario"].as_array().expect("steps"),
        );
        for (i, (a, e)) in a.iter().zip(e).enumerate() {
            assert_eq!(a, e, "step {i}");
        }
        assert_eq!(a.len(), e.len());
        assert_eq!(&actual, expected);
        for ((y, m, d, h), hash) in HASHED_AT
            .iter()
            .zip(file["hashes"].as_array().expect("hashes"))
        {
            assert_eq!(
                Some(hash_of(&snapshot(local(*y, *m, *d, *h))).as_str()),
                hash.as_str(),
                "{y}-{m}-{d} {h}:00"
            );
        }
    }

    /// Writes `expected.json` (run once, from the scenario written as code):
    /// `cargo test -p duban-server --lib -- --ignored write_the_snapshot`.
    #[test]
    #[ignore]
    fn write_the_snapshot() {
        let (y, m, d, h) = SNAPSHOT_AT;
        let hashes: Vec<String> = HASHED_AT
            .iter()
            .map(|(y, m, d, h)| hash_of(&snapshot(local(*y, *m, *d, *h))))
            .collect();
        let out = serde_json::json!({"snapshot": snapshot(local(y, m, d, h)), "hashes": hashes});
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/demo/expected.json");
        std::fs::write(
            path,
            serde_json::to_string_pretty(&out).expect("json") + "\n",
        )
        .expect("write");
    }

    /// `cargo test -- --ignored --nocapture` prints the items and their final statuses.
    #[test]
    #[ignore]
    fn print_items() {
        let (_, states) = replay(local(2026, 11, 20, 10));
        for s in states.values() {
            println!(
                "{} | {} | {} | {}",
                s.number
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                s.category,
                s.status.name_zh(),
                s.title
            );
        }
    }
}
