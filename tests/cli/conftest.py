"""conftest.py: every command-line test keeps its saved sessions in its own
temporary file (session --jsonl and the shell save as they go), so no test
writes to the user's own data directory or sees another test's sessions."""
import pytest


@pytest.fixture(autouse=True)
def own_session_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAGE_SESSIONS", str(tmp_path / "sessions.sqlite"))
