//! Parsed item states kept between requests, for the queries that read many items at once
//! (lists, statistics, the overview, the public board). An item's state changes only with
//! an event, and each event moves `tasks.head`, the hash of the trail's last entry, which
//! chains every event before it; so a state parsed at a head is right for that head on
//! every replica (and after a restore from backup), and a query needs only each row's id and
//! head to know whether the copy it holds is current. Parsing 10,000 states from JSON was
//! most of the overview's time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use duban_core::domain::{TaskId, TaskState};

/// The cache: at most [`StateCache::CAPACITY`] states, emptied when full (the next reads
/// fill it again with what is read).
#[derive(Default)]
pub struct StateCache {
    map: Mutex<HashMap<TaskId, (String, Arc<TaskState>)>>,
}

impl StateCache {
    /// The most states kept (a few kilobytes each).
    pub const CAPACITY: usize = 50_000;

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TaskId, (String, Arc<TaskState>)>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state of `task` at trail head `head`, if kept.
    pub fn get(&self, task: TaskId, head: &str) -> Option<Arc<TaskState>> {
        self.lock()
            .get(&task)
            .filter(|(h, _)| h == head)
            .map(|(_, s)| s.clone())
    }

    /// Keeps the state of `task` at trail head `head`, in place of any other.
    pub fn put(&self, task: TaskId, head: String, state: Arc<TaskState>) {
        let mut map = self.lock();
        if map.len() >= Self::CAPACITY && !map.contains_key(&task) {
            map.clear();
        }
        map.insert(task, (head, state));
    }

    /// How many states are kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
