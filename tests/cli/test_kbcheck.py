"""test_kbcheck.py: `triage kb check`. A fresh build is ok; a file changed
behind triage's back (with python's sqlite3, as a hand edit would, or bytes
overwritten, as a bad disk would) is named record by record, with exit 1.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_kbcheck.py
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


def check(path):
    return subprocess.run([BIN, "kb", "check", "--kb", str(path)], capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def kb(tmp_path):
    p = tmp_path / "kb.sqlite"
    shutil.copy(KB, p)
    return p


def tamper(path, *statements):
    db = sqlite3.connect(path)
    for s in statements:
        if isinstance(s, tuple):
            db.execute(*s)
        else:
            db.execute(s)
    db.commit()
    db.close()


def problems(r, path):
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert r.stderr == "triage: kb check: %d problem%s in %s\n" % (
        len(lines), "" if len(lines) == 1 else "s", path)
    prefix = "%s: " % path
    assert all(line.startswith(prefix) for line in lines)
    return [line[len(prefix):] for line in lines]


def test_a_fresh_build_is_ok(kb):
    r = check(kb)
    assert (r.returncode, r.stdout, r.stderr) == (0, "%s: ok\n" % kb, "")


def test_the_file_is_not_changed_by_checking(kb):
    before = kb.read_bytes()
    check(kb)
    assert kb.read_bytes() == before


def test_a_changed_title_is_named(kb):
    tamper(kb, "UPDATE fix SET title = 'Renew it' WHERE id = 'renew_rdp_certificate'")
    assert problems(check(kb), kb) == [
        "fix renew_rdp_certificate: changed outside triage (its checksum does not match)"]


def test_a_changed_probability_and_a_changed_rule_are_named(kb):
    cause, fact, value = sqlite3.connect(kb).execute(
        "SELECT cause, fact, value FROM evidence_p ORDER BY 1, 2, 3 LIMIT 1").fetchone()
    tamper(kb, ("UPDATE evidence_p SET p = 0.5 WHERE cause = ? AND fact = ? AND value = ?",
                (cause, fact, value)),
           "UPDATE rule SET source = source || '-- x' WHERE id = 'safety'")
    got = problems(check(kb), kb)
    # the new probability breaks the cause's sum too, as kb build would say
    assert got[0].startswith("records: cause %s: evidence on %s sums to " % (cause, fact))
    assert got[1:] == [
        "cause %s: changed outside triage (its checksum does not match)" % cause,
        "rule safety: changed outside triage (its checksum does not match)"]


def test_a_control_character_written_behind_kb_build_is_refused_as_kb_build_would(kb):
    tamper(kb, ("UPDATE fix SET title = ? WHERE id = 'renew_rdp_certificate'", ("Renew\x1b[8m",)))
    assert problems(check(kb), kb) == [
        "records: kb/fixes/renew_rdp_certificate.json: renew_rdp_certificate: 'title' contains a "
        "control character U+001B at byte 5",
        "fix renew_rdp_certificate: changed outside triage (its checksum does not match)"]


def test_an_invalid_value_is_refused_as_kb_build_would(kb):
    tamper(kb, "UPDATE fix SET risk = 'medium', undo = '' WHERE id = 'renew_rdp_certificate'")
    assert problems(check(kb), kb) == [
        "records: kb/fixes/renew_rdp_certificate.json: a medium-risk fix must say how to undo it "
        "('undo' is empty)",
        "fix renew_rdp_certificate: changed outside triage (its checksum does not match)"]


def test_a_record_added_outside_triage_has_no_checksum(kb):
    tamper(kb, "INSERT INTO source (id, file, title, note) VALUES ('extra', 'x.txt', 'Extra', '')")
    assert problems(check(kb), kb) == ["source extra: no checksum stored (added outside triage)"]


def test_a_record_deleted_outside_triage_is_named(kb):
    tamper(kb, "DELETE FROM rule_read WHERE rule = 'ip_works'",
           "DELETE FROM cites WHERE kind = 'rule' AND record = 'ip_works'",
           "DELETE FROM rule WHERE id = 'ip_works'")
    assert problems(check(kb), kb) == ["rule ip_works: deleted outside triage (its checksum remains)"]


def test_a_damaged_model_image_is_named(kb):
    # one byte of the image changed (the content rows untouched)
    tamper(kb, "UPDATE model_image SET data = substr(data, 1, 999) || "
               "(CASE substr(data, 1000, 1) WHEN x'ff' THEN x'00' ELSE x'ff' END) || substr(data, 1001)")
    assert problems(check(kb), kb) == [
        "model image damaged: its content does not match its sum "
        "(sessions load the rows instead; kb build writes a new one)"]


def test_a_model_image_deleted_by_a_content_change_is_not_a_problem(kb):
    tamper(kb, "DELETE FROM model_image_use")
    r = check(kb)
    assert (r.returncode, r.stdout) == (0, "%s: ok\n" % kb)


def test_a_dangling_reference_is_named(kb):
    tamper(kb, "DELETE FROM rule WHERE id = 'ip_works'")
    got = problems(check(kb), kb)
    assert got[0] == "foreign keys: a row of rule_read refers to a missing row of rule"
    assert got[-1] == "rule ip_works: deleted outside triage (its checksum remains)"


def test_a_checksum_changed_alone_is_named(kb):
    tamper(kb, "UPDATE record_checksum SET sum = '0000000000000000' WHERE id = 'host_kind'")
    assert problems(check(kb), kb) == [
        "fact host_kind: changed outside triage (its checksum does not match)"]


def test_another_application_id_is_named(kb):
    tamper(kb, "PRAGMA application_id = 7")
    assert problems(check(kb), kb) == [
        "application_id is 0x00000007, not 0x54726961: not a triage knowledge base"]


def test_an_older_schema_version_is_named(kb):
    tamper(kb, "PRAGMA user_version = 2")
    current = len(list((Path(__file__).resolve().parents[2] / "schema").glob("[0-9]*.sql")))
    assert problems(check(kb), kb) == ["schema version 2, not %d: older: rebuild it with kb build" % current]


def test_schema_changes_are_named(kb):
    tamper(kb, "CREATE INDEX fix_title ON fix(title)", "DROP TABLE record_checksum",
           "CREATE TABLE record_checksum (kind TEXT, id TEXT, sum TEXT)")
    assert problems(check(kb), kb) == [
        "schema: table record_checksum differs from triage's schema",
        "schema: unexpected index fix_title is not in triage's schema"]


def test_a_damaged_page_fails_the_full_integrity_check(kb):
    db = sqlite3.connect(kb)
    page = db.execute("PRAGMA page_size").fetchone()[0]
    root = db.execute("SELECT rootpage FROM sqlite_schema WHERE name = 'fix_step'").fetchone()[0]
    db.close()
    data = bytearray(kb.read_bytes())
    off = (root - 1) * page
    data[off + 100:off + page] = bytes(page - 100)     # the page's cells, zeroed
    kb.write_bytes(bytes(data))
    got = problems(check(kb), kb)
    assert got and all(line.startswith("integrity: ") for line in got)


def test_a_file_that_is_not_sqlite_is_named(tmp_path):
    p = tmp_path / "notes.sqlite"
    p.write_text("not a database\n" * 100)
    assert problems(check(p), p) == ["not an SQLite database (file is not a database)"]


def test_a_missing_file_is_an_error(tmp_path):
    r = check(tmp_path / "nothing.sqlite")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == "triage: %s: cannot read it\n" % (tmp_path / "nothing.sqlite")


def test_an_argument_is_a_usage_error(kb):
    r = subprocess.run([BIN, "kb", "check", str(kb)], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert r.stderr.startswith("triage: kb check: unexpected argument '%s' (the file is --kb FILE)\n"
                               % kb)
