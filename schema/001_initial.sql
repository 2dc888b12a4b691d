-- 001_initial.sql: the triage knowledge base, version 1.
-- Ids are identifiers: a lower-case letter, then lower-case letters, digits
-- and underscores, at most 64 characters. Ordered lists keep a seq column so
-- that a dump writes them back in the author's order.

CREATE TABLE kb_meta (
  key   TEXT PRIMARY KEY CHECK (key IN ('id', 'title', 'version', 'summary')),
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE source (
  id    TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64 AND id GLOB '[a-z]*' AND id NOT GLOB '*[^a-z0-9_]*'),
  file  TEXT NOT NULL,
  title TEXT NOT NULL,
  note  TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE fact (
  id    TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64 AND id GLOB '[a-z]*' AND id NOT GLOB '*[^a-z0-9_]*'),
  text  TEXT NOT NULL,
  help  TEXT NOT NULL,
  asker TEXT NOT NULL CHECK (asker IN ('client', 'host_admin', 'cloud_admin', 'network_admin')),
  cost  REAL NOT NULL CHECK (cost >= 0 AND cost <= 10000)
) WITHOUT ROWID;

-- p: the default likelihood P(value | cause) for causes that state no
-- evidence on this fact.
CREATE TABLE fact_value (
  fact  TEXT NOT NULL REFERENCES fact(id),
  seq   INTEGER NOT NULL CHECK (seq >= 0),
  value TEXT NOT NULL CHECK (length(value) BETWEEN 1 AND 64 AND value NOT GLOB '*[^A-Za-z0-9_.+-]*' AND value <> 'unknown'),
  text  TEXT NOT NULL,
  p     REAL NOT NULL CHECK (p > 0 AND p < 1),
  PRIMARY KEY (fact, value),
  UNIQUE (fact, seq)
) WITHOUT ROWID;

CREATE TABLE fact_check (
  fact    TEXT NOT NULL REFERENCES fact(id),
  seq     INTEGER NOT NULL CHECK (seq >= 0),
  shell   TEXT NOT NULL CHECK (shell IN ('powershell', 'cmd', 'reg', 'gui', 'azure-cli')),
  runs_on TEXT NOT NULL CHECK (runs_on IN ('client', 'host', 'router', 'portal', 'gateway')),
  text    TEXT NOT NULL,
  PRIMARY KEY (fact, seq)
) WITHOUT ROWID;

CREATE TABLE cause (
  id        TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64 AND id GLOB '[a-z]*' AND id NOT GLOB '*[^a-z0-9_]*'),
  title     TEXT NOT NULL,
  summary   TEXT NOT NULL,
  prior     REAL NOT NULL CHECK (prior > 0 AND prior <= 1),
  prior_why TEXT NOT NULL
) WITHOUT ROWID;

-- A cause's evidence on one fact: why, and P(value | cause) for the values
-- it names (evidence_p); unnamed values share the rest (see model.c).
CREATE TABLE evidence (
  cause TEXT NOT NULL REFERENCES cause(id),
  fact  TEXT NOT NULL REFERENCES fact(id),
  seq   INTEGER NOT NULL CHECK (seq >= 0),
  why   TEXT NOT NULL,
  PRIMARY KEY (cause, fact)
) WITHOUT ROWID;

CREATE TABLE evidence_p (
  cause TEXT NOT NULL,
  fact  TEXT NOT NULL,
  value TEXT NOT NULL,
  p     REAL NOT NULL CHECK (p > 0 AND p < 1),
  PRIMARY KEY (cause, fact, value),
  FOREIGN KEY (cause, fact) REFERENCES evidence(cause, fact),
  FOREIGN KEY (fact, value) REFERENCES fact_value(fact, value)
) WITHOUT ROWID;

CREATE TABLE fix (
  id      TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64 AND id GLOB '[a-z]*' AND id NOT GLOB '*[^a-z0-9_]*'),
  title   TEXT NOT NULL,
  summary TEXT NOT NULL,
  risk    TEXT NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
  cost    REAL NOT NULL CHECK (cost > 0 AND cost <= 10000),
  minutes INTEGER NOT NULL CHECK (minutes >= 0),
  admin   INTEGER NOT NULL CHECK (admin IN (0, 1)),
  reboot  INTEGER NOT NULL CHECK (reboot IN (0, 1)),
  undo    TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE fix_step (
  fix  TEXT NOT NULL REFERENCES fix(id),
  seq  INTEGER NOT NULL CHECK (seq >= 0),
  text TEXT NOT NULL,
  PRIMARY KEY (fix, seq)
) WITHOUT ROWID;

CREATE TABLE fix_command (
  fix     TEXT NOT NULL REFERENCES fix(id),
  seq     INTEGER NOT NULL CHECK (seq >= 0),
  shell   TEXT NOT NULL CHECK (shell IN ('powershell', 'cmd', 'reg', 'gui', 'azure-cli')),
  runs_on TEXT NOT NULL CHECK (runs_on IN ('client', 'host', 'router', 'portal', 'gateway')),
  text    TEXT NOT NULL,
  PRIMARY KEY (fix, seq)
) WITHOUT ROWID;

-- p: how likely the fix resolves the problem when the cause is the true one.
CREATE TABLE resolves (
  fix   TEXT NOT NULL REFERENCES fix(id),
  cause TEXT NOT NULL REFERENCES cause(id),
  seq   INTEGER NOT NULL CHECK (seq >= 0),
  p     REAL NOT NULL CHECK (p > 0 AND p <= 1),
  why   TEXT NOT NULL,
  PRIMARY KEY (fix, cause)
) WITHOUT ROWID;

CREATE TABLE rule (
  id          TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64 AND id GLOB '[a-z]*' AND id NOT GLOB '*[^a-z0-9_]*'),
  description TEXT NOT NULL,
  enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  source      TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE rule_read (
  rule TEXT NOT NULL REFERENCES rule(id),
  fact TEXT NOT NULL REFERENCES fact(id),
  PRIMARY KEY (rule, fact)
) WITHOUT ROWID;

-- Which source document(s) each record came from.
CREATE TABLE cites (
  kind   TEXT NOT NULL CHECK (kind IN ('fact', 'cause', 'fix', 'rule')),
  record TEXT NOT NULL,
  seq    INTEGER NOT NULL CHECK (seq >= 0),
  source TEXT NOT NULL REFERENCES source(id),
  note   TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (kind, record, source)
) WITHOUT ROWID;
