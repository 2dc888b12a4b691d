-- 004_rule_prime.sql: version 4.
-- The rules' starting state: the effects each rule has while no fact is
-- known (and the rules switched off then), computed by kb build, so that a
-- session on a knowledge base of 100,000 rules starts without running them.
-- target: the fact (derive, hide), cause (scale), fix (warn) or slot (fill);
-- text: the derived value, the filled or warning text, or why it is off.
-- rules_primed holds the content digest the table was computed for; a
-- session uses the table only while the digest matches.
CREATE TABLE rule_prime (
  rule   TEXT NOT NULL REFERENCES rule(id),
  seq    INTEGER NOT NULL CHECK (seq >= 0),
  kind   TEXT NOT NULL CHECK (kind IN ('derive', 'hide', 'scale', 'fill', 'warn', 'off')),
  target TEXT NOT NULL,
  text   TEXT NOT NULL,
  factor REAL NOT NULL,
  why    TEXT NOT NULL,
  PRIMARY KEY (rule, seq)
) WITHOUT ROWID;

CREATE TABLE rules_primed (
  digest TEXT NOT NULL
);
