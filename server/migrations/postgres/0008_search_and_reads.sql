-- Finding things and reading everywhere (issue 18).
--
-- `tasks.search`: what a keyword search looks in, lower-cased — the number, the title, the
-- pinyin initials of the title (`dljb` for 道路结冰) and its full pinyin; written with the item's
-- row by the projection. `tasks.search_content`: the item's content, lower-cased, written when
-- an event sets it (registration, a draft's amendment). Rows written before this migration
-- are filled in at start-up.
ALTER TABLE tasks ADD COLUMN search TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN search_content TEXT NOT NULL DEFAULT '';

-- `changes.user_id`: a change for one person only (`read`: notifications they read on the web
-- or another device, so that each phone marks its own copy read); NULL for everyone's changes.
ALTER TABLE changes ADD COLUMN user_id TEXT;
CREATE INDEX changes_user ON changes(user_id, seq);
