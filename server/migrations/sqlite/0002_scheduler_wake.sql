-- The scheduler's wake time per item (issue 6): the instant (ms since the epoch) at which its
-- next time-driven command (reminder, report request, urging, escalation) may fall due, from
-- duban_core::domain::batch::next_wake; NULL when nothing will wake it.
ALTER TABLE tasks ADD COLUMN wake_at INTEGER;
-- Items already dispatched or in progress are looked at on the first tick, which computes
-- their real wake time.
UPDATE tasks SET wake_at = 0 WHERE status IN ('dispatched', 'in_progress');
CREATE INDEX tasks_wake ON tasks (wake_at) WHERE wake_at IS NOT NULL;
