//! Item numbers are the server's to give: the client's provisional number is replaced by
//! the next one of the category's prefix and the year (categories sharing a prefix share
//! one sequence, so no two items show the same number).

use chrono::{DateTime, Datelike, Utc};
use duban_core::domain::model::TaskNumber;

use super::AuthorityError;
use crate::db::{tasks, Batch, DbError, Tx};
use crate::org::Org;

/// The numbers one command gives (a decomposition gives its subtask one as well), written
/// with it.
#[derive(Debug, Default)]
pub(super) struct Numbers {
    given: Vec<(String, i32, u32)>,
}

impl Numbers {
    /// Gives `number` the next number of the category's prefix and year, locked for the
    /// rest of the transaction; a category the policy does not know leaves it as it is.
    pub(super) async fn give(
        &mut self,
        tx: &mut Tx,
        org: &Org,
        category: &str,
        now: DateTime<Utc>,
        number: &mut TaskNumber,
    ) -> Result<(), AuthorityError> {
        let Some(def) = org.policy.category(category) else {
            return Ok(());
        };
        let year = org.calendar.to_local(now).year();
        let prefix = def.prefix.as_str();
        let last = tasks::reserve_number(tx, prefix, year).await?;
        let next = u32::try_from(last + 1)
            .map_err(|_| DbError::Corrupt(format!("number {last} out of range")))?;
        // Numbers given earlier in this command are not written yet.
        let earlier = self
            .given
            .iter()
            .filter(|(p, y, _)| p == prefix && *y == year)
            .count() as u32;
        let seq = next + earlier;
        number.prefix = def.prefix.clone();
        number.year = year;
        number.seq = seq;
        self.given.push((def.prefix.clone(), year, seq));
        Ok(())
    }

    /// Whether any number was given.
    pub(super) fn any(&self) -> bool {
        !self.given.is_empty()
    }

    /// Queues the writes of the numbers given.
    pub(super) fn queue(&self, batch: &mut Batch) {
        for (prefix, year, seq) in &self.given {
            tasks::queue_number(batch, prefix, *year, *seq);
        }
    }
}
