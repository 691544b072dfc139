-- The phone's store: what this person may see, the projections its screens read, and the
-- outbox of commands issued on this device. Never edited once released: change the schema
-- with a new numbered file.

-- Settings and sync position: server, device, token, me (Person JSON), cursor, policy, ...
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE units (
    id      TEXT PRIMARY KEY,
    parent  TEXT,
    name    TEXT NOT NULL,
    name_en TEXT NOT NULL,
    sort    INTEGER NOT NULL
) STRICT;

CREATE TABLE people (
    id       TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    name     TEXT NOT NULL,
    body     TEXT NOT NULL
) STRICT;

-- The items this person may see: the authoritative fold of the server's events, and the
-- view (the fold with the outbox's commands replayed on top) with the columns screens sort
-- and filter by. `view` is NULL when nothing is pending (the view is the state). While
-- the items are loaded from the start of the feed only the trail's head is kept (`stale`
-- 1); the states and projections are built once at the end.
CREATE TABLE tasks (
    id           TEXT PRIMARY KEY,
    version      INTEGER NOT NULL,
    head         TEXT NOT NULL,
    state        TEXT NOT NULL,
    confidential TEXT,
    view         TEXT,
    pending      INTEGER NOT NULL,
    status       TEXT NOT NULL,
    number       TEXT,
    title        TEXT NOT NULL,
    category     TEXT NOT NULL,
    urgency      TEXT NOT NULL,
    deadline     INTEGER,
    updated_at   INTEGER NOT NULL,
    stale        INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The server's events (the trail), as received.
CREATE TABLE events (
    task     TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    task_seq INTEGER NOT NULL,
    seq      INTEGER NOT NULL,
    hash     TEXT NOT NULL,
    body     TEXT NOT NULL,
    PRIMARY KEY (task, task_seq)
) STRICT, WITHOUT ROWID;

-- "My items, by view".
CREATE TABLE task_views (
    view       TEXT NOT NULL,
    task       TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (view, task)
) STRICT, WITHOUT ROWID;
CREATE INDEX task_views_by_time ON task_views (view, updated_at DESC);
CREATE INDEX task_views_task ON task_views (task);

-- What needs this person now (the inbox); approvals are a subset. `due` is the deadline
-- in force (milliseconds; the largest integer when there is none), for the order.
CREATE TABLE duties (
    task     TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    duty     TEXT NOT NULL,
    approval INTEGER NOT NULL,
    due      INTEGER NOT NULL,
    since    INTEGER NOT NULL,
    PRIMARY KEY (task, duty)
) STRICT, WITHOUT ROWID;
CREATE INDEX duties_by_due ON duties (due);
CREATE INDEX duties_approvals ON duties (approval, due);

-- Commands issued here, in order. `state`: queued (to send), accepted (the server applied
-- it; its events have not been pulled yet: `landed` is the feed position they reach).
CREATE TABLE outbox (
    pos       INTEGER PRIMARY KEY AUTOINCREMENT,
    id        TEXT NOT NULL UNIQUE,
    task      TEXT NOT NULL,
    command   TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    state     TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'accepted')),
    attempts  INTEGER NOT NULL DEFAULT 0,
    next_at   INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    landed    INTEGER
) STRICT;
CREATE INDEX outbox_task ON outbox (task, pos);

-- Commands the server refused (or that depended on one it refused), kept with their text
-- and evidence until the person resubmits or discards them.
CREATE TABLE attention (
    id        TEXT PRIMARY KEY,
    task      TEXT NOT NULL,
    command   TEXT NOT NULL,
    issued_at INTEGER NOT NULL,
    code      TEXT NOT NULL,
    zh        TEXT NOT NULL,
    en        TEXT NOT NULL,
    cause     TEXT,
    at        INTEGER NOT NULL
) STRICT;
