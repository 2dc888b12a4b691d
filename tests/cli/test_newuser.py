"""test_newuser.py: what a new user trips over (issue 17): dump never
destroys unbuilt work, an export never overwrites an SQLite file, sessions
are single-writer and keep every event, sessions can be listed, shown,
titled and removed, JSON Lines sessions are saved, answers people type are
understood, and editors get every build error at once.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_newuser.py
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def run(*args, input=None, env=None):
    e = dict(os.environ, TRIAGE_KB=KB)
    e.update(env or {})
    return subprocess.run([BIN, *args], env=e, capture_output=True, text=True, input=input, timeout=30)


def ok(*args, **kw):
    r = run(*args, **kw)
    assert r.returncode == 0, r.stderr
    return r


# ---- 1. kb dump never destroys unbuilt work ----

def test_dump_refuses_a_directory_with_edits_and_writes_nothing(tmp_path):
    d = tmp_path / "tree"
    assert ok("kb", "dump", str(d)).stdout == ""
    edited = d / "kb" / "causes" / "corrupt_machinekeys.json"
    edited.write_text(edited.read_text().replace('"prior"', '"prior" '))
    new = d / "kb" / "facts" / "a_new_fact.json"
    new.write_text('{"id": "a_new_fact"}\n')
    before = {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}
    r = run("kb", "dump", str(d))
    assert r.returncode == 1
    assert r.stderr == (
        "triage: kb dump: %s holds edits the knowledge base does not have (would replace %s, "
        "would remove %s); nothing written (build them first, dump elsewhere, or --force)\n" % (d, edited, new))
    assert {p: p.read_bytes() for p in d.rglob("*") if p.is_file()} == before


def test_dump_force_says_what_it_replaced_and_removed_and_keeps_other_files(tmp_path):
    d = tmp_path / "tree"
    ok("kb", "dump", str(d))
    edited = d / "kb" / "fixes" / "renew_rdp_certificate.json"
    pristine = edited.read_bytes()
    edited.write_text("{}\n")
    new = d / "rules" / "mine.lua"
    new.write_text("-- unbuilt\n")
    notes = d / "kb" / "NOTES.txt"
    notes.write_text("mine\n")
    r = ok("kb", "dump", "--force", str(d))
    assert r.stdout == "replaced %s\nremoved %s\n" % (edited, new)
    assert edited.read_bytes() == pristine and not new.exists()
    assert notes.read_text() == "mine\n"


def test_dump_into_an_identical_tree_is_quiet_and_changes_nothing(tmp_path):
    d = tmp_path / "tree"
    ok("kb", "dump", str(d))
    mtimes = {p: p.stat().st_mtime_ns for p in d.rglob("*") if p.is_file()}
    time.sleep(0.01)
    assert ok("kb", "dump", str(d)).stdout == ""
    assert {p: p.stat().st_mtime_ns for p in d.rglob("*") if p.is_file()} == mtimes


# ---- 4. export never overwrites an SQLite file ----

@pytest.mark.parametrize("what", ["kb", "sessions"])
def test_export_refuses_to_overwrite_an_sqlite_file(tmp_path, what):
    target = tmp_path / "file.sqlite"
    if what == "kb":
        shutil.copy(KB, target)
    else:
        sqlite3.connect(str(target)).execute("CREATE TABLE t (x)").connection.commit()
    before = target.read_bytes()
    r = run("export", "guide", "-o", str(target))
    assert r.returncode == 1
    assert r.stderr == "triage: refusing to overwrite %s: it is an SQLite database, not a report\n" % target
    assert target.read_bytes() == before
    link = tmp_path / "link.md"
    link.symlink_to(target)
    assert run("export", "coverage", "-o", str(link)).returncode == 1
    assert target.read_bytes() == before
