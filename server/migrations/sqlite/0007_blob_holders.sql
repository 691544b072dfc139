-- Who has sent each stored file (issue 16): the first uploader and everyone who sent the same
-- content again later (deduplicated, its hash checked). A command may cite a file only if
-- its actor is one of them or may read an item that cites it; the same people download it.
CREATE TABLE blob_holders (
    hash    TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (hash, user_id)
);
INSERT INTO blob_holders (hash, user_id) SELECT hash, uploaded_by FROM blobs;
