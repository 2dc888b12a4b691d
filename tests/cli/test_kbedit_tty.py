"""test_kbedit_tty.py: the editor's interactive path on a terminal (issue
10 item 3), in a pseudo-terminal with pexpect: `kb add cause` asks each
field with its meaning, opens long texts in $EDITOR, writes a new fix for
the cause in the same change, shows the record and asks to confirm;
Ctrl-D or "no" changes nothing; `kb edit ID` opens the record in $EDITOR.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_kbedit_tty.py
"""
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))

FAKE_EDITOR = """#!/bin/sh
# stands in for $EDITOR: writes what a person would type
if grep -q "The steps" "$1"; then printf 'Run klist purge on the client.\\nConnect again.\\n' > "$1"
elif grep -q '"prior": 0.03' "$1"; then sed -i 's/"prior": 0.03/"prior": 0.2/' "$1"
else printf '# kept out\\nWritten in the editor.\\n' > "$1"; fi
"""


@pytest.fixture
def kb(tmp_path):
    p = tmp_path / "kb.sqlite"
    shutil.copy(KB, p)
    ed = tmp_path / "editor.sh"
    ed.write_text(FAKE_EDITOR)
    ed.chmod(0o755)
    return p


def spawn(kb, *args):
    env = dict(os.environ, TRIAGE_KB=str(kb), TRIAGE_EDITOR="alice", EDITOR=str(kb.parent / "editor.sh"),
               TMPDIR=str(kb.parent), TERM="dumb")
    env.pop("VISUAL", None)
    return pexpect.spawn(BIN, list(args), env=env, encoding="utf-8", timeout=30, dimensions=(40, 200))


def answer(p, prompt, text):
    p.expect_exact(prompt)
    p.sendline(text)


def digest(kb):
    return hashlib.sha256(kb.read_bytes()).hexdigest()


def show(kb, rid):
    r = subprocess.run([BIN, "--kb", str(kb), "kb", "show", rid, "--json"], capture_output=True, text=True)
    return json.loads(r.stdout) if r.returncode == 0 else None


def test_add_cause_with_a_new_fix_field_by_field(kb):
    p = spawn(kb, "kb", "add", "cause", "-m", "from INC-1234")
    p.expect_exact("A new cause: each field with what it means.")
    p.expect_exact("id: the cause's id: a-z, 0-9 and _, starting with a letter")
    answer(p, "id> ", "stale_kerberos_ticket")
    answer(p, "title> ", "Stale Kerberos ticket on the client")
    p.expect_exact("summary: opening $VISUAL or $EDITOR for it")
    p.expect_exact("prior: how common it is")
    answer(p, "prior> ", "often")
    p.expect_exact("'often' is not a number.")
    answer(p, "prior> ", "0.02")
    answer(p, "prior_why> ", "Seen after a host is rejoined to the domain.")
    answer(p, "evidence> ", "no_such_fact")
    p.expect_exact("no fact with values 'no_such_fact' in this knowledge base.")
    answer(p, "evidence> ", "port_3389_open")
    p.expect_exact("yes: how likely the answer 'yes'")
    answer(p, "yes> ", "0.9")
    answer(p, "no> ", "")
    answer(p, "why> ", "The port answers.")
    answer(p, "evidence> ", "")
    answer(p, "sources> ", "seed_000")
    p.expect_exact("fix: every cause needs a fix")
    answer(p, "fix> ", "purge_kerberos_tickets")
    answer(p, "title> ", "Purge the client's Kerberos tickets")
    answer(p, "risk> ", "low")
    answer(p, "cost> ", "2")
    answer(p, "minutes> ", "2")
    answer(p, "admin> ", "no")
    answer(p, "reboot> ", "no")
    p.expect_exact("steps: opening $VISUAL or $EDITOR for it")
    answer(p, "undo> ", "")
    answer(p, "outcome> ", "The connection succeeds.")
    answer(p, "p> ", "0.8")
    answer(p, "why> ", "New tickets carry the new key.")
    answer(p, "sources> ", "seed_000")
    answer(p, "fix> ", "")
    p.expect_exact('"id": "stale_kerberos_ticket"')
    answer(p, "Add it (checked as kb build checks)? [y/N] ", "y")
    p.expect_exact("adds cause stale_kerberos_ticket")
    p.expect_exact("adds fix purge_kerberos_tickets")
    p.expect_exact("change 1: version 2026.11.1+1")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0
    cause = show(kb, "stale_kerberos_ticket")
    assert cause["summary"] == "Written in the editor." and cause["fixes"] == ["purge_kerberos_tickets"]
    assert cause["evidence"] == [{"fact": "port_3389_open", "p": {"yes": 0.9}, "why": "The port answers."}]
    fix = show(kb, "purge_kerberos_tickets")
    assert fix["steps"] == ["Run klist purge on the client.", "Connect again."]
    assert fix["resolves"] == [{"cause": "stale_kerberos_ticket", "p": 0.8, "why": "New tickets carry the new key."}]


def test_add_source_not_confirmed_changes_nothing(kb):
    before = digest(kb)
    p = spawn(kb, "kb", "add", "source")
    answer(p, "id> ", "ticket_42")
    answer(p, "file> ", "https://example.org/t/42")
    answer(p, "title> ", "Ticket 42")
    answer(p, "note> ", "")
    answer(p, "Add it (checked as kb build checks)? [y/N] ", "n")
    p.expect_exact("triage: kb add: not confirmed; nothing changed")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 1 and digest(kb) == before


def test_ctrl_d_stops_and_changes_nothing(kb):
    before = digest(kb)
    p = spawn(kb, "kb", "add", "fact")
    answer(p, "id> ", "new_fact")
    p.expect_exact("text> ")
    for _ in range(5):     # an EOF typed while libedit still sets the terminal up can be lost
        p.sendeof()
        if p.expect_exact(["triage: kb add: stopped; nothing changed", pexpect.TIMEOUT], timeout=3) == 0:
            break
    else:
        pytest.fail("Ctrl-D did not stop kb add: " + p.before)
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 1 and digest(kb) == before


def test_edit_opens_the_record_in_the_editor(kb):
    p = spawn(kb, "kb", "edit", "corrupt_machinekeys")
    p.expect_exact("changes cause corrupt_machinekeys")
    p.expect_exact("prior: 0.03 -> 0.2")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0 and show(kb, "corrupt_machinekeys")["prior"] == 0.2
