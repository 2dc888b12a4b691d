-- session_001.sql: the user's own session file (not the knowledge base).
-- A session is a log of events; replaying the log on the knowledge base
-- rebuilds the session exactly (the engine is deterministic).
CREATE TABLE session (
  id         INTEGER PRIMARY KEY,
  created    TEXT NOT NULL,
  updated    TEXT NOT NULL,
  kb_id      TEXT NOT NULL,
  kb_version TEXT NOT NULL,
  kb_digest  TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'exhausted')),
  title      TEXT NOT NULL DEFAULT ''
);

CREATE TABLE session_event (
  session INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
  seq     INTEGER NOT NULL CHECK (seq >= 0),
  kind    TEXT NOT NULL CHECK (kind IN ('given', 'answer', 'set', 'result', 'back')),
  subject TEXT NOT NULL,
  value   TEXT NOT NULL,
  PRIMARY KEY (session, seq)
) WITHOUT ROWID;
