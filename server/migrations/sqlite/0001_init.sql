-- Duban's first schema (SQLite). Never edit a migration that has landed: add the next number.
-- Times are Unix milliseconds (UTC); ids are UUID text; JSON is text.

CREATE TABLE units (
    id       TEXT PRIMARY KEY,
    parent   TEXT REFERENCES units(id),
    name     TEXT NOT NULL,
    name_en  TEXT NOT NULL DEFAULT '',
    sort     INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    unit          TEXT REFERENCES units(id),
    position      TEXT NOT NULL DEFAULT '',
    roles         TEXT NOT NULL,
    in_charge     TEXT NOT NULL DEFAULT '[]',
    phone         TEXT,
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    device     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    last_used  INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX sessions_user ON sessions(user_id, device);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('changes', 0), ('org', 0);

CREATE TABLE changes (
    seq      INTEGER PRIMARY KEY,
    kind     TEXT NOT NULL,
    task     TEXT,
    task_seq INTEGER,
    hash     TEXT,
    body     TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX changes_task ON changes(task, seq);

CREATE TABLE tasks (
    id         TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    head       TEXT NOT NULL,
    state      TEXT NOT NULL,
    status     TEXT NOT NULL,
    category   TEXT NOT NULL,
    urgency    TEXT NOT NULL,
    visibility TEXT NOT NULL,
    number     TEXT NOT NULL,
    title      TEXT NOT NULL,
    lead_unit  TEXT,
    parent     TEXT,
    creator    TEXT,
    deadline   INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX tasks_updated ON tasks(updated_at);

CREATE TABLE task_audience (
    task TEXT NOT NULL,
    tier TEXT NOT NULL,
    key  TEXT NOT NULL,
    PRIMARY KEY (task, tier, key)
);
CREATE INDEX task_audience_key ON task_audience(key, tier, task);

CREATE TABLE task_people (
    task     TEXT NOT NULL,
    relation TEXT NOT NULL,
    user_id  TEXT NOT NULL,
    PRIMARY KEY (task, relation, user_id)
);
CREATE INDEX task_people_user ON task_people(user_id, relation);

CREATE TABLE task_units (
    task     TEXT NOT NULL,
    relation TEXT NOT NULL,
    unit     TEXT NOT NULL,
    PRIMARY KEY (task, relation, unit)
);
CREATE INDEX task_units_unit ON task_units(unit, relation);

CREATE TABLE task_secrets (
    task   TEXT PRIMARY KEY,
    fields TEXT NOT NULL
);

CREATE TABLE commands (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL,
    task        TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    at          INTEGER NOT NULL
);

CREATE TABLE numbers (
    category TEXT NOT NULL,
    year     INTEGER NOT NULL,
    last     INTEGER NOT NULL,
    PRIMARY KEY (category, year)
);

CREATE TABLE blobs (
    hash        TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    mime        TEXT NOT NULL,
    content     BLOB NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

-- An upload in progress: each uploader's chunks of one file, contiguous from offset 0.
CREATE TABLE blob_chunks (
    hash        TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    offset_at   INTEGER NOT NULL,
    data        BLOB NOT NULL,
    total       INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (hash, uploaded_by, offset_at)
);

CREATE TABLE blob_refs (
    hash TEXT NOT NULL,
    task TEXT NOT NULL,
    PRIMARY KEY (hash, task)
);
CREATE INDEX blob_refs_task ON blob_refs(task);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
