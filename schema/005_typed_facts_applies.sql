-- 005_typed_facts_applies.sql: version 5.
-- A free-text fact says what kind of value it holds (checked when given)
-- and which {{slot}} of command templates it fills. A fix, one of its steps,
-- one of its commands or a fact's check command can say where it applies:
-- conditions on facts, all of which must hold ("host_kind is azure_vm",
-- "connection_path is not lan").
ALTER TABLE fact ADD COLUMN kind TEXT NOT NULL DEFAULT ''
  CHECK (kind IN ('', 'text', 'host', 'ip', 'azure_name', 'port', 'path', 'name'));
ALTER TABLE fact ADD COLUMN slot TEXT NOT NULL DEFAULT ''
  CHECK (slot = '' OR (length(slot) BETWEEN 1 AND 64 AND slot GLOB '[a-z]*' AND slot NOT GLOB '*[^a-z0-9_]*'));

-- kind: what the condition is on; record: the fix (or, for 'check', the
-- fact); item: the step's or command's seq, -1 for the whole fix.
CREATE TABLE applies (
  kind   TEXT NOT NULL CHECK (kind IN ('fix', 'step', 'command', 'check')),
  record TEXT NOT NULL,
  item   INTEGER NOT NULL CHECK (item >= -1),
  seq    INTEGER NOT NULL CHECK (seq >= 0),
  fact   TEXT NOT NULL REFERENCES fact(id),
  negate INTEGER NOT NULL CHECK (negate IN (0, 1)),
  PRIMARY KEY (kind, record, item, seq)
) WITHOUT ROWID;

CREATE TABLE applies_value (
  kind   TEXT NOT NULL,
  record TEXT NOT NULL,
  item   INTEGER NOT NULL,
  seq    INTEGER NOT NULL,
  vseq   INTEGER NOT NULL CHECK (vseq >= 0),
  fact   TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (kind, record, item, seq, vseq),
  FOREIGN KEY (kind, record, item, seq) REFERENCES applies(kind, record, item, seq),
  FOREIGN KEY (fact, value) REFERENCES fact_value(fact, value)
) WITHOUT ROWID;

-- The rules' starting state may hold exclude effects (target: the fix).
-- rule_prime is computed by kb build, so it is made afresh; its digest no
-- longer matches, and a session settles the rules itself until kb build
-- primes them again.
DROP TABLE rule_prime;
DELETE FROM rules_primed;
CREATE TABLE rule_prime (
  rule   TEXT NOT NULL REFERENCES rule(id),
  seq    INTEGER NOT NULL CHECK (seq >= 0),
  kind   TEXT NOT NULL CHECK (kind IN ('derive', 'hide', 'scale', 'fill', 'warn', 'exclude', 'off')),
  target TEXT NOT NULL,
  text   TEXT NOT NULL,
  factor REAL NOT NULL,
  why    TEXT NOT NULL,
  PRIMARY KEY (rule, seq)
) WITHOUT ROWID;
