"""test_kbedit.py: changing a live knowledge base (issue 10 items 1, 2, 6, 8):
kb add/edit/rm/revert/log on a copy of the built knowledge base. Every
change is checked as kb build checks it; a refused one names the record and
the field in one line and leaves the file (and its log) byte-for-byte as it
was; the history records who, why, before and after; the version advances;
show --json -> edit --json -> dump -> build -> dump is byte-stable and a
dump after an edit differs only in the records changed.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_kbedit.py
"""
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
CAUSE = "corrupt_machinekeys"


@pytest.fixture
def kb(tmp_path):
    """A private copy of the built knowledge base."""
    p = tmp_path / "kb" / "kb.sqlite"
    p.parent.mkdir()
    shutil.copy(KB, p)
    return p


def run(kb, *args, stdin=None, env=None):
    e = dict(os.environ, TRIAGE_KB=str(kb), TRIAGE_EDITOR="alice")
    e.update(env or {})
    return subprocess.run([BIN, *args], env=e, input=stdin, capture_output=True, text=True, timeout=60)


def ok(kb, *args, **kw):
    r = run(kb, *args, **kw)
    assert r.returncode == 0, r.stderr
    return r.stdout


def show(kb, rid):
    return json.loads(ok(kb, "kb", "show", rid, "--json"))


def fingerprint(kb):
    """The bytes of the file and of its write-ahead log, if any."""
    h = hashlib.sha256()
    for p in (kb, Path(str(kb) + "-wal")):
        h.update(p.read_bytes() if p.exists() else b"-")
    return h.hexdigest()


def write(tmp_path, name, obj):
    p = tmp_path / name
    p.write_text(json.dumps(obj) if not isinstance(obj, str) else obj)
    return str(p)


def refused(kb, tmp_path, args, message, code=1, stdin=None):
    """Runs a change that must be refused: exit code, exact message, file unchanged."""
    before = fingerprint(kb)
    r = run(kb, *args, stdin=stdin)
    assert r.returncode == code, r.stdout + r.stderr
    assert r.stderr.splitlines()[0] == "triage: " + message
    assert fingerprint(kb) == before
    assert not Path(str(kb) + "-editor").exists()


def new_cause_and_fix():
    cause = {"kind": "cause", "id": "stale_kerberos_ticket", "title": "Stale Kerberos ticket on the client",
             "summary": "The client holds a ticket for the host's old account.", "prior": 0.02,
             "prior_why": "Seen after a host is rejoined to the domain.",
             "evidence": [{"fact": "port_3389_open", "p": {"yes": 0.9}, "why": "The port answers."}],
             "sources": [{"source": "seed_000"}]}
    fix = {"kind": "fix", "id": "purge_kerberos_tickets", "title": "Purge the client's Kerberos tickets",
           "summary": "Drop the cached tickets so the client asks for new ones.", "risk": "low",
           "cost": 2, "minutes": 2, "admin": False, "reboot": False,
           "steps": ["Run klist purge on the client.", "Connect again."],
           "commands": [{"shell": "cmd", "on": "client", "text": "klist purge"}],
           "undo": "", "outcome": "The connection succeeds.",
           "resolves": [{"cause": "stale_kerberos_ticket", "p": 0.8, "why": "New tickets carry the new key."}],
           "sources": [{"source": "seed_000"}]}
    return cause, fix


# ---- edit: the round trip and the history ----

def test_edit_round_trip_history_and_version(kb, tmp_path):
    rec = show(kb, CAUSE)
    rec["prior"] = 0.2
    out = ok(kb, "kb", "edit", CAUSE, "--json", write(tmp_path, "c.json", rec), "-m", "more often than thought")
    assert out == f"changes cause {CAUSE}\n  prior: 0.03 -> 0.2\nchange 1: version 2026.11.1+1\n"
    assert show(kb, CAUSE) == rec
    assert "version 2026.11.1+1," in ok(kb, "--version")
    log = json.loads(ok(kb, "kb", "log", "--json"))
    assert len(log) == 1 and log[0]["who"] == "alice" and log[0]["op"] == "edit"
    assert log[0]["message"] == "more often than thought"
    assert (log[0]["version_before"], log[0]["version_after"]) == ("2026.11.1", "2026.11.1+1")
    r0 = log[0]["records"][0]
    assert (r0["kind"], r0["id"], r0["before"]["prior"], r0["after"]["prior"]) == ("cause", CAUSE, 0.03, 0.2)
    assert "fixes" not in r0["after"]          # the stored shape is the dump's
    assert ok(kb, "kb", "check").endswith(": ok\n")


# ---- what a change moves: --dry-run and kb test --changed (issue 10 item 4) ----

MK_CASE = '{"id": "mk", "given": {"port_3389_open": "yes"}, "top": "corrupt_machinekeys"}\n'
MK_MOVES = [
    "  ranking moves in 1 of 1 states, most after port_3389_open=yes: "
    "corrupt_machinekeys 4.1% -> 41.8% (+37.6 points)",
    "  outcome: FAIL top expired_rdp_certificate (14%), expected corrupt_machinekeys -> "
    "ok top corrupt_machinekeys (42%)",
    "1 of 1 case and 0 of 0 saved sessions move"]


def no_private_copies_left(tmp):
    return not [p for p in Path(tmp).iterdir() if p.name.startswith(("triage-dry-", "triage-before-"))]


def test_dry_run_says_what_the_change_would_move_and_writes_nothing(kb, tmp_path):
    rec = show(kb, CAUSE)
    rec["prior"] = 0.5
    case = write(tmp_path, "t.jsonl", MK_CASE)
    private = tmp_path / "tmp"
    private.mkdir()
    env = {"TRIAGE_SESSIONS": str(tmp_path / "none.sqlite"), "TMPDIR": str(private)}
    before = fingerprint(kb)
    out = ok(kb, "kb", "edit", CAUSE, "--json", write(tmp_path, "c.json", rec), "--dry-run", "--test", case,
             env=env).splitlines()
    assert out[:3] == [f"changes cause {CAUSE}", "  prior: 0.03 -> 0.5",
                       "dry run: the change passes every check of kb build; nothing written "
                       "(the version would be 2026.11.1+1)"]
    assert out[4:6] == ["What it would move (kb test --changed):", f"case {case}:1 mk (1 state compared)"]
    for line in MK_MOVES:
        assert line in out
    assert fingerprint(kb) == before
    assert no_private_copies_left(private)
    assert not (tmp_path / "none.sqlite").exists()


def test_changed_without_before_compares_with_the_newest_change(kb, tmp_path):
    case = write(tmp_path, "t.jsonl", MK_CASE)
    private = tmp_path / "tmp"
    private.mkdir()
    env = {"TRIAGE_SESSIONS": str(tmp_path / "none.sqlite"), "TMPDIR": str(private)}
    r = run(kb, "kb", "test", "--changed", case, env=env)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (f"triage: kb test --changed: {kb}: its history holds no change to compare with "
                        "(name the file before the change with --before)\n")
    rec = show(kb, CAUSE)
    rec["prior"] = 0.5
    ok(kb, "kb", "edit", CAUSE, "--json", write(tmp_path, "c.json", rec), "-m", "seen more")
    out = ok(kb, "kb", "test", "--changed", case, env=env).splitlines()
    assert out[:2] == ["What change 1 moved (kb log shows it):", f"case {case}:1 mk (1 state compared)"]
    for line in MK_MOVES:
        assert line in out
    assert show(kb, CAUSE) == rec                     # the comparison only reads the live file
    assert len(json.loads(ok(kb, "kb", "log", "--json"))) == 1
    assert ok(kb, "kb", "check").endswith(": ok\n")
    assert no_private_copies_left(private)


def test_same_record_again_changes_nothing(kb, tmp_path):
    before = fingerprint(kb)
    out = ok(kb, "kb", "edit", CAUSE, "--json", write(tmp_path, "c.json", show(kb, CAUSE)))
    assert out == "nothing to change: the records are as given\n"
    assert fingerprint(kb) == before
    assert ok(kb, "kb", "log") == ""


def test_edit_from_stdin_and_in_the_dump_shape(kb, tmp_path):
    d = tmp_path / "tree"
    ok(kb, "kb", "dump", str(d))
    rec = json.loads((d / "kb" / "facts" / "port_3389_open.json").read_text())
    rec["cost"] = 7
    out = ok(kb, "kb", "edit", "port_3389_open", "--json", "-", stdin=json.dumps(rec))
    assert "  cost: " in out and show(kb, "port_3389_open")["cost"] == 7


def test_dump_after_edit_changes_only_that_record_and_round_trip_is_stable(kb, tmp_path):
    d = tmp_path / "tree"
    ok(kb, "kb", "dump", str(d))
    files = {p: p.read_bytes() for p in d.rglob("*") if p.is_file()}
    rec = show(kb, "renew_rdp_certificate")
    rec["minutes"] = 11
    ok(kb, "kb", "edit", "renew_rdp_certificate", "--json", write(tmp_path, "f.json", rec))
    out = ok(kb, "kb", "dump", "--force", str(d))
    changed = sorted(str(p.relative_to(d)) for p in files if p.read_bytes() != files[p])
    assert changed == ["kb/fixes/renew_rdp_certificate.json", "kb/kb.json"]
    assert out.count("replaced ") == 2
    rebuilt = tmp_path / "re.sqlite"
    ok(kb, "kb", "build", "-o", str(rebuilt), str(d))
    d2 = tmp_path / "tree2"
    ok(rebuilt, "kb", "dump", str(d2))
    for p in d.rglob("*"):
        if p.is_file():
            assert (d2 / p.relative_to(d)).read_bytes() == p.read_bytes(), p


# ---- add: records, several at once, rules, sources, links ----

def test_add_cause_and_its_fix_in_one_change_then_asked_in_a_session(kb, tmp_path):
    cause, fix = new_cause_and_fix()
    out = ok(kb, "kb", "add", "--json", write(tmp_path, "new.json", [cause, fix]), "-m", "from ticket 42")
    assert out.splitlines() == ["adds cause stale_kerberos_ticket", "adds fix purge_kerberos_tickets",
                                "change 1: version 2026.11.1+1"]
    assert show(kb, "stale_kerberos_ticket")["fixes"] == ["purge_kerberos_tickets"]
    got = json.loads(ok(kb, "diagnose", "--json", "--all"))
    assert "purge_kerberos_tickets" in json.dumps(got)
    assert ok(kb, "kb", "check").endswith(": ok\n")


def test_add_cause_without_a_fix_is_refused(kb, tmp_path):
    cause, _ = new_cause_and_fix()
    refused(kb, tmp_path, ["kb", "add", "cause", "--json", write(tmp_path, "c.json", cause)],
            "kb add: knowledge base: cause stale_kerberos_ticket: no fix resolves it; nothing changed")


def test_add_existing_record_is_refused(kb, tmp_path):
    refused(kb, tmp_path, ["kb", "add", "cause", "--json", write(tmp_path, "c.json", show(kb, CAUSE))],
            f"kb add: cause {CAUSE} already exists (kb edit {CAUSE} changes it)")


def test_add_rule_file_and_edit_it(kb, tmp_path):
    src = ('description = "Hide the port question on the local network"\n'
           'reads = {"connection_path"}\nsources = {"seed_000"}\n\n'
           'function run(f)\n  if f.connection_path == "lan" then\n'
           '    hide("port_3389_open", "asked differently on a LAN")\n  end\nend\n')
    p = tmp_path / "lan_port.lua"
    p.write_text(src)
    assert ok(kb, "kb", "add", "rule", str(p)).startswith("adds rule lan_port\n")
    rec = show(kb, "lan_port")
    assert rec["reads"] == ["connection_path"] and rec["source"] == src
    rec["source"] = src.replace("asked differently", "asked another way")
    out = ok(kb, "kb", "edit", "lan_port", "--json", write(tmp_path, "r.json", rec))
    assert out.startswith("changes rule lan_port\n  source: ")
    assert ok(kb, "kb", "check").endswith(": ok\n")   # checksums and the primed state follow
    rec = show(kb, "lan_port")                        # a new read: the shown "reads" left as they were
    rec["source"] = rec["source"].replace('reads = {"connection_path"}', 'reads = {"connection_path", "host_kind"}')
    out = ok(kb, "kb", "edit", "lan_port", "--json", write(tmp_path, "r.json", rec))
    assert show(kb, "lan_port")["reads"] == ["connection_path", "host_kind"]
    rec = show(kb, "lan_port")
    rec["reads"] = ["host_kind"]
    refused(kb, tmp_path, ["kb", "edit", "lan_port", "--json", write(tmp_path, "r.json", rec)],
            "kb edit: rule lan_port: 'reads' comes from the rule's source: it would be"
            ' ["connection_path","host_kind"], not ["host_kind"]; change it there; nothing changed')
    facts = json.loads(ok(kb, "diagnose", "--fact", "connection_path=lan", "--json"))
    assert "port_3389_open" not in json.dumps(facts.get("question"))


@pytest.mark.parametrize("src, message", [
    ('description = "x"\nreads = {"no_such_fact"}\nsources = {"seed_000"}\nfunction run(f) end\n',
     "kb add: rule bad_rule: reads 'no_such_fact': no such fact; nothing changed"),
    ('description = "x"\nreads = {"host_kind"}\nsources = {"seed_000"}\nfunction run(f)\n',
     "kb add: rules/bad_rule.lua:5: 'end' expected (to close 'function' at line 4) near <eof>; nothing changed"),
    ('description = "x"\nreads = {"host_kind"}\nsources = {"seed_000"}\n'
     'function run(f) if f.port_3389_open then end end\n',
     "kb add: rule bad_rule: rules/bad_rule.lua:4: fact 'port_3389_open' is not in this rule's reads;"
     " nothing changed"),
])
def test_bad_rule_is_refused(kb, tmp_path, src, message):
    p = tmp_path / "bad_rule.lua"
    p.write_text(src)
    refused(kb, tmp_path, ["kb", "add", "rule", str(p)], message)


def test_add_source_then_rm_refused_while_cited(kb, tmp_path):
    src = {"id": "ticket_42", "file": "https://example.org/t/42", "title": "Ticket 42", "note": ""}
    assert ok(kb, "kb", "add", "source", "--json", write(tmp_path, "s.json", src)).startswith("adds source ticket_42\n")
    assert show(kb, "ticket_42") == dict(src, kind="source")
    rec = show(kb, CAUSE)
    rec["sources"].append({"source": "ticket_42", "note": "seen again"})
    ok(kb, "kb", "edit", CAUSE, "--json", write(tmp_path, "c.json", rec))
    refused(kb, tmp_path, ["kb", "rm", "ticket_42"],
            f"kb rm: source ticket_42 is still referred to by cause {CAUSE} (sources); change those first,"
            " or --cascade (--dry-run shows what it would change)")
    out = ok(kb, "kb", "rm", "ticket_42", "--cascade")
    assert out.splitlines()[:3] == [f"changes cause {CAUSE}: no longer cites ticket_42",
                                    f"changes cause {CAUSE}", "  sources: " + out.splitlines()[2].split(": ", 1)[1]]
    assert run(kb, "kb", "show", "ticket_42").returncode == 1


def test_add_and_rm_links(kb, tmp_path):
    link = {"cause": CAUSE, "fact": "rds_licensing_errors", "p": {"yes": 0.2}, "why": "Unrelated, mostly."}
    assert not [e for e in show(kb, CAUSE)["evidence"] if e["fact"] == "rds_licensing_errors"]
    out = ok(kb, "kb", "add", "evidence", "--json", write(tmp_path, "e.json", link))
    assert out.startswith(f"changes cause {CAUSE}\n  evidence: ")
    ev = [e for e in show(kb, CAUSE)["evidence"] if e["fact"] == "rds_licensing_errors"]
    assert ev == [{"fact": "rds_licensing_errors", "p": {"yes": 0.2}, "why": "Unrelated, mostly."}]
    refused(kb, tmp_path, ["kb", "add", "evidence", "--json", write(tmp_path, "e.json", link)],
            f"kb add evidence: cause {CAUSE} already has evidence on rds_licensing_errors (kb edit {CAUSE} changes it)")
    ok(kb, "kb", "rm", "evidence", CAUSE, "rds_licensing_errors")
    assert not [e for e in show(kb, CAUSE)["evidence"] if e["fact"] == "rds_licensing_errors"]
    res = {"fix": "renew_rdp_certificate", "cause": "no_such_cause", "p": 0.5, "why": "w"}
    refused(kb, tmp_path, ["kb", "add", "resolves", "--json", write(tmp_path, "r.json", res)],
            "kb add resolves: fix renew_rdp_certificate: resolves 'no_such_cause': no such cause; nothing changed")
    res["cause"] = CAUSE
    ok(kb, "kb", "add", "resolves", "--json", write(tmp_path, "r.json", res))
    assert "renew_rdp_certificate" in show(kb, CAUSE)["fixes"]


# ---- refusals: one line naming the record and field; nothing written ----

def edited(kb, rid, change):
    rec = show(kb, rid)
    change(rec)
    return rec


@pytest.mark.parametrize("rid, change, message", [
    (CAUSE, lambda r: r.update(prior=2),
     f"kb edit: cause {CAUSE}: 'prior' is 2, outside 1e-06..1; nothing changed"),
    (CAUSE, lambda r: r["evidence"][0].update(fact="nope"),
     f"kb edit: cause {CAUSE}: evidence on 'nope': no such fact; nothing changed"),
    (CAUSE, lambda r: r.update(fixes=["x"]),
     f"kb edit: cause {CAUSE}: 'fixes' comes from the fixes' 'resolves': it would be "
     '["rename_machinekeys_azure","rename_machinekeys_server","reset_machinekeys_permissions"], not ["x"];'
     " change it there; nothing changed"),
    (CAUSE, lambda r: r.update(sources=[]),
     f"kb edit: cause {CAUSE}: 'sources' is empty: every record cites its source document; nothing changed"),
    (CAUSE, lambda r: r.update(colour="red"),
     f"kb edit: cause {CAUSE}: cause: unknown key 'colour'; nothing changed"),
    ("renew_rdp_certificate", lambda r: r.update(risk="high", undo=""),
     "kb edit: fix renew_rdp_certificate: a high-risk fix must say how to undo it ('undo' is empty); nothing changed"),
    ("port_3389_open", lambda r: r["choices"][0].update(p=0.9),
     "kb edit: fact port_3389_open: the default likelihoods ('p' of the values) sum to 1.05, not 1; nothing changed"),
    (CAUSE, lambda r: r.update(id="other"),
     f"kb edit: the record's \"id\" is 'other', not '{CAUSE}': an edit does not rename"
     " (kb add the new one, then kb rm the old)"),
    (CAUSE, lambda r: r.update(kind="fix"),
     "kb edit: the record says \"kind\": fix, not \"cause\""),
])
def test_bad_edit_is_refused(kb, tmp_path, rid, change, message):
    refused(kb, tmp_path, ["kb", "edit", rid, "--json", write(tmp_path, "r.json", edited(kb, rid, change))], message)


def test_bad_json_and_usage(kb, tmp_path):
    refused(kb, tmp_path, ["kb", "edit", CAUSE, "--json", write(tmp_path, "b.json", "{\"id\": ")],
            f"kb edit: {tmp_path}/b.json: line 1: unexpected token near end of file")
    refused(kb, tmp_path, ["kb", "edit", CAUSE, "--json", str(tmp_path / "none.json")],
            f"kb edit: {tmp_path}/none.json: No such file or directory")
    refused(kb, tmp_path, ["kb", "edit", "nothing_here", "--json", "-"],
            f"kb edit: no record 'nothing_here' in {kb}", stdin="{}")
    refused(kb, tmp_path, ["kb", "edit", CAUSE], "kb edit: give the record as --json FILE (or - for stdin);"
            " on a terminal, without it, the record opens in $VISUAL or $EDITOR", code=2, stdin="")
    refused(kb, tmp_path, ["kb", "add", "thing"],
            "kb add: 'thing' is not fact, cause, fix, rule, source, evidence or resolves", code=2)
    refused(kb, tmp_path, ["kb", "rm"], "kb rm: name the record to remove", code=2)
    refused(kb, tmp_path, ["kb", "revert", "x1"], "kb revert: 'x1' is not a change number", code=2)
    refused(kb, tmp_path, ["kb", "revert", "9"], f"kb revert: no change 9 in {kb} (kb log lists them)")
    refused(kb, tmp_path, ["kb", "edit", CAUSE, "--bogus"], "kb edit: unknown option --bogus", code=2)


# ---- rm ----

def test_rm_refused_while_referred_to_then_cascade(kb, tmp_path):
    refs = subprocess.run(["sqlite3", str(kb), "SELECT count(*) FROM evidence WHERE fact = 'port_3389_open'"],
                          capture_output=True, text=True).stdout.strip() if shutil.which("sqlite3") else None
    r = run(kb, "kb", "rm", "port_3389_open")
    assert r.returncode == 1
    line = r.stderr.strip()
    assert line.startswith("triage: kb rm: fact port_3389_open is still referred to by cause azure_nsg_blocking"
                           " (evidence), cause corrupt_machinekeys (evidence), ")
    assert line.endswith(" more; change those first, or --cascade (--dry-run shows what it would change)")
    before = fingerprint(kb)
    dry = ok(kb, "kb", "rm", "port_3389_open", "--cascade", "--dry-run")
    assert fingerprint(kb) == before
    dry, moves = dry.split("\n\nWhat it would move (kb test --changed):\n")
    assert "removes fact port_3389_open\n" in dry and dry.endswith("(the version would be 2026.11.1+1)")
    assert moves.startswith("nothing moves: 0 cases and 0 saved sessions")
    out = ok(kb, "kb", "rm", "port_3389_open", "--cascade", "-m", "no longer asked")
    assert out.startswith("changes cause ") and "removes fact port_3389_open\n" in out
    assert run(kb, "kb", "show", "port_3389_open").returncode == 1
    assert all(e["fact"] != "port_3389_open" for c in json.loads(ok(kb, "kb", "list", "causes", "--json"))
               for e in c["evidence"])
    assert ok(kb, "kb", "check").endswith(": ok\n")
    if refs:
        log = json.loads(ok(kb, "kb", "log", "--json"))
        assert len(log[0]["records"]) >= int(refs) + 1


def test_rm_cause_cascade_removes_a_fix_left_resolving_nothing(kb, tmp_path):
    cause, fix = new_cause_and_fix()
    ok(kb, "kb", "add", "--json", write(tmp_path, "new.json", [cause, fix]))
    out = ok(kb, "kb", "rm", "stale_kerberos_ticket", "--cascade")
    assert out.splitlines()[0] == "removes fix purge_kerberos_tickets (it resolves only stale_kerberos_ticket)"
    assert run(kb, "kb", "show", "purge_kerberos_tickets").returncode == 1


def test_rm_of_an_included_fix_is_refused_then_cascade_drops_the_include(kb, tmp_path):
    cause, fix = new_cause_and_fix()
    outer = dict(fix, id="rejoin_and_purge", title="Rejoin the host and purge the client's tickets",
                 includes=["purge_kerberos_tickets"])
    ok(kb, "kb", "add", "--json", write(tmp_path, "new.json", [cause, fix, outer]))
    assert show(kb, "rejoin_and_purge")["includes"] == ["purge_kerberos_tickets"]
    r = run(kb, "kb", "rm", "purge_kerberos_tickets")
    assert r.returncode == 1
    assert "is still referred to by fix rejoin_and_purge (includes)" in r.stderr
    out = ok(kb, "kb", "rm", "purge_kerberos_tickets", "--cascade")
    assert "changes fix rejoin_and_purge: no longer includes purge_kerberos_tickets\n" in out
    assert "includes" not in show(kb, "rejoin_and_purge")
    assert run(kb, "kb", "show", "purge_kerberos_tickets").returncode == 1
    assert ok(kb, "kb", "check").endswith(": ok\n")


# ---- revert ----

def test_revert_and_revert_refused_when_changed_since(kb, tmp_path):
    for prior in (0.2, 0.25):
        ok(kb, "kb", "edit", CAUSE, "--json", write(tmp_path, "c.json", edited(kb, CAUSE, lambda r: r.update(prior=prior))))
    refused(kb, tmp_path, ["kb", "revert", "1"],
            f"kb revert: cause {CAUSE} has changed since change 1 (by change 2); revert that first")
    assert ok(kb, "kb", "revert", "2").endswith("change 3: version 2026.11.1+3\n")
    assert show(kb, CAUSE)["prior"] == 0.2
    ok(kb, "kb", "revert", "1")
    assert show(kb, CAUSE)["prior"] == 0.03
    text = ok(kb, "kb", "log", CAUSE)
    assert text.splitlines()[0].startswith("change 4  ") and " alice  revert of change 1  version 2026.11.1+4" in text
    assert "  revert change 1\n" in text
    cause, fix = new_cause_and_fix()
    ok(kb, "kb", "add", "--json", write(tmp_path, "new.json", [cause, fix]))
    ok(kb, "kb", "revert", "5")
    assert run(kb, "kb", "show", "stale_kerberos_ticket").returncode == 1
    assert ok(kb, "kb", "check").endswith(": ok\n")


def test_log_is_empty_on_a_built_file_and_filters_by_record(kb, tmp_path):
    assert ok(kb, "kb", "log") == "" and ok(kb, "kb", "log", "--json") == "[]\n"
    ok(kb, "kb", "edit", CAUSE, "--json", write(tmp_path, "c.json", edited(kb, CAUSE, lambda r: r.update(prior=0.2))))
    assert ok(kb, "kb", "log", "port_3389_open") == ""
    assert len(json.loads(ok(kb, "kb", "log", CAUSE, "--json"))) == 1


def test_editor_name_defaults_to_the_login(kb, tmp_path):
    import pwd
    e = dict(os.environ, TRIAGE_KB=str(kb))
    e.pop("TRIAGE_EDITOR", None)
    rec = edited(kb, CAUSE, lambda r: r.update(prior=0.2))
    subprocess.run([BIN, "kb", "edit", CAUSE, "--json", write(tmp_path, "c.json", rec)], env=e, check=True,
                   capture_output=True)
    assert json.loads(ok(kb, "kb", "log", "--json"))[0]["who"] == pwd.getpwuid(os.geteuid()).pw_name


# ---- sessions on a changed knowledge base ----

def test_resumed_session_is_told_what_changed_for_its_records(kb, tmp_path):
    env = {"TRIAGE_SESSIONS": str(tmp_path / "s.sqlite")}
    ok(kb, "session", "--jsonl", "--fact", "host_kind=azure_vm", "--fact", "port_3389_open=no", stdin="", env=env)
    rec = show(kb, "port_3389_open")
    rec["cost"] = 3
    ok(kb, "kb", "edit", "port_3389_open", "--json", write(tmp_path, "f.json", rec), "-m", "cheaper than we said")
    rec = show(kb, "trust_gateway_certificate")  # a fix the session has nothing to do with
    rec["minutes"] = 12
    ok(kb, "kb", "edit", "trust_gateway_certificate", "--json", write(tmp_path, "x.json", rec))
    rec = show(kb, "azure_nsg_blocking")        # its likeliest cause
    rec["prior"] = 0.1
    ok(kb, "kb", "edit", "azure_nsg_blocking", "--json", write(tmp_path, "c.json", rec))
    r = run(kb, "session", "--jsonl", "--resume", "1", stdin="", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ("triage: session 1: the knowledge base changed since this session was saved (version"
                        " 2026.11.1, now 2026.11.1+3); the answers were replayed on the new one. Since then:"
                        " fact port_3389_open changed by alice (change 1: 'cheaper than we said');"
                        " cause azure_nsg_blocking changed by alice (change 3).\n")
