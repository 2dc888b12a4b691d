-- 003_record_checksum.sql: version 3.
-- A checksum over each record's content (its canonical JSON, as `kb dump`
-- writes it), stored by `kb build` (and by any command that edits a
-- record: kbtext_checksum computes it), so that `kb check` can name a
-- record changed behind triage's back (by sqlite3, a bad disk). A file
-- migrated from version 2 has none until it is rebuilt.
CREATE TABLE record_checksum (
  kind TEXT NOT NULL CHECK (kind IN ('fact', 'cause', 'fix', 'rule', 'source')),
  id   TEXT NOT NULL,
  sum  TEXT NOT NULL CHECK (length(sum) = 16),
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
