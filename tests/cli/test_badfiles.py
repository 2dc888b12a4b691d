"""test_badfiles.py: every kind of bad knowledge-base file given to a command
is refused with exit 1 and exactly one stderr line naming the file and the
problem, and the file is left exactly as it was (bytes, mtime, inode), with
no file created beside it (no -journal, no copy; a missing path stays
missing).
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_badfiles.py
"""
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
SCHEMA = len(list((ROOT / "schema").glob("[0-9]*.sql")))


def run_list(path, cwd):
    env = dict(os.environ)
    env.pop("TRIAGE_KB", None)
    return subprocess.run([BIN, "--kb", str(path), "kb", "list", "facts"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=30)


def snapshot(directory):
    """Every entry of directory with its bytes, mtime and inode."""
    out = {}
    for p in sorted(Path(directory).iterdir()):
        st = p.lstat()
        out[p.name] = (p.is_dir(), None if p.is_dir() else p.read_bytes(), st.st_mtime_ns, st.st_ino)
    return out


# Each maker writes its bad file in directory d and returns (path, problem).

def missing(d):
    return d / "nosuch.sqlite", "No such file or directory"


def directory(d):
    (d / "kbdir").mkdir()
    return d / "kbdir", "is a directory, not a knowledge base"


def empty(d):
    (d / "empty.sqlite").write_bytes(b"")
    return d / "empty.sqlite", "empty file, not a triage knowledge base"


def text(d):
    (d / "notes.txt").write_text("These are my notes.\nNot a knowledge base.\n")
    return d / "notes.txt", "not a SQLite database, so not a triage knowledge base"


def truncated(d):
    (d / "cut.sqlite").write_bytes(Path(KB).read_bytes()[:1000])
    return d / "cut.sqlite", "corrupt database: database disk image is malformed"


def corrupt(d):
    # a page of the model image, which every command that loads the model
    # reads (SQLite checks the pages it reads: the image spares a session
    # the table pages)
    db = sqlite3.connect(KB)
    pages = [p for (p,) in db.execute("SELECT pageno FROM dbstat WHERE name = 'model_image' "
                                      "AND pagetype = 'overflow'")]
    db.close()
    data = bytearray(Path(KB).read_bytes())
    middle = (pages[len(pages) // 2] - 1) * 4096
    data[middle:middle + 4096] = b"\xff" * 4096
    (d / "corrupt.sqlite").write_bytes(bytes(data))
    return d / "corrupt.sqlite", None   # SQLite's own words follow "corrupt database: "


def other_app(d):
    db = sqlite3.connect(d / "contacts.sqlite")
    db.execute("CREATE TABLE contacts (name TEXT)")
    db.execute("INSERT INTO contacts VALUES ('Ada')")
    db.commit()
    db.close()
    return (d / "contacts.sqlite",
            "a SQLite database of another application (application_id 0x00000000), "
            "not a triage knowledge base")


def too_new(d):
    shutil.copyfile(KB, d / "future.sqlite")
    db = sqlite3.connect(d / "future.sqlite")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    return (d / "future.sqlite",
            "knowledge-base schema version 99 is newer than this triage reads (%d); "
            "upgrade triage" % SCHEMA)


MAKERS = [missing, directory, empty, text, truncated, corrupt, other_app, too_new]


@pytest.mark.parametrize("make", MAKERS, ids=[m.__name__ for m in MAKERS])
def test_bad_file_is_refused_in_one_line_and_left_untouched(make, tmp_path):
    d = tmp_path / "kbs"
    d.mkdir()
    path, problem = make(d)
    before = snapshot(d)
    r = run_list(path, cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout == ""
    prefix = "triage: %s: " % path
    if problem is None:
        assert r.stderr.startswith(prefix + "corrupt database: "), r.stderr
    else:
        assert r.stderr == prefix + problem + "\n"
    assert r.stderr.count("\n") == 1, "more than one line: %r" % r.stderr
    assert snapshot(d) == before
    assert os.listdir(tmp_path) == ["kbs"]       # nothing created in the working directory
    if make is missing:
        assert not path.exists()


def test_relative_path_is_named_as_given(tmp_path):
    (tmp_path / "empty.sqlite").write_bytes(b"")
    r = run_list("empty.sqlite", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == "triage: empty.sqlite: empty file, not a triage knowledge base\n"


def test_good_copy_of_the_kb_is_not_modified_by_reading(tmp_path):
    d = tmp_path / "kbs"
    d.mkdir()
    shutil.copyfile(KB, d / "kb.sqlite")
    before = snapshot(d)
    r = run_list(d / "kb.sqlite", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == ""
    assert snapshot(d) == before


def test_older_kb_is_read_without_being_changed(tmp_path):
    """A version-1 knowledge base (no fix.outcome, no fact.unknown_rate) is
    migrated in memory for reading; the file keeps its bytes."""
    d = tmp_path / "kbs"
    d.mkdir()
    old = d / "v1.sqlite"
    db = sqlite3.connect(old)
    db.executescript((ROOT / "schema" / "001_initial.sql").read_text())
    db.execute("INSERT INTO fact VALUES ('seen', 'Seen?', '', 'client', 1)")
    db.execute("INSERT INTO fact_value VALUES ('seen', 0, 'yes', 'yes', 0.5)")
    db.execute("INSERT INTO fact_value VALUES ('seen', 1, 'no', 'no', 0.5)")
    db.execute("PRAGMA application_id = %d" % 0x54726961)
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    before = snapshot(d)
    r = run_list(old, cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, "seen  Seen?\n", "")
    assert snapshot(d) == before


DAMAGED_COMMANDS = [["kb", "show", "termservice_crashed"], ["kb", "list", "causes"],
                    ["session", "--jsonl", "--no-save"], ["diagnose"]]


@pytest.mark.parametrize("argv", DAMAGED_COMMANDS, ids=[" ".join(a[:2]) for a in DAMAGED_COMMANDS])
def test_damaged_pages_are_named_when_read(argv, tmp_path):
    """Opening to read checks the header, not every page (store.c): a
    damaged page is found when a command reads it, and named as corrupt
    (not as a missing record), in one line, the file left as it was."""
    d = tmp_path / "kbs"
    d.mkdir()
    data = bytearray(Path(KB).read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = b"\xff" * (len(data) - page)   # all but the first page
    (d / "damaged.sqlite").write_bytes(bytes(data))
    before = snapshot(d)
    env = dict(os.environ)
    env.pop("TRIAGE_KB", None)
    env["HOME"] = str(tmp_path)
    r = subprocess.run([BIN, "--kb", str(d / "damaged.sqlite")] + argv, env=env, cwd=tmp_path,
                       input='{"command": "quit"}\n', capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == "triage: %s: corrupt database: database disk image is malformed\n" % (
        d / "damaged.sqlite")
    assert snapshot(d) == before
