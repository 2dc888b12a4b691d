"""conftest.py: every command-line test keeps its saved sessions in its own
temporary file (session --jsonl and the shell save as they go), so no test
writes to the user's own data directory or sees another test's sessions;
and none reads the user's configuration file or reach, colour and name
from the environment (config.h)."""
import pytest


@pytest.fixture(autouse=True)
def own_session_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAGE_SESSIONS", str(tmp_path / "sessions.sqlite"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for var in ("TRIAGE_REACH", "TRIAGE_COLOR", "TRIAGE_TECHNICIAN"):
        monkeypatch.delenv(var, raising=False)
