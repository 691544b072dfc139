-- Administration in the browser, one language at a time, and the first day (issue 19).
--
-- `users.locale`: the interface language a person chose (`zh-CN` or `en`); NULL until they
-- choose, when the browser's Accept-Language decides. `users.must_change_password`: set when
-- an administrator resets the password, cleared when the person sets their own.
ALTER TABLE users ADD COLUMN locale TEXT;
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;

-- `units.short_name` (简称, e.g. 住建局) and `units.aliases` (a JSON array of other names people
-- write): an import finds a unit by its full name, short name or an alias. `units.retired`: a
-- unit no longer in use, kept for the items that name it.
ALTER TABLE units ADD COLUMN short_name TEXT NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN aliases TEXT NOT NULL DEFAULT '[]';
ALTER TABLE units ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;

-- The administrative trail: every change an administrator (or `duban init`) makes to units,
-- accounts, categories, the policy and the calendar, with its state before and after (JSON,
-- NULL for none), each row carrying the previous row's hash and its own (blake3, hex), so that
-- an edited or deleted row breaks the chain. `seq` comes from the `admin_trail` counter,
-- whose row also serialises the writers.
CREATE TABLE admin_trail (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT,
    prev        TEXT NOT NULL,
    hash        TEXT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('admin_trail', 0);
