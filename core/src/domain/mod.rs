//! The rules of supervision: commands, events, `decide` and `evolve`, permissions, the
//! working-day calendar, the organisation's policy and the figures derived from an item's
//! events. Pure: nothing here touches a file, a socket or a clock.
//!
//! ```text
//! decide(state, command, context{actor, now, calendar, policy, units, parent}) -> Result<Vec<Event>, Rejection>
//! evolve(state, event) -> state
//! ```

pub mod batch;
pub mod calendar;
pub mod code;
pub mod command;
pub mod decide;
pub mod delivery;
pub mod derived;
pub mod event;
pub mod model;
pub mod offer;
pub mod order;
pub mod permission;
pub mod policy;
pub mod push;
pub mod rejection;
pub mod state;
pub mod text;
pub mod trail;

pub use calendar::Calendar;
pub use code::Code;
pub use command::{Command, CommandKind};
pub use decide::{decide, effective_deadline, Context};
pub use event::{Event, EventKind};
pub use model::{Actor, Role, Roles, TaskId, UnitId, UnitTree, UserId};
pub use permission::{
    actor_keys, audience, authorize, authorize_reach, confidential_audience, may_assign,
    may_see_confidential, may_view, split_confidential, AudienceKey, ParseAudienceKeyError,
};
pub use policy::{Points, Policy};
pub use rejection::Rejection;
pub use state::{evolve, fold, Status, TaskState};
