-- 008_fix_includes.sql: version 8.
-- A fix whose steps carry out another fix's procedure in full says so
-- (renewing the RDP certificate restarts TermService): trying it is trying
-- the other too. The engine then counts the included fix as tried when the
-- including one fails, and the including fix resolves what the included one
-- does, at least as often (engine/model.c).
CREATE TABLE fix_includes (
  fix      TEXT NOT NULL REFERENCES fix(id),
  seq      INTEGER NOT NULL CHECK (seq >= 0),
  includes TEXT NOT NULL REFERENCES fix(id) DEFERRABLE INITIALLY DEFERRED CHECK (includes <> fix),
  PRIMARY KEY (fix, seq),
  UNIQUE (fix, includes)
) WITHOUT ROWID;

CREATE TRIGGER model_image_fix_includes_insert AFTER INSERT ON fix_includes BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fix_includes_update AFTER UPDATE ON fix_includes BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fix_includes_delete AFTER DELETE ON fix_includes BEGIN DELETE FROM model_image_use; END;
