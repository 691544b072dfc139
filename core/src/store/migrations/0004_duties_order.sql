-- The inbox's whole order in the index: soonest due first, then the most recent. With only
-- `due` indexed, items sharing a deadline (a batch dispatched together) were sorted in a
-- temporary B-tree on every call: all 10,000 of them for the first 200 rows.
DROP INDEX duties_by_due;
DROP INDEX duties_approvals;
CREATE INDEX duties_by_due ON duties (due, since DESC);
CREATE INDEX duties_approvals ON duties (approval, due, since DESC);
