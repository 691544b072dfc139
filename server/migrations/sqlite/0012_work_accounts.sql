-- Work-app accounts (issue 21): a person bound to their user id in the organisation's
-- DingTalk (钉钉/政务钉钉) or WeCom (企业微信/政务微信) app, for work notifications and
-- sign-in from inside the app. Unique both ways: a person has at most one id per app, an id
-- belongs to at most one person. `how` says how the binding was made: `import` (the people
-- sheet), `mobile` (looked up by phone number), `sign-in` (at first sign-in from the app),
-- `admin`.
CREATE TABLE work_accounts (
    user_id    TEXT NOT NULL REFERENCES users(id),
    app        TEXT NOT NULL,
    app_user   TEXT NOT NULL,
    how        TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, app),
    UNIQUE (app, app_user)
);
