-- Files (photos, documents) by content hash. `origin` own: made on this device (never
-- evicted); fetched: downloaded (evicted, least recently used first, beyond the cache's
-- size). `uploaded` 0: still to send (never evicted).
CREATE TABLE blobs (
    hash     TEXT PRIMARY KEY,
    mime     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    data     BLOB NOT NULL,
    origin   TEXT NOT NULL CHECK (origin IN ('own', 'fetched')),
    uploaded INTEGER NOT NULL,
    used_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX blobs_evictable ON blobs (origin, used_at);

-- What the person was told, from the events that reached this device.
CREATE TABLE notifications (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    task     TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    task_seq INTEGER NOT NULL,
    kind     TEXT NOT NULL,
    zh       TEXT NOT NULL,
    en       TEXT NOT NULL,
    at       INTEGER NOT NULL,
    read_at  INTEGER,
    UNIQUE (task, task_seq)
) STRICT;
CREATE INDEX notifications_unread ON notifications (read_at, at DESC);
