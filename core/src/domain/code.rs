//! Stable codes and names of the simple enums: every unit-only enum of the domain (and of
//! the sync protocol) has one [`Code`], the text it is stored and sent as (exactly its serde
//! name, e.g. `extra_urgent`), and its names in zh-CN and English, as every screen shows
//! them. The server, the web pages and the phones take the names from here, never from a
//! table of their own.

use super::calendar::{DayKind, SpecialKind};
use super::command::{CommandKind, UrgeChannel};
use super::delivery::Channel;
use super::derived::duty::Duty;
use super::derived::signal::Colour;
use super::derived::view::View;
use super::model::{
    MilestoneKind, Period, PhotoSource, Role, Source, TimeSource, Urgency, Visibility,
};
use super::order::{
    CommitmentOutcome, ContactMethod, Line, NoticeAbout, OrderChannel, OrderKind, Satisfaction,
};
use super::policy::LateDays;
use super::state::{ExtensionOutcome, ReportKind, ReportStatus, Status};
use crate::protocol::{Platform, PushProvider};

/// A simple enum's stable code and names.
pub trait Code: Copy + Eq + 'static {
    /// Every value, in declaration order.
    const ALL: &'static [Self];

    /// The stable code: the value's serde name, as stored and sent (e.g. `in_progress`).
    fn code(self) -> &'static str;

    /// The name in zh-CN, as screens show it (e.g. `办理中`).
    fn zh(self) -> &'static str;

    /// The name in English, as screens show it (e.g. `in progress`).
    fn en(self) -> &'static str;

    /// Other names people write for the value (a short form such as `会议` for `会议决定`);
    /// none for most.
    fn aliases(self) -> &'static [&'static str] {
        &[]
    }

    /// The value whose code is `s`; none for an unknown code.
    fn from_code(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == s)
    }

    /// The value a person wrote, by its code or English name (any case), its zh-CN name or
    /// one of its aliases; none when nothing matches. For forms and imported sheets.
    fn from_text(text: &str) -> Option<Self> {
        let t = text.trim();
        Self::ALL.iter().copied().find(|v| {
            t.eq_ignore_ascii_case(v.code())
                || t.eq_ignore_ascii_case(v.en())
                || t == v.zh()
                || v.aliases().contains(&t)
        })
    }
}

/// Implements [`Code`] for a unit-only enum from one line per variant:
/// `Variant => "code", "zh", "en";`, with aliases after bars: `… "en" | "alias";`.
macro_rules! codes {
    ($t:ident { $($v:ident => $code:literal, $zh:literal, $en:literal $(| $alias:literal)*;)+ }) => {
        impl Code for $t {
            const ALL: &'static [Self] = &[$($t::$v),+];

            fn code(self) -> &'static str {
                match self { $($t::$v => $code),+ }
            }

            fn zh(self) -> &'static str {
                match self { $($t::$v => $zh),+ }
            }

            fn en(self) -> &'static str {
                match self { $($t::$v => $en),+ }
            }

            fn aliases(self) -> &'static [&'static str] {
                match self { $($t::$v => &[$($alias),*]),+ }
            }
        }
    };
}

codes!(Status {
    New => "new", "未立项", "not registered";
    Draft => "draft", "草稿", "a draft";
    AwaitingApproval => "awaiting_approval", "立项审批中", "awaiting registration approval";
    Dispatched => "dispatched", "待签收", "dispatched and not received";
    Declined => "declined", "已拒签", "declined";
    InProgress => "in_progress", "办理中", "in progress";
    UnderReview => "under_review", "待复核", "under review";
    Completed => "completed", "已完成", "completed";
    Suspended => "suspended", "已暂停", "suspended";
    Revoked => "revoked", "已撤销", "revoked";
    NotAccepted => "not_accepted", "不予受理", "not accepted";
    Closed => "closed", "已办结", "closed";
    Archived => "archived", "已归档", "archived";
});

codes!(Urgency {
    Normal => "normal", "普通", "normal";
    Urgent => "urgent", "紧急", "urgent";
    ExtraUrgent => "extra_urgent", "特急", "extra urgent";
});

codes!(Visibility {
    Public => "public", "公开", "Public";
    Internal => "internal", "内部", "Internal";
    Confidential => "confidential", "保密", "Confidential";
});

codes!(Source {
    Meeting => "meeting", "会议决定", "Meeting" | "会议";
    Document => "document", "文件", "Document";
    Instruction => "instruction", "领导批示", "Instruction" | "批示";
    OnSite => "on_site", "现场发现", "On site" | "现场";
    Other => "other", "其他", "Other";
});

codes!(MilestoneKind {
    Final => "final", "最终节点", "Final" | "最终";
    Key => "key", "关键节点", "Key" | "关键";
    Regular => "regular", "常规节点", "Regular" | "常规";
});

codes!(PhotoSource {
    Camera => "camera", "相机拍摄", "Camera";
    Gallery => "gallery", "相册选取", "Gallery";
});

codes!(TimeSource {
    Exif => "exif", "拍摄记录", "Camera record";
    Device => "device", "手机时间", "Phone clock";
});

codes!(Period {
    Weekly => "weekly", "每周", "Weekly";
    Monthly => "monthly", "每月", "Monthly";
    Quarterly => "quarterly", "每季度", "Quarterly";
});

codes!(Role {
    Admin => "admin", "系统管理员", "Administrator";
    MainLeader => "main_leader", "主要领导", "Main leader";
    DeputyLeader => "deputy_leader", "分管领导", "Deputy leader";
    Supervisor => "supervisor", "督办员", "Supervisor";
    Inspector => "inspector", "纪检监察", "Inspector";
    UnitHead => "unit_head", "单位负责人", "Unit head";
    Staff => "staff", "承办人员", "Staff";
    System => "system", "系统", "System";
});

codes!(ReportKind {
    Progress => "progress", "进展汇报", "Progress";
    Completion => "completion", "完成汇报", "Completion";
});

codes!(ReportStatus {
    PendingApproval => "pending_approval", "待审批", "Awaiting approval";
    Filed => "filed", "已报送", "Filed";
    Returned => "returned", "已退回", "Returned";
    Accepted => "accepted", "已通过", "Accepted";
    Reworked => "reworked", "已退办", "Returned for rework";
});

codes!(ExtensionOutcome {
    Pending => "pending", "待审批", "Pending";
    Approved => "approved", "已批准", "Approved";
    Refused => "refused", "未批准", "Refused";
});

codes!(Duty {
    Submit => "submit", "待提交审批", "To submit for approval";
    ApproveRegistration => "approve_registration", "待审批立项", "To approve the registration";
    Dispatch => "dispatch", "待交办", "To dispatch";
    Receive => "receive", "待签收", "To receive";
    Handle => "handle", "待办理", "To handle";
    ApproveReport => "approve_report", "待审批汇报", "To approve a report";
    Review => "review", "待复核", "To review";
    DecideExtension => "decide_extension", "待审批延时", "To decide an extension";
    DecideSuspension => "decide_suspension", "待审批暂停", "To decide a suspension";
    DecideResumption => "decide_resumption", "待审批恢复", "To decide a resumption";
    Rate => "rate", "待评价", "To rate";
    Close => "close", "待办结", "To close";
    AcceptOrder => "accept_order", "待受理", "To decide acceptance";
    InformCaller => "inform_caller", "待告知来电人", "To tell the caller";
    DecideCommitment => "decide_commitment", "待审批承诺件", "To decide a committed deadline";
    CallBack => "call_back", "待回访", "To call the caller back";
});

// A light (亮灯) or a card (亮牌): named here as the light.
codes!(Colour {
    Green => "green", "绿灯", "green";
    Yellow => "yellow", "黄灯", "yellow";
    Red => "red", "红灯", "red";
});

codes!(Channel {
    Inbox => "inbox", "站内通知", "Inbox";
    Push => "push", "推送", "Push";
    Sms => "sms", "短信", "SMS";
    Work => "work", "工作通知", "Work notification";
    Voice => "voice", "语音电话", "Voice call";
});

codes!(UrgeChannel {
    Message => "message", "消息", "Message";
    Phone => "phone", "电话", "Phone";
});

codes!(DayKind {
    Workday => "workday", "工作日", "Working day";
    Weekend => "weekend", "周末", "Weekend";
    Holiday => "holiday", "节假日", "Holiday";
    AdjustedWorkday => "adjusted_workday", "调休上班", "Adjusted working day";
});

codes!(SpecialKind {
    Holiday => "holiday", "放假", "Holiday";
    Working => "working", "调休上班", "Working day";
});

codes!(LateDays {
    Working => "working", "工作日", "Working days";
    Calendar => "calendar", "自然日", "Calendar days";
});

codes!(Platform {
    Android => "android", "安卓", "Android";
    Ios => "ios", "苹果", "iOS";
    Harmony => "harmony", "鸿蒙", "HarmonyOS";
});

codes!(PushProvider {
    Fcm => "fcm", "谷歌推送", "Firebase Cloud Messaging";
    Apns => "apns", "苹果推送", "Apple Push Notification service";
    Hms => "hms", "华为推送", "Huawei Push Kit";
    Xiaomi => "xiaomi", "小米推送", "Xiaomi Push";
    Oppo => "oppo", "OPPO推送", "OPPO Push";
    Vivo => "vivo", "vivo推送", "vivo Push";
    Honor => "honor", "荣耀推送", "Honor Push";
});

// The action, as it reads after “不能” / “无权” and after "cannot".
codes!(CommandKind {
    Register => "register", "立项", "register";
    AmendDraft => "amend_draft", "修改草稿", "amend the draft";
    SubmitForApproval => "submit_for_approval", "提交立项审批", "submit for registration approval";
    DecideRegistration => "decide_registration", "审批立项", "decide the registration";
    Dispatch => "dispatch", "交办派发", "dispatch";
    Receive => "receive", "签收", "receive";
    Decline => "decline", "拒签", "decline";
    Decompose => "decompose", "分解", "decompose";
    Share => "share", "共享", "share";
    Unshare => "unshare", "取消共享", "unshare";
    ReportProgress => "report_progress", "进展汇报", "report progress";
    ReportCompletion => "report_completion", "完成汇报", "report completion";
    DecideReport => "decide_report", "审批汇报", "decide the report";
    Review => "review", "复核", "review";
    Rate => "rate", "评价", "rate";
    AdjustScore => "adjust_score", "调整考核分", "adjust the score";
    RequestExtension => "request_extension", "申请延时", "request an extension";
    DecideExtension => "decide_extension", "审批延时", "decide the extension";
    RequestSuspension => "request_suspension", "申请暂停", "request suspension";
    DecideSuspension => "decide_suspension", "审批暂停", "decide the suspension";
    RequestResumption => "request_resumption", "申请恢复", "request resumption";
    DecideResumption => "decide_resumption", "审批恢复", "decide the resumption";
    Revoke => "revoke", "撤销", "revoke";
    Close => "close", "办结关闭", "close";
    Archive => "archive", "归档", "archive";
    Urge => "urge", "催办", "urge";
    Escalate => "escalate", "督办升级", "escalate";
    Instruct => "instruct", "批示", "instruct";
    Comment => "comment", "评论", "comment";
    Follow => "follow", "关注", "follow";
    Unfollow => "unfollow", "取消关注", "unfollow";
    RequestReport => "request_report", "发起定期汇报", "request a report";
    Remind => "remind", "提醒", "remind";
    AcceptOrder => "accept_order", "受理工单", "accept the work order";
    RefuseOrder => "refuse_order", "不予受理", "refuse the work order";
    InformCaller => "inform_caller", "告知来电人", "record telling the caller";
    ReturnOrder => "return_order", "退单", "return the work order";
    RequestCommitment => "request_commitment", "申请承诺件", "ask for a committed deadline";
    DecideCommitment => "decide_commitment", "审批承诺件", "decide the committed deadline";
    CallBack => "call_back", "回访", "call the caller back";
    ReopenOrder => "reopen_order", "重办", "reopen the work order";
    MarkTypical => "mark_typical", "标记典型工单", "mark the work order typical";
});

/// The views keep their names in `derived::view`; their code is their name in the query.
impl Code for View {
    const ALL: &'static [Self] = &[
        View::All,
        View::Instructed,
        View::Responsible,
        View::Created,
        View::Department,
        View::Subordinates,
        View::Followed,
        View::Shared,
    ];

    fn code(self) -> &'static str {
        self.name()
    }

    fn zh(self) -> &'static str {
        self.name_zh()
    }

    fn en(self) -> &'static str {
        self.name_en()
    }
}

codes!(Line {
    Citizen => "citizen", "12345热线", "12345 hotline" | "12345";
    Environment => "environment", "12369环保热线", "12369 hotline" | "12369";
});

codes!(OrderKind {
    Consultation => "consultation", "咨询", "Consultation";
    Help => "help", "求助", "Request for help";
    Complaint => "complaint", "投诉", "Complaint";
    Report => "report", "举报", "Report";
    Suggestion => "suggestion", "建议", "Suggestion";
});

codes!(OrderChannel {
    Phone => "phone", "电话", "Phone";
    Web => "web", "网络", "Web";
    Platform => "platform", "上级平台", "City platform" | "平台";
});

codes!(ContactMethod {
    Phone => "phone", "电话", "Phone";
    Sms => "sms", "短信", "SMS";
    Letter => "letter", "书面", "Letter";
    Online => "online", "网上", "Online";
});

codes!(NoticeAbout {
    Acceptance => "acceptance", "受理情况", "The acceptance decision";
    Extension => "extension", "延期办理", "The extension";
});

codes!(Satisfaction {
    Satisfied => "satisfied", "满意", "Satisfied";
    Basic => "basic", "基本满意", "Basically satisfied";
    Unsatisfied => "unsatisfied", "不满意", "Unsatisfied";
});

codes!(CommitmentOutcome {
    Pending => "pending", "待审批", "Pending";
    Approved => "approved", "已同意", "Approved";
    Refused => "refused", "未同意", "Refused";
});

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{de::DeserializeOwned, Serialize};
    use std::collections::HashSet;
    use std::fmt::Debug;

    /// Every value of `T`: its code is its serde name both ways, `from_code` finds it, its
    /// names are given and differ between the languages; codes are distinct, and `ALL`
    /// holds every value serde knows (`expected` of them).
    fn check<T: Code + Serialize + DeserializeOwned + Debug>(expected: usize) {
        assert_eq!(T::ALL.len(), expected, "{}", std::any::type_name::<T>());
        let mut codes = HashSet::new();
        for &v in T::ALL {
            let serde = serde_json::to_value(v).unwrap();
            assert_eq!(
                serde,
                serde_json::Value::String(v.code().to_owned()),
                "{v:?}"
            );
            let back: T = serde_json::from_value(serde).unwrap();
            assert_eq!(back, v, "{v:?}");
            assert_eq!(T::from_code(v.code()), Some(v), "{v:?}");
            assert!(
                !v.zh().trim().is_empty() && !v.en().trim().is_empty(),
                "{v:?}"
            );
            assert_ne!(v.zh(), v.en(), "{v:?}");
            assert!(codes.insert(v.code()), "{v:?}: code used twice");
            assert_eq!(T::from_text(v.zh()), Some(v), "{v:?}");
            assert_eq!(T::from_text(&v.code().to_uppercase()), Some(v), "{v:?}");
            for a in v.aliases() {
                assert_eq!(T::from_text(a), Some(v), "{v:?}: alias {a}");
            }
        }
        assert_eq!(T::from_code("no_such_code"), None);
    }

    #[test]
    fn codes_are_serde_names_and_every_value_is_named() {
        check::<Status>(Status::ALL.len());
        check::<Urgency>(3);
        check::<Visibility>(3);
        check::<Source>(5);
        check::<MilestoneKind>(3);
        check::<PhotoSource>(2);
        check::<TimeSource>(2);
        check::<Period>(3);
        check::<Role>(8);
        check::<ReportKind>(2);
        check::<ReportStatus>(5);
        check::<ExtensionOutcome>(3);
        check::<Duty>(Duty::ALL.len());
        check::<Colour>(3);
        check::<Channel>(5);
        check::<UrgeChannel>(2);
        check::<DayKind>(4);
        check::<SpecialKind>(2);
        check::<LateDays>(2);
        check::<Platform>(3);
        check::<PushProvider>(7);
        check::<CommandKind>(CommandKind::ALL.len());
        check::<View>(View::NAMES.len());
        check::<Line>(2);
        check::<OrderKind>(5);
        check::<OrderChannel>(3);
        check::<ContactMethod>(4);
        check::<NoticeAbout>(2);
        check::<Satisfaction>(3);
        check::<CommitmentOutcome>(3);
    }

    #[test]
    fn what_people_write_is_read_by_name_code_or_alias() {
        assert_eq!(Source::from_text(" 会议 "), Some(Source::Meeting));
        assert_eq!(Source::from_text("会议决定"), Some(Source::Meeting));
        assert_eq!(Source::from_text("ON_SITE"), Some(Source::OnSite));
        assert_eq!(
            Urgency::from_text("Extra urgent"),
            Some(Urgency::ExtraUrgent)
        );
        assert_eq!(MilestoneKind::from_text("关键"), Some(MilestoneKind::Key));
        assert_eq!(Urgency::from_text("很急"), None);
        assert_eq!(Urgency::from_text(""), None);
    }

    #[test]
    fn the_inherent_lists_are_the_trait_lists() {
        assert_eq!(<Status as Code>::ALL, &Status::ALL[..]);
        assert_eq!(<Duty as Code>::ALL, &Duty::ALL[..]);
        assert_eq!(<CommandKind as Code>::ALL, &CommandKind::ALL[..]);
        let views: Vec<View> = View::NAMES.iter().map(|(_, v)| *v).collect();
        assert_eq!(<View as Code>::ALL, &views[..]);
    }

    #[test]
    fn notice_kinds_are_stored_as_their_serde_form() {
        use crate::domain::derived::describe::NoticeKind;
        let mut kinds = vec![
            NoticeKind::Urged,
            NoticeKind::Escalated,
            NoticeKind::Instructed,
            NoticeKind::Returned,
            NoticeKind::ReportReturned,
            NoticeKind::RequestDecided,
            NoticeKind::Revoked,
            NoticeKind::Rated,
            NoticeKind::Accepted,
            NoticeKind::Reply,
            NoticeKind::ReportRequested,
            NoticeKind::Reminded,
            NoticeKind::UrgentOrder,
        ];
        kinds.extend(Duty::ALL.iter().map(|d| NoticeKind::NewDuty(*d)));
        for k in kinds {
            let text = match serde_json::to_value(k).unwrap() {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            assert_eq!(k.code(), text, "{k:?}");
        }
    }
}
