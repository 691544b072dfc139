//! The scheduler (R1.4, R2.3, R4): the time-driven commands — reminders before deadlines
//! and milestones, reminders for dispatches nobody received, periodic report requests,
//! overdue urging and escalation — issued as the system actor through the same authority
//! as a person's commands.
//!
//! Every item row carries its wake time (`tasks.wake_at`, from the core's
//! `batch::next_wake`, written with the item). A tick takes the items whose wake time has
//! come, in wake order, asks the core which commands are due (`batch::due_commands`) and
//! applies them. A command's id is derived from the item, the item's version and the
//! command, so two replicas looking at the same item at once issue the same command twice
//! under one id: the authority applies it once and answers the other with the stored
//! outcome. An item whose wake found nothing due (it changed in between) gets its wake time
//! computed again. The clock is a parameter, so tests run a month in a moment.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use duban_core::domain::batch::{due_commands, next_wake};
use duban_core::domain::{Actor, Command, TaskId};
use duban_core::protocol::CommandEnvelope;

use crate::authority::{apply, AuthorityError, Outcome};
use crate::db::{tasks, DbError};
use crate::AppState;

use crate::db::tasks::wake_millis;

/// Why a tick stopped.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A command could not be applied.
    #[error(transparent)]
    Authority(#[from] AuthorityError),
}

/// Items looked at in one tick, at most.
pub const BATCH: usize = 500;

/// What one tick did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Items whose wake time had come.
    pub items: usize,
    /// Commands accepted (or found already applied by another replica).
    pub accepted: usize,
    /// Commands the rules refused (the item changed between the wake and the command).
    pub refused: usize,
}

/// The command's id: the same for the same item, version and command, on every replica.
pub fn command_id(task: TaskId, version: u64, command: &Command) -> uuid::Uuid {
    let json = serde_json::to_string(command).unwrap_or_default();
    crate::derived_uuid(&[
        b"duban scheduler v1\0",
        task.0.as_bytes(),
        &version.to_le_bytes(),
        json.as_bytes(),
    ])
}

/// One pass at `now`: every item due (up to [`BATCH`]) gets its due commands.
pub async fn tick(state: &AppState, now: DateTime<Utc>) -> Result<TickReport, SchedulerError> {
    let due = tasks::due(&state.db, now.timestamp_millis(), BATCH).await?;
    let org = state.org.latest(&state.db).await?;
    let system = Actor::system();
    let mut report = TickReport::default();
    for row in due {
        report.items += 1;
        let id = row.id;
        let mut item = row.state;
        let Ok(task) = id.parse().map(TaskId) else {
            continue;
        };
        // Commands fall due one after another (the second urging makes the escalation due);
        // each is decided on the item as it is after the one before.
        let mut issued = 0;
        let mut refused = false;
        for _ in 0..8 {
            let due = due_commands(&item, now, &org.calendar, &org.policy);
            let Some(command) = due.into_iter().next() else {
                break;
            };
            let env = CommandEnvelope {
                id: command_id(task, item.version, &command),
                task,
                command,
            };
            match apply(state, &org, &system, &env, now).await {
                Ok(Outcome::Accepted(_)) => report.accepted += 1,
                Ok(Outcome::Refused(_)) | Err(AuthorityError::Conflict(_)) => {
                    report.refused += 1;
                    refused = true;
                    break;
                }
                Err(e) => return Err(e.into()),
            }
            issued += 1;
            match tasks::current_state(&state.db, &id).await? {
                Some(s) => item = s,
                None => break,
            }
        }
        if issued == 0 || refused {
            // Nothing was due after all: look again when something may be. A command the
            // rules refused (they and the wake disagree, which they should not) is tried
            // again in an hour rather than at every tick.
            let wake = if refused {
                Some(wake_millis(now + chrono::Duration::hours(1)))
            } else {
                next_wake(&item, now, &org.calendar, &org.policy)
                    .filter(|t| *t > now)
                    .map(wake_millis)
            };
            tasks::set_wake(&state.db, &id, item.version, wake).await?;
        }
    }
    Ok(report)
}

/// Runs [`tick`] every `every` with the clock `now` (and again at once after a full batch),
/// until the process stops. A failed tick is logged and the next one runs as planned.
pub fn spawn(
    state: AppState,
    every: Duration,
    now: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            // A full batch means more is due (after a restart, say): go on at once.
            loop {
                match tick(&state, now()).await {
                    Ok(r) => {
                        if r.items > 0 {
                            tracing::info!(
                                items = r.items,
                                accepted = r.accepted,
                                refused = r.refused,
                                "scheduler tick"
                            );
                        }
                        if r.items < BATCH || r.accepted == 0 {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "scheduler tick failed");
                        break;
                    }
                }
            }
        }
    })
}
