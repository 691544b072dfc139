-- The inbox (站内通知, issue 6): what each event tells each person, decided by the core's
-- notice rules in the transaction that applies the command, with its read receipt. One
-- per person and event. The climb beyond the inbox (push, SMS) runs as jobs; each send to
-- each device or phone number is recorded once in deliveries, so a retried job never sends
-- twice what already went out, and a supervisor can see what reached whom.
CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    task       TEXT NOT NULL,
    task_seq   BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    zh         TEXT NOT NULL,
    en         TEXT NOT NULL,
    urgency    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at    BIGINT,
    UNIQUE (user_id, task, task_seq)
);
CREATE INDEX notifications_inbox ON notifications (user_id, created_at);
CREATE INDEX notifications_task ON notifications (task, task_seq);

CREATE TABLE deliveries (
    notification TEXT NOT NULL REFERENCES notifications(id),
    channel      TEXT NOT NULL,
    target       TEXT NOT NULL,
    provider     TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    detail       TEXT NOT NULL,
    at           BIGINT NOT NULL,
    PRIMARY KEY (notification, channel, target)
);
