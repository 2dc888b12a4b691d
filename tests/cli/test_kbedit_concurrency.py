"""test_kbedit_concurrency.py: many readers, one editor, nothing lost (issue
10 item 7), with real processes: editors and readers at once (every
acknowledged change there, every read whole), a second editor told who
holds the lock, editors killed at random moments (the file stays at the
last complete change), and a knowledge base on a read-only medium that
still serves sessions while an edit says why it cannot be made.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_kbedit_concurrency.py
"""
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
CAUSE = "corrupt_machinekeys"


@pytest.fixture
def kb(tmp_path):
    p = tmp_path / "kb" / "kb.sqlite"
    p.parent.mkdir()
    shutil.copy(KB, p)
    return p


def env(kb, tmp_path, **more):
    e = dict(os.environ, TRIAGE_KB=str(kb), TRIAGE_EDITOR="alice", TMPDIR=str(tmp_path))
    e.update(more)
    return e


def run(kb, tmp_path, *args, stdin=None, **more):
    return subprocess.run([BIN, *args], env=env(kb, tmp_path, **more), input=stdin, capture_output=True,
                          text=True, timeout=120)


def source(i):
    return json.dumps({"id": f"ticket_{i}", "file": f"https://example.org/t/{i}", "title": f"Ticket {i}", "note": ""})


def test_editors_and_readers_at_once(kb, tmp_path):
    editors, per_editor = 3, 4
    acked, problems, counts = [], [], []
    done = threading.Event()

    def editor(n):
        for j in range(per_editor):
            i = n * 100 + j
            r = run(kb, tmp_path, "kb", "add", "source", "--json", "-", "-m", f"editor {n}", stdin=source(i),
                    TRIAGE_EDITOR=f"editor{n}")
            if r.returncode == 0:
                acked.append(f"ticket_{i}")
            else:
                problems.append(r.stderr)

    def reader(kind):
        last = 0
        while not done.is_set():
            if kind == "list":
                r = run(kb, tmp_path, "kb", "list", "sources", "--json")
                if r.returncode != 0:
                    problems.append("reader: " + r.stderr)
                    continue
                n = sum(1 for s in json.loads(r.stdout) if s["id"].startswith("ticket_"))
                if n < last:
                    problems.append(f"reader saw {n} sources after {last}")
                last = n
                counts.append(n)
            else:
                r = run(kb, tmp_path, "diagnose", "--json", "--fact", "host_kind=azure_vm")
                if r.returncode != 0 or "ranking" not in r.stdout and "causes" not in r.stdout:
                    problems.append("diagnose: " + r.stderr)

    readers = [threading.Thread(target=reader, args=(k,)) for k in ("list", "diagnose")]
    writers = [threading.Thread(target=editor, args=(n,)) for n in range(editors)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    for t in readers:
        t.join()
    assert problems == []
    assert len(acked) == editors * per_editor
    listed = {s["id"] for s in json.loads(run(kb, tmp_path, "kb", "list", "sources", "--json").stdout)}
    assert set(acked) <= listed
    log = json.loads(run(kb, tmp_path, "kb", "log", "--json").stdout)
    assert len(log) == editors * per_editor
    assert sorted(c["version_after"] for c in log) == sorted(f"2026.11.1+{i}" for i in range(1, len(log) + 1))
    assert {c["who"] for c in log} == {f"editor{n}" for n in range(editors)}
    assert counts and run(kb, tmp_path, "kb", "check").returncode == 0


def hold_lock(kb):
    db = sqlite3.connect(str(kb), isolation_level=None, check_same_thread=False)
    db.execute("BEGIN IMMEDIATE")
    return db


def edit_prior(kb, tmp_path, prior, **more):
    rec = json.loads(run(kb, tmp_path, "kb", "show", CAUSE, "--json").stdout)
    rec["prior"] = prior
    return run(kb, tmp_path, "kb", "edit", CAUSE, "--json", "-", stdin=json.dumps(rec), **more)


def test_second_editor_is_told_who_edits(kb, tmp_path):
    db = hold_lock(kb)
    r = edit_prior(kb, tmp_path, 0.2, TRIAGE_EDIT_WAIT="1")
    assert r.returncode == 1
    assert r.stderr == (f"triage: kb edit: {kb} is being edited by another process; waited 1 s,"
                        " try again when that change is done\n")
    Path(str(kb) + "-editor").write_text(f"bob (pid {os.getpid()}, since 2026-12-02T05:00:00Z)\n")
    r = edit_prior(kb, tmp_path, 0.2, TRIAGE_EDIT_WAIT="1")
    assert r.stderr == (f"triage: kb edit: {kb} is being edited by bob (pid {os.getpid()},"
                        " since 2026-12-02T05:00:00Z); waited 1 s, try again when that change is done\n")
    db.execute("ROLLBACK")
    db.close()
    assert edit_prior(kb, tmp_path, 0.2).returncode == 0
    assert not Path(str(kb) + "-editor").exists()


def test_second_editor_waits_then_succeeds(kb, tmp_path):
    db = hold_lock(kb)
    threading.Timer(1.5, lambda: (db.execute("ROLLBACK"), db.close())).start()
    t0 = time.monotonic()
    r = edit_prior(kb, tmp_path, 0.2)
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 >= 1.0    # it did wait for the lock (an order, not a speed)
    assert json.loads(run(kb, tmp_path, "kb", "show", CAUSE, "--json").stdout)["prior"] == 0.2


def test_editor_killed_at_any_moment_leaves_the_last_complete_change(kb, tmp_path):
    rng = random.Random(10)
    rec = json.loads(run(kb, tmp_path, "kb", "show", CAUSE, "--json").stdout)
    committed = [rec["prior"]]
    for n in range(10):
        rec["prior"] = round(0.1 + n / 100, 2)
        p = subprocess.Popen([BIN, "kb", "edit", CAUSE, "--json", "-"], env=env(kb, tmp_path),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        p.stdin.write(json.dumps(rec))
        p.stdin.close()
        time.sleep(rng.uniform(0, 0.25))
        p.send_signal(signal.SIGKILL)
        out = p.stdout.read()
        p.wait()
        if p.returncode == 0:      # finished before the kill: acknowledged
            assert out.rstrip().endswith(f"version 2026.11.1+{len(committed)}")
            committed.append(rec["prior"])
        shown = run(kb, tmp_path, "kb", "show", CAUSE, "--json")
        assert shown.returncode == 0, f"kb show after the kill of edit {n}: {shown.stderr}"
        now = json.loads(shown.stdout)["prior"]
        assert now in (committed[-1], rec["prior"])
        if now != committed[-1]:   # committed, killed before it said so
            committed.append(now)
        assert run(kb, tmp_path, "kb", "check").returncode == 0
    assert len(json.loads(run(kb, tmp_path, "kb", "log", "--json").stdout)) == len(committed) - 1
    assert edit_prior(kb, tmp_path, 0.5).returncode == 0


def as_nobody(args):
    """Runs as an unprivileged user when the tests run as root (else as is)."""
    if os.geteuid() == 0:
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *args]
    return args


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="needs setpriv as root")
def test_read_only_file_serves_sessions_and_refuses_edits(tmp_path):
    d = Path(tempfile.mkdtemp(prefix="triage-ro-"))
    try:
        os.chmod(d, 0o755)
        kb = d / "kb.sqlite"
        shutil.copy(KB, kb)
        edit_prior(kb, tmp_path, 0.2)          # the file is in WAL mode now
        db = sqlite3.connect(str(kb))
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        for extra in ("-wal", "-shm"):
            Path(str(kb) + extra).unlink(missing_ok=True)
        os.chmod(kb, 0o444)
        os.chmod(d, 0o555)
        e = dict(os.environ, TRIAGE_KB=str(kb), TRIAGE_SESSIONS=str(d / "none" / "s.sqlite"))
        r = subprocess.run(as_nobody([BIN, "diagnose", "--json"]), env=e, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        r = subprocess.run(as_nobody([BIN, "kb", "show", CAUSE, "--json"]), env=e, capture_output=True, text=True)
        assert json.loads(r.stdout)["prior"] == 0.2
        r = subprocess.run(as_nobody([BIN, "kb", "rm", "ticket_1"]), env=e, capture_output=True, text=True)
        assert r.stderr == f"triage: kb rm: no record 'ticket_1' in {kb}\n"
        r = subprocess.run(as_nobody([BIN, "kb", "edit", CAUSE, "--json", "-"]), env=e, input=r.stdout,
                           capture_output=True, text=True)
        rec = json.loads(subprocess.run([BIN, "kb", "show", CAUSE, "--json"], env=e, capture_output=True,
                                        text=True).stdout)
        r = subprocess.run(as_nobody([BIN, "kb", "edit", CAUSE, "--json", "-"]), env=e, input=json.dumps(rec),
                           capture_output=True, text=True)
        assert r.returncode == 1
        assert r.stderr == (f"triage: kb edit: {kb} cannot be edited: no permission to write it"
                            " (sessions can still read it)\n")
        if os.geteuid() == 0:              # the file writable, its directory not
            os.chown(kb, 65534, 65534)
            os.chmod(kb, 0o644)
            r = subprocess.run(as_nobody([BIN, "kb", "edit", CAUSE, "--json", "-"]), env=e,
                               input=json.dumps(rec), capture_output=True, text=True)
            assert r.stderr == (f"triage: kb edit: {kb} cannot be edited: no permission to write its directory"
                                " (SQLite keeps the write-ahead log beside it) (sessions can still read it)\n")
    finally:
        os.chmod(d, 0o755)
        shutil.rmtree(d)


def test_a_journal_left_by_a_killed_writer_is_rolled_back_by_the_next_reader(kb, tmp_path):
    # a writer dies in the middle of a transaction, its journal spilled to
    # disk (a hot journal): a read-only open cannot roll it back itself
    before = json.loads(run(kb, tmp_path, "kb", "show", CAUSE, "--json").stdout)
    code = ("import sqlite3, os, sys\n"
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "db.execute('PRAGMA cache_size = 1')\n"
            "db.execute('BEGIN')\n"
            "db.execute(\"UPDATE cause SET summary = summary || ' changed'\")\n"
            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(kb)], check=True)
    assert Path(str(kb) + "-journal").exists()
    r = run(kb, tmp_path, "kb", "show", CAUSE, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == before


def wal_pages(wal):
    """The pages the write-ahead log holds in frames of its current salt."""
    data = wal.read_bytes()
    size = int.from_bytes(data[8:12], "big")
    salts = data[16:24]
    pages, off = set(), 32
    while off + 24 + size <= len(data):
        if data[off + 8:off + 16] == salts:
            pages.add(int.from_bytes(data[off:off + 4], "big"))
        off += 24 + size
    return pages


def test_a_checkpoint_cut_short_is_read_through_the_log(kb, tmp_path):
    """An editor killed while it folds the log back can leave the main file
    short of the page count its header already says, every page still in
    the log. Readers read it through the log; the header's size is not
    taken for damage while a log is beside the file. Without the log the
    same short file is corrupt, and says so."""
    before = kb.stat().st_size
    for i in range(4):   # grows the file in the log (a page is 4 KiB; the note 40 KB)
        rec = {"id": f"big_{i}", "file": f"https://example.org/b/{i}", "title": f"Big {i}",
               "note": "word " * 8000}
        r = run(kb, tmp_path, "kb", "add", "source", "--json", "-", "-m", "big", stdin=json.dumps(rec))
        assert r.returncode == 0, r.stderr
    wal = Path(str(kb) + "-wal")
    head = kb.read_bytes()[:100]
    page, pages = int.from_bytes(head[16:18], "big"), int.from_bytes(head[28:32], "big")
    assert page * pages > before, "the edits did not grow the file"
    cut = before // page
    assert set(range(cut + 1, pages + 1)) <= wal_pages(wal), "the log no longer holds the new pages"
    with open(kb, "r+b") as f:
        f.truncate(cut * page)
    Path(str(kb) + "-shm").unlink(missing_ok=True)
    for args in (("kb", "show", "big_3", "--json"), ("diagnose", "--json"), ("kb", "check")):
        r = run(kb, tmp_path, *args)
        assert r.returncode == 0, (args, r.stderr)
    assert json.loads(run(kb, tmp_path, "kb", "show", "big_3", "--json").stdout)["title"] == "Big 3"
    # the same file without its log is short, and corrupt
    short = tmp_path / "short.sqlite"
    shutil.copy(kb, short)
    r = run(short, tmp_path, "kb", "show", "big_3", "--json")
    assert r.returncode != 0
    assert r.stderr == f"triage: {short}: corrupt database: database disk image is malformed\n"
