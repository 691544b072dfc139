-- Phones registered for push notifications (issue 6): one per signed-in device of a person,
-- with its platform, provider, token and app version. A token belongs to one device at a
-- time: registering it again elsewhere moves it. Signing out removes the row.
CREATE TABLE devices (
    user_id     TEXT NOT NULL REFERENCES users(id),
    device      TEXT NOT NULL,
    platform    TEXT NOT NULL,
    provider    TEXT NOT NULL,
    token       TEXT NOT NULL,
    app_version TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, device)
);
CREATE UNIQUE INDEX devices_token ON devices (provider, token);
