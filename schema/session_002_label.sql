-- session_002_label.sql: a title or ticket number the user gives a session
-- (`--title`, the shell's `title`), kept apart from the automatic summary
-- of its facts in `title`; both are searched by `triage sessions --search`.
ALTER TABLE session ADD COLUMN label TEXT NOT NULL DEFAULT '';
