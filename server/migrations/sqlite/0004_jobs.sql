-- Work outside the database (deliveries to FCM, APNs, HMS, SMS; issue 6), enqueued in the
-- same transaction as the change it follows and claimed safely by any replica
-- (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer). A failed job waits with
-- a backoff; one that keeps failing is set aside as dead, with its last error.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    dedupe       TEXT UNIQUE,
    state        TEXT NOT NULL,
    run_at       INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    last_error   TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
