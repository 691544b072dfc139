-- Bulletins and notices (通报/专报/通知, R9.2): written by the supervision office — the
-- monthly bulletin and the quarterly ranking generated from the data, naming units — and
-- edited while drafts; published ones are read-only, read by everyone signed in and, when
-- public, on the public board. The version refuses a stale edit.
CREATE TABLE bulletins (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    period       TEXT NOT NULL,
    audience     TEXT NOT NULL,
    status       TEXT NOT NULL,
    author       TEXT NOT NULL,
    version      BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX bulletins_published ON bulletins (status, published_at);
