-- 007_model_image.sql: version 7.
-- A compact image of the loaded model (engine/image.c): every array a
-- session needs, text included, as one BLOB that a session reads in a few
-- reads instead of one per row. kb build writes it last. model_image_use
-- says it may be used: format names the code and the memory layout that
-- wrote it (another triage ignores it); size and sum (a hash of data) are
-- checked before it is used. Any change to the content deletes that row
-- (the triggers below, whoever writes: kb edit, kb learn, sqlite3), and a
-- session then loads the rows as before. Only the small row is deleted, so
-- an edit's transaction stays as small as it was; the stale data stays
-- until the next kb build.
CREATE TABLE model_image (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  data BLOB NOT NULL
);

CREATE TABLE model_image_use (
  id     INTEGER PRIMARY KEY CHECK (id = 1),
  format TEXT NOT NULL,
  size   INTEGER NOT NULL CHECK (size > 0),
  sum    TEXT NOT NULL
);

CREATE TRIGGER model_image_kb_meta_insert AFTER INSERT ON kb_meta BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_kb_meta_update AFTER UPDATE ON kb_meta BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_kb_meta_delete AFTER DELETE ON kb_meta BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_source_insert AFTER INSERT ON source BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_source_update AFTER UPDATE ON source BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_source_delete AFTER DELETE ON source BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fact_insert AFTER INSERT ON fact BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fact_update AFTER UPDATE ON fact BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fact_delete AFTER DELETE ON fact BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fact_value_insert AFTER INSERT ON fact_value BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fact_value_update AFTER UPDATE ON fact_value BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fact_value_delete AFTER DELETE ON fact_value BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fact_check_insert AFTER INSERT ON fact_check BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fact_check_update AFTER UPDATE ON fact_check BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fact_check_delete AFTER DELETE ON fact_check BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_cause_insert AFTER INSERT ON cause BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_cause_update AFTER UPDATE ON cause BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_cause_delete AFTER DELETE ON cause BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_evidence_insert AFTER INSERT ON evidence BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_evidence_update AFTER UPDATE ON evidence BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_evidence_delete AFTER DELETE ON evidence BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_evidence_p_insert AFTER INSERT ON evidence_p BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_evidence_p_update AFTER UPDATE ON evidence_p BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_evidence_p_delete AFTER DELETE ON evidence_p BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fix_insert AFTER INSERT ON fix BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fix_update AFTER UPDATE ON fix BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fix_delete AFTER DELETE ON fix BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fix_step_insert AFTER INSERT ON fix_step BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fix_step_update AFTER UPDATE ON fix_step BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fix_step_delete AFTER DELETE ON fix_step BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fix_command_insert AFTER INSERT ON fix_command BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fix_command_update AFTER UPDATE ON fix_command BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_fix_command_delete AFTER DELETE ON fix_command BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_resolves_insert AFTER INSERT ON resolves BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_resolves_update AFTER UPDATE ON resolves BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_resolves_delete AFTER DELETE ON resolves BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_rule_insert AFTER INSERT ON rule BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_rule_update AFTER UPDATE ON rule BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_rule_delete AFTER DELETE ON rule BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_rule_read_insert AFTER INSERT ON rule_read BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_rule_read_update AFTER UPDATE ON rule_read BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_rule_read_delete AFTER DELETE ON rule_read BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_cites_insert AFTER INSERT ON cites BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_cites_update AFTER UPDATE ON cites BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_cites_delete AFTER DELETE ON cites BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_rule_prime_insert AFTER INSERT ON rule_prime BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_rule_prime_update AFTER UPDATE ON rule_prime BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_rule_prime_delete AFTER DELETE ON rule_prime BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_rules_primed_insert AFTER INSERT ON rules_primed BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_rules_primed_update AFTER UPDATE ON rules_primed BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_rules_primed_delete AFTER DELETE ON rules_primed BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_applies_insert AFTER INSERT ON applies BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_applies_update AFTER UPDATE ON applies BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_applies_delete AFTER DELETE ON applies BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_applies_value_insert AFTER INSERT ON applies_value BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_applies_value_update AFTER UPDATE ON applies_value BEGIN DELETE FROM model_image_use; END;
CREATE TRIGGER model_image_applies_value_delete AFTER DELETE ON applies_value BEGIN DELETE FROM model_image_use; END;
