-- 002_outcome_unknown_rate.sql: version 2.
-- A fix says what the user sees when it worked; a fact says how often the
-- person asked cannot tell (the planner discounts a question by it).
ALTER TABLE fix ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE fact ADD COLUMN unknown_rate REAL NOT NULL DEFAULT 0.1
  CHECK (unknown_rate >= 0 AND unknown_rate <= 0.9);
