"""`triage --version`: the program's version, and the knowledge base that
would be used (--kb, TRIAGE_KB, or the one installed beside the binary):
its id, title, version and digest, or that none was found or usable, which
is not an error.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_version.py
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from test_kb import small_kb

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
META = json.loads((ROOT / "kb" / "kb.json").read_text())
FIRST = r"triage (\S+) \(schema \d+, SQLite \d+\.\d+\.\d+\)\n"


def version(*args, kb=None, binary=BIN):
    env = dict(os.environ)
    env.pop("TRIAGE_KB", None)
    if kb is not None:
        env["TRIAGE_KB"] = kb
    r = subprocess.run([binary, *args], env=env, capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    return r.stdout


def test_version_names_the_knowledge_base_in_effect():
    out = version("--version", kb=KB)
    m = re.fullmatch(FIRST + r"knowledge base: (\S+) version (\S+), digest ([0-9a-f]{16})\n  (.*)\n  (.*)\n",
                     out)
    assert m, out
    changelog = (ROOT / "packaging" / "changelog").read_text()
    assert m.group(1) == re.match(r"triage \((\S+)\) ", changelog).group(1)   # the release's version
    assert (m.group(2), m.group(3), m.group(5), m.group(6)) == \
        (META["id"], META["version"], META["title"], KB)


def test_version_digest_follows_the_content(tmp_path):
    tiny = small_kb(tmp_path)
    out = version("--version", "--kb", tiny)
    digest = re.search(r"digest ([0-9a-f]{16})", out).group(1)
    assert out.splitlines()[1:] == ["knowledge base: tiny version 1, digest " + digest, "  Tiny", "  " + tiny]
    assert digest != re.search(r"digest ([0-9a-f]{16})", version("--version", kb=KB)).group(1)
    assert version("--kb", tiny, "--version") == out   # --kb before or after
    copy = tmp_path / "copy.sqlite"
    shutil.copy(tiny, copy)
    assert re.search(r"digest ([0-9a-f]{16})", version("--version", kb=str(copy))).group(1) == digest


def test_version_without_a_knowledge_base_says_none_found(tmp_path):
    missing = tmp_path / "missing.sqlite"
    out = version("--version", kb=str(missing))
    assert re.fullmatch(FIRST + "knowledge base: none found \\(looked for %s\\)\n" % re.escape(str(missing)),
                        out), out


def test_version_with_a_broken_knowledge_base_says_why(tmp_path):
    bad = tmp_path / "bad.sqlite"
    bad.write_text("not a database\n")
    out = version("--version", "--kb", str(bad))
    assert out.splitlines()[1] == \
        "knowledge base: none usable (%s: not a SQLite database, so not a triage knowledge base)" % bad
    assert bad.read_text() == "not a database\n"


def test_version_finds_the_installed_knowledge_base_beside_the_binary(tmp_path):
    """The layout of `make install`: bin/triage and share/triage/kb.sqlite."""
    (tmp_path / "bin").mkdir()
    binary = tmp_path / "bin" / "triage"
    shutil.copy(BIN, binary)
    shared = tmp_path / "share" / "triage" / "kb.sqlite"
    out = version("--version", binary=str(binary))
    assert out.splitlines()[1] == "knowledge base: none found (looked for %s/bin/../share/triage/kb.sqlite)" \
        % tmp_path
    shared.parent.mkdir(parents=True)
    shutil.copy(KB, shared)
    out = version("--version", binary=str(binary))
    assert out.splitlines()[1].startswith("knowledge base: %s version %s, digest " % (META["id"], META["version"]))
    assert out.splitlines()[3] == "  %s/bin/../share/triage/kb.sqlite" % tmp_path
