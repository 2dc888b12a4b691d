-- session_003_ending.sql: how a session ended, as the technician says it
-- (learning from outcomes reads it), and the reach it ran with (resuming
-- with a wider reach continues where a hand-over stopped).
--   ending:      '' (not said yet), 'fixed' (by the knowledge base's fix
--                ending_fix), 'outside' (by something the knowledge base
--                lacks; ending_note says what), 'abandoned', 'handover'.
--   reach:       the session's reach as given ('' = everything).
ALTER TABLE session ADD COLUMN ending TEXT NOT NULL DEFAULT ''
  CHECK (ending IN ('', 'fixed', 'outside', 'abandoned', 'handover'));
ALTER TABLE session ADD COLUMN ending_fix TEXT NOT NULL DEFAULT '';
ALTER TABLE session ADD COLUMN ending_note TEXT NOT NULL DEFAULT '';
ALTER TABLE session ADD COLUMN ended TEXT NOT NULL DEFAULT '';
ALTER TABLE session ADD COLUMN reach TEXT NOT NULL DEFAULT '';
