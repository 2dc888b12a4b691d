-- 006_change_history.sql: version 6.
-- Every change an editor makes to a live knowledge base (kb add, kb edit,
-- kb rm, kb revert; engine/kbedit.c), kept in the same file as the data
-- (as Fossil keeps its timeline): who, when, why, and each record touched
-- with its canonical JSON (the dump's) before and after. A change may touch
-- several records (kb rm --cascade); kb revert puts their "before" back as
-- one new change. version_before/after are kb_meta's version around it, so
-- a saved session that ran on version V can be told what changed since.
-- kb build starts a file with no history: the text tree is the record then.
CREATE TABLE kb_change (
  id             INTEGER PRIMARY KEY,
  time           TEXT NOT NULL,
  who            TEXT NOT NULL,
  op             TEXT NOT NULL CHECK (op IN ('add', 'edit', 'rm', 'revert')),
  message        TEXT NOT NULL DEFAULT '',
  version_before TEXT NOT NULL,
  version_after  TEXT NOT NULL,
  reverts        INTEGER REFERENCES kb_change(id)
);

-- before: NULL when the change added the record; after: NULL when it removed it.
CREATE TABLE kb_change_record (
  change INTEGER NOT NULL REFERENCES kb_change(id),
  seq    INTEGER NOT NULL CHECK (seq >= 0),
  kind   TEXT NOT NULL CHECK (kind IN ('fact', 'cause', 'fix', 'rule', 'source')),
  record TEXT NOT NULL,
  before TEXT,
  after  TEXT,
  PRIMARY KEY (change, seq)
) WITHOUT ROWID;
CREATE INDEX kb_change_record_by_record ON kb_change_record(record);
