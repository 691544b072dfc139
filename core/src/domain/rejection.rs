//! Why a command was refused: a stable code for programs, and a sentence in zh-CN and
//! English that a person can act on. Rejections never carry item text or personal data.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::code::Code;
use super::command::CommandKind;
use super::state::Status;

/// A refused command. `code` is stable across releases; clients switch on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Stable code, e.g. `extension.limit`.
    pub code: String,
    /// The reason in Chinese.
    pub zh: String,
    /// The reason in English.
    pub en: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {} / {}", self.code, self.zh, self.en)
    }
}

impl std::error::Error for Rejection {}

impl Rejection {
    /// A rejection with the given code and texts.
    pub fn new(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Rejection {
        Rejection {
            code: code.to_owned(),
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The item does not exist yet.
    pub fn not_found() -> Rejection {
        Rejection::new(
            "task.not_found",
            "督办事项不存在,请先立项",
            "the item does not exist; register it first",
        )
    }

    /// The item exists already.
    pub fn exists() -> Rejection {
        Rejection::new(
            "task.exists",
            "该督办事项已立项",
            "the item is registered already",
        )
    }

    /// The item is closed: read-only.
    pub fn closed() -> Rejection {
        Rejection::new(
            "task.closed",
            "事项已办结关闭,只能查阅",
            "the item is closed and can only be read",
        )
    }

    /// The item is archived: read-only.
    pub fn archived() -> Rejection {
        Rejection::new(
            "task.archived",
            "事项已归档,只能查阅",
            "the item is archived and can only be read",
        )
    }

    /// The item is revoked: nothing more is owed.
    pub fn revoked() -> Rejection {
        Rejection::new(
            "task.revoked",
            "事项已撤销,不能再办理",
            "the item was revoked; nothing more can be done on it",
        )
    }

    /// The command does not apply in the item's status.
    pub fn wrong_state(kind: CommandKind, status: Status) -> Rejection {
        Rejection::new(
            "state.not_allowed",
            format!("事项处于“{}”状态,不能{}", status.zh(), kind.zh()),
            format!("cannot {} while the item is {}", kind.en(), status.en()),
        )
    }

    /// The actor may not issue this command on this item.
    pub fn denied(kind: CommandKind, who_zh: &str, who_en: &str) -> Rejection {
        Rejection::new(
            "perm.denied",
            format!("无权{}:仅{}可以操作", kind.zh(), who_zh),
            format!("not permitted to {}: only {} may", kind.en(), who_en),
        )
    }

    /// The parent a sub-item names does not exist, or the actor may not read it: the same
    /// answer for both, so that it tells nothing of items the actor may not read.
    pub fn unknown_parent() -> Rejection {
        Rejection::new(
            "input.unknown_parent",
            "上级事项不存在",
            "no such parent item",
        )
    }

    /// The actor may not send the item to a unit it names (lead or participant): beyond
    /// their reach (see `permission::may_assign`).
    pub fn out_of_reach(kind: CommandKind) -> Rejection {
        Rejection::new(
            "perm.out_of_reach",
            format!(
                "无权{}到所选单位:单位负责人只能交给本单位及下级单位,子事项只能交给上级事项的主办单位及其下级单位",
                kind.zh()
            ),
            format!(
                "not permitted to {} to a unit chosen: a unit head reaches only their own unit and the units below it, and a sub-item only its parent's lead unit and the units below that",
                kind.en()
            ),
        )
    }

    /// A field is missing or malformed.
    pub fn invalid(code: &str, zh: impl Into<String>, en: impl Into<String>) -> Rejection {
        Rejection::new(code, zh, en)
    }
}
