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


def unwrap(err):
    """Error lines as one line each (the shell wraps them under "error: ")."""
    return re.sub(r"\n {7}(?=\S)", " ", err)


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


# ---- sessions: helpers ----

def sessions_env(tmp_path):
    return {"TRIAGE_SESSIONS": str(tmp_path / "s.sqlite")}


def jsonl(*args, lines=(), env=None):
    """A whole JSON Lines session: returns (process, [objects])."""
    r = run("session", "--jsonl", *args, input="".join(json.dumps(x) + "\n" for x in lines), env=env)
    return r, [json.loads(l) for l in r.stdout.splitlines()]


def events(db, sid):
    con = sqlite3.connect(str(db))
    rows = con.execute("SELECT kind, subject, value FROM session_event WHERE session = ? ORDER BY seq",
                       (sid,)).fetchall()
    con.close()
    return rows


class Shell:
    def __init__(self, tmp_path, *args, cols=100, lang="C.UTF-8"):
        env = dict(os.environ, TRIAGE_KB=KB, TERM="xterm", NO_COLOR="1", LANG=lang, **sessions_env(tmp_path))
        env.pop("LC_ALL", None)
        env.pop("LC_CTYPE", None)
        self.p = pexpect.spawn(BIN, list(args), env=env, dimensions=(40, cols), encoding="utf-8", timeout=20)

    def prompt(self):
        """Waits for the next prompt; an offer to fill a slot is skipped (Enter)."""
        text = ""
        while self.p.expect([r"\r\n[a-z][a-z0-9_]*\? ", r"\r\nworked/failed/skip\? ", r"\r\ntriage> ",
                             r"\r\n[a-z][a-z0-9_]* \(Enter to skip\)> "]) == 3:
            text += ANSI.sub("", self.p.before) + "\r\n"
            self.p.send("\r")
        return text + ANSI.sub("", self.p.before)

    def say(self, line):
        self.p.send(line + "\r")
        return self.prompt()


# ---- 2. one writer per session ----

def test_a_second_process_cannot_resume_a_session_open_in_a_shell(tmp_path):
    env = sessions_env(tmp_path)
    a = Shell(tmp_path)
    a.prompt()
    a.say("unknown")
    b = run("ask", "--resume", "1", input="quit\n", env=env)
    assert b.returncode == 1
    assert b.stderr == ("triage: session 1 is open in another triage (process %d); quit it there first, "
                        "or see it with: triage sessions show 1\n" % a.p.pid)
    r, out = jsonl("--resume", "1", env=env)
    assert r.returncode == 1 and r.stderr == b.stderr and out == []
    assert run("sessions", "rm", "1", env=env).stderr == (
        "triage: session 1 is open in another triage (process %d); quit it there first\n" % a.p.pid)
    assert ", open in process %d: " % a.p.pid in ok("sessions", env=env).stdout
    a.p.kill(9)                      # the lock goes with the process, however it ends
    a.p.wait()
    b = ok("ask", "--resume", "1", input="quit\n", env=env)
    assert "Resumed session 1." in b.stdout
    assert ", open in process" not in ok("sessions", env=env).stdout


def test_the_shell_resume_command_is_refused_too_and_the_session_goes_on(tmp_path):
    env = sessions_env(tmp_path)
    _, out = jsonl("--title", "held", lines=[{"answer": "unknown"}], env=env)
    holder = subprocess.Popen([BIN, "session", "--jsonl", "--resume", "1"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=dict(os.environ, TRIAGE_KB=KB, **env))
    assert json.loads(holder.stdout.readline())["session"] == 1
    sh = Shell(tmp_path)
    sh.prompt()
    text = sh.say("resume 1")
    assert "error: session 1 is open in another triage (process %d)" % holder.pid in text
    holder.stdin.close()
    holder.wait()
    assert "Resumed session 1." in sh.say("resume 1")
    sh.p.sendeof()
    sh.p.expect(pexpect.EOF)


# ---- 3. every event is kept ----

def test_events_the_kb_cannot_apply_are_kept_and_shown_as_not_applied(tmp_path):
    env = sessions_env(tmp_path)
    db = tmp_path / "s.sqlite"
    _, out = jsonl(lines=[{"answer": "unknown"}], env=env)
    first = out[1]["fact"]
    con = sqlite3.connect(str(db))   # as if saved on a knowledge base that had another fact
    con.execute("UPDATE session_event SET subject = 'a_retired_fact', value = 'yes'")
    con.commit()
    con.close()
    r = ok("ask", "--resume", "1", input="unknown\nquit\n", env=env)
    assert ("Note: not applied (kept in the session): answer a_retired_fact=yes: unknown fact "
            "'a_retired_fact' (0 of 1 event applied)") in re.sub(r"\s+", " ", r.stdout)
    saved = events(db, 1)
    assert saved[0] == ("answer", "a_retired_fact", "yes") and len(saved) == 2
    show = ok("sessions", "show", "1", env=env).stdout
    assert "    answer a_retired_fact = yes (not applied)\n    answer %s = unknown\n" % first in show
    md = ok("export", "session", "1", env=env).stdout
    assert "a\\_retired\\_fact" in md or "a_retired_fact" in md
    data = json.loads(ok("sessions", "show", "1", "--json", env=env).stdout)
    assert [e["applied"] for e in data["events"]] == [False, True]


# ---- 5. sessions: list, search, show, rm, titles ----

def test_sessions_list_search_show_and_rm(tmp_path):
    env = sessions_env(tmp_path)
    assert ok("sessions", env=env).stdout == "No saved sessions yet.\n"
    jsonl("--fact", "host_kind=server", "--title", "INC-1234 Printer room", env=env)
    jsonl("--fact", "host_kind=azure_vm", env=env)
    listing = ok("sessions", env=env).stdout.splitlines()
    assert re.fullmatch(r"   2  \S+Z, open, 1 event: host_kind=azure_vm", listing[0])
    assert re.fullmatch(r"   1  \S+Z, open, 1 event: INC-1234 Printer room", listing[1])
    found = json.loads(ok("sessions", "--search", "printer", "--json", env=env).stdout)
    assert [(s["id"], s["title"], s["summary"], s["events"], s["open_in"]) for s in found] == [
        (1, "INC-1234 Printer room", "host_kind=server", 1, None)]
    assert [s["id"] for s in json.loads(ok("sessions", "--search", "AZURE", "--json", env=env).stdout)] == [2]
    assert ok("sessions", "--search", "nothing-like-it", env=env).stdout == "No saved session has that text.\n"
    show = ok("sessions", "show", "1", env=env).stdout
    assert show.startswith("session 1: INC-1234 Printer room\n  facts: host_kind=server\n  status: open\n")
    assert "  events:\n    given host_kind = server\n" in show
    assert show.endswith("  resume: triage ask --resume 1; report: triage export session 1\n")
    assert ok("sessions", "rm", "1", env=env).stdout == "Removed session 1.\n"
    assert run("sessions", "rm", "1", env=env).stderr == "triage: no saved session 1\n"
    assert run("sessions", "show", "9", env=env).stderr == "triage: no saved session 9\n"
    r = run("sessions", "show", "x", env=env)
    assert r.returncode == 2 and r.stderr.startswith("triage: sessions show: 'x' is not a session ID\n")


def test_the_shell_title_command_names_the_session_and_sessions_finds_it(tmp_path):
    env = sessions_env(tmp_path)
    sh = Shell(tmp_path)
    sh.prompt()
    assert "Session 1 is titled: ticket 77 front desk" in sh.say("title ticket 77 front desk")
    assert "error: title takes the text to name the session by" in sh.say("title")
    text = sh.say("sessions front")
    assert "*    1  " in text and "ticket 77 front desk" in text
    sh.p.sendeof()
    sh.p.expect(pexpect.EOF)
    assert json.loads(ok("sessions", "--json", env=env).stdout)[0]["title"] == "ticket 77 front desk"


# ---- 6. nothing recorded, nothing left; words ----

def test_a_launch_that_records_nothing_leaves_no_session(tmp_path):
    env = sessions_env(tmp_path)
    r = ok("ask", input="quit\n", env=env)
    assert "Saved as session" not in r.stdout
    jsonl(env=env)
    assert ok("sessions", env=env).stdout == "No saved sessions yet.\n"


def test_only_unknown_answers_is_not_nothing_and_one_event_is_singular(tmp_path):
    env = sessions_env(tmp_path)
    ok("ask", input="unknown\nquit\n", env=env)
    assert re.fullmatch(r"   1  \S+Z, open, 1 event: \(no fact known yet\)\n", ok("sessions", env=env).stdout)


# ---- 7. JSON Lines sessions are saved ----

def test_jsonl_sessions_are_saved_and_the_ranking_names_them(tmp_path):
    env = sessions_env(tmp_path)
    _, out = jsonl("--fact", "error_code=0x904", lines=[{"answer": "unknown"}], env=env)
    rankings = [o for o in out if o["type"] == "ranking"]
    assert rankings and all(o["session"] == 1 for o in rankings)
    assert events(tmp_path / "s.sqlite", 1) == [("given", "error_code", "0x904"),
                                                  ("answer", out[1]["fact"], "unknown")]
    _, again = jsonl("--resume", "1", env=env)      # a front end resumes it where it was
    assert again[0]["session"] == 1 and again[1] == out[3]
    _, unsaved = jsonl("--no-save", "--fact", "error_code=0x904", env=env)
    assert "session" not in unsaved[0]
    assert [s["id"] for s in json.loads(ok("sessions", "--json", env=env).stdout)] == [1]


def test_jsonl_goes_on_unsaved_when_the_session_file_cannot_be_kept(tmp_path):
    missing = tmp_path / "no" / "such" / "s.sqlite"
    r, out = jsonl(lines=[{"answer": "unknown"}, {"answer": "unknown"}], env={"TRIAGE_SESSIONS": str(missing)})
    assert r.returncode == 0
    assert r.stderr == ("triage: cannot keep sessions in %s: no directory %s; this session goes on unsaved\n"
                        % (missing, missing.parent))
    assert [o["type"] for o in out][:4] == ["ranking", "question", "ranking", "question"]
    assert all("session" not in o for o in out)
    assert not missing.parent.exists()


# ---- 15. a TRIAGE_SESSIONS in a missing directory is an error ----

def test_the_shell_says_a_missing_sessions_directory_and_creates_nothing(tmp_path):
    missing = tmp_path / "typo" / "s.sqlite"
    r = run("ask", input="quit\n", env={"TRIAGE_SESSIONS": str(missing), "COLUMNS": "400"})
    assert ("error: cannot keep sessions in %s: no directory %s; this session will not be saved\n"
            % (missing, missing.parent)) in unwrap(r.stderr)
    assert not missing.parent.exists()
    r = run("sessions", env={"TRIAGE_SESSIONS": str(missing)})
    assert r.returncode == 1


# ---- 8, 9. answers people type ----

def shell_pipe(tmp_path, text, *args):
    return run("ask", *args, input=text, env=dict(sessions_env(tmp_path), NO_COLOR="1"))


def first_question(tmp_path):
    _, out = jsonl("--no-save")
    return out[1]


def test_unambiguous_prefixes_of_choices_commands_and_ids_are_accepted(tmp_path):
    q = first_question(tmp_path)
    r = shell_pipe(tmp_path, "u\nhow expired\nfac\nset host_k=serv\nti INC-9\n")
    assert r.stderr == ""
    assert "Noted: %s = unknown (answer).\n" % q["fact"] in r.stdout
    assert "Expired Remote Desktop certificate on the host (expired_rdp_certificate):" in r.stdout
    assert "Facts so far:\n" in r.stdout
    assert "Noted: host_kind = server (set).\n" in r.stdout
    assert "Session 1 is titled: INC-9\n" in r.stdout


@pytest.mark.parametrize("line, msg", [
    ("sett host_kind=server", "unknown command 'sett' (did you mean set?); help lists the commands"),
    ("host_kind=server", "unknown command 'host_kind=server' (did you mean set host_kind=server?); "
                         "help lists the commands"),
    ("yes please", "unknown command 'yes'; help lists the commands"),
    ("whyy", "'whyy' is not a choice or a command (did you mean why?)"),
    ("f", "'f' is not a choice or a command (did you mean facts, fixes?)"),
    ("how expird", "no cause 'expird' (did you mean expired_rdp_certificate?)"),
    ("how nosuch", "no cause 'nosuch' (causes lists them)"),
    ("set hostkind=server", "unknown fact 'hostkind' (did you mean host_kind?)"),
])
def test_a_line_that_looks_like_a_command_is_never_an_answer(tmp_path, line, msg):
    r = shell_pipe(tmp_path, line + "\nfacts\n")
    assert unwrap(r.stderr) == "error: " + msg + "\n"
    assert "Facts so far:\n  none yet.\n" in r.stdout
    assert "Noted" not in r.stdout


def fix_pending(tmp_path):
    """A shell whose pending step is a fix: facts enough for the certificate fix."""
    return ["--fact", "port_3389_open=yes", "--fact", "rdp_cert_expired=yes", "--fact", "failure_stage=before_credentials",
            "--fact", "cert_regenerates=yes", "--fact", "worked_before=yes", "--fact", "host_kind=server",
            "--fact", "connection_path=lan"]   # where fixes apply is known: no question about it first


@pytest.mark.parametrize("word, meaning", [
    ("yes", "worked"), ("y", "worked"), ("work", "worked"), ("worked", "worked"), ("Worked", "worked"),
    ("no", "failed"), ("n", "failed"), ("fail", "failed"), ("failed", "failed"),
    ("skip", "skipped"), ("skipped", "skipped")])
def test_did_it_work_understands_the_words_people_use(tmp_path, word, meaning):
    args = fix_pending(tmp_path)
    r = shell_pipe(tmp_path, "", *args)
    assert "Did it work? Answer worked (yes), failed (no) or skip.\n" in r.stdout
    fix = re.findall(r"Try this fix: (\w+)", r.stdout)[-1]
    r = shell_pipe(tmp_path, word + "\n", *args)
    assert r.stderr == ""
    assert "Noted: fix %s %s.\n" % (fix, meaning) in r.stdout


def test_a_word_that_is_not_a_result_says_what_is(tmp_path):
    r = shell_pipe(tmp_path, "maybe\n", *fix_pending(tmp_path))
    assert unwrap(r.stderr) == "error: 'maybe' is not a result: answer worked (yes), failed (no) or skip\n"


def test_export_expands_tilde(tmp_path):
    r = run("ask", input="u\nexport ~/report.md\n", env=dict(sessions_env(tmp_path), HOME=str(tmp_path)))
    assert r.stderr == ""
    assert "Wrote the session report to %s/report.md." % tmp_path in re.sub(r"\s+", " ", r.stdout)
    assert (tmp_path / "report.md").read_text().startswith("#")


# ---- 10. a person who cannot tell ----

def test_three_unknown_answers_in_a_row_offer_to_stop_in_a_terminal(tmp_path):
    sh = Shell(tmp_path)
    sh.prompt()
    text = ""
    asked = []
    for _ in range(3):
        text = sh.say("unknown")
        asked += re.findall(r"Noted: (\w+) = unknown", text)
    flat = re.sub(r"\s+", " ", text)
    assert re.search(r"Stuck: 3 answers in a row were unknown \(%s\)\. Without them the session cannot tell "
                     r"apart \w+ \(\d+%%\), \w+ \(\d+%%\) and \w+ \(\d+%%\)\. You can stop here: export FILE "
                     r"writes the report" % ", ".join(asked), flat), flat
    assert "Stuck" not in sh.say("why")      # said once per run of three
    sh.p.sendeof()
    sh.p.expect(pexpect.EOF)


# ---- 15. the same --fact twice ----

@pytest.mark.parametrize("cmd", [["diagnose"], ["session", "--jsonl"], ["ask"]])
def test_the_same_fact_given_twice_with_different_values_is_refused(tmp_path, cmd):
    r = run(*cmd, "--fact", "host_kind=server", "--fact", "host_kind=azure_vm", input="",
            env=sessions_env(tmp_path))
    assert r.returncode == 2
    assert r.stderr.startswith("triage: --fact host_kind is given twice (server, then azure_vm): give it once\n")
    assert not (tmp_path / "s.sqlite").exists() or ok("sessions", env=sessions_env(tmp_path)).stdout == \
        "No saved sessions yet.\n"
    assert run(*cmd, "--fact", "host_kind=server", "--fact", "host_kind=server", input="",
               env=sessions_env(tmp_path)).returncode == 0


# ---- 14. for editors: kb build tells every error, and what it built ----

def kb_tree(tmp_path):
    top = tmp_path / "src"
    shutil.copytree(ROOT / "kb", top / "kb")
    shutil.copytree(ROOT / "rules", top / "rules")
    return top


def edit_json(path, change):
    d = json.loads(path.read_text())
    change(d)
    path.write_text(json.dumps(d, indent=2))


def test_kb_build_reports_every_error_in_one_run(tmp_path):
    top = kb_tree(tmp_path)
    facts = top / "kb" / "facts"
    edit_json(facts / "host_kind.json", lambda d: d.pop("text"))
    edit_json(facts / "worked_before.json", lambda d: d.pop("values"))
    edit_json(facts / "client_os.json", lambda d: d.update(asker="the janitor"))
    out = tmp_path / "out.sqlite"
    r = run("kb", "build", "-o", str(out), str(top))
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        "triage: %s/client_os.json: asker 'the janitor' is not one of client, host_admin, cloud_admin, "
        "network_admin" % facts,
        "triage: %s/host_kind.json: host_kind: 'text' is missing" % facts,
        "triage: %s/worked_before.json: worked_before: 'values' is missing" % facts,
        "triage: kb build: 3 errors; nothing written"]
    assert r.stdout == "" and not out.exists()


def test_kb_build_says_which_of_no_such_fact_or_stated_twice(tmp_path):
    top = kb_tree(tmp_path)
    cause = top / "kb" / "causes" / "expired_rdp_certificate.json"
    edit_json(cause, lambda d: d["evidence"].append(dict(d["evidence"][0])))
    edit_json(top / "kb" / "causes" / "host_unreachable.json",
              lambda d: d["evidence"].append(dict(d["evidence"][0], fact="no_such_fact")))
    r = run("kb", "build", "-o", str(tmp_path / "o.sqlite"), str(top))
    first = json.loads(cause.read_text())["evidence"][0]["fact"]
    assert "expired_rdp_certificate.json: evidence on '%s': stated twice\n" % first in r.stderr
    assert "host_unreachable.json: evidence on 'no_such_fact': no such fact\n" in r.stderr


def test_a_rule_reading_a_fact_it_did_not_declare_fails_the_build(tmp_path):
    top = kb_tree(tmp_path)
    (top / "rules" / "sneaky.lua").write_text(
        'description = "reads host_kind without declaring it"\n'
        'reads = {"connection_path"}\nsources = {"seed_000"}\nenabled = true\n'
        'function run(f)\n'
        '  if f.connection_path == "vpn" then\n'
        '    if f.host_kind == "server" then warn("renew_rdp_certificate", "x") end\n'
        '  end\nend\n')
    out = tmp_path / "out.sqlite"
    r = run("kb", "build", "-o", str(out), str(top))
    assert r.returncode == 1 and not out.exists()
    assert re.fullmatch(r"triage: .*sneaky.*:7: fact 'host_kind' is not in this rule's reads.*\n", r.stderr), r.stderr




def test_kb_show_prints_evidence_and_steps_one_per_line():
    cause = ok("kb", "show", "expired_rdp_certificate").stdout
    assert "\n  evidence:\n    - fact: rdp_cert_expired; p: yes 0.93; why: " in cause
    assert "\n    - fact: failure_stage; p: before_credentials 0.85, after_credentials 0.12; why: " in cause
    fix = ok("kb", "show", "renew_rdp_certificate").stdout
    steps = json.loads((ROOT / "kb" / "fixes" / "renew_rdp_certificate.json").read_text())["steps"]
    shown = ["text: %s; applies: %s" % (s["text"], json.dumps(s["applies"], separators=(",", ":")))
             if isinstance(s, dict) else s for s in steps]   # a step that applies somewhere
    assert "\n  steps:\n" + "".join("    - %s\n" % s for s in shown) in fix
    assert "\n    - shell: powershell; on: host; text: Restart-Service -Name TermService -Force\n" in fix


def test_kb_test_help_documents_the_keys_the_cases_use():
    helptext = ok("kb", "test", "--help").stdout
    used = set()
    for f in list((ROOT / "tests" / "cases").glob("*.jsonl")) + [ROOT.parent / "shared" / "eval" / "cases-public.jsonl"]:
        for line in f.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                used |= set(json.loads(line))
    for key in used - {"note", "notes", "comment"}:
        assert '"%s"' % key in helptext, key
    assert "expect_top" not in helptext


# ---- 11. one unit of time for people ----

def test_minutes_of_work_are_the_same_number_in_diagnose_the_shell_and_reports(tmp_path):
    env = sessions_env(tmp_path)
    args = fix_pending(tmp_path)
    fix = re.findall(r"Try this fix: (\w+)", shell_pipe(tmp_path, "", *args).stdout)[-1]
    minutes = json.loads((ROOT / "kb" / "fixes" / (fix + ".json")).read_text())["minutes"]
    diag = ok("diagnose", *args).stdout
    assert re.search(r"\n   1\. %s\n      \d+%% likely, about %d min, \w+ risk: " % (fix, minutes), diag)
    shell = shell_pipe(tmp_path, "why\nexport\n", *args).stdout
    assert "likely to resolve it; about %d min;" % minutes in shell
    assert "likely to resolve the problem now, about %d min of work" % minutes in re.sub(r"\s+", " ", shell)
    assert "- **Effort:** about %d min of work" % minutes in shell
    for word in ("priced", "per minute", "expected cost"):
        assert word not in shell and word not in diag
        assert word not in ok("export", "guide", env=env).stdout
    detail = shell_pipe(tmp_path, "why --detail\n", *args).stdout
    assert "priced as" in detail and "per minute" in detail


# ---- 12. narrow terminals and plain locales ----

def test_a_narrow_plain_terminal_gets_ascii_bars_wrapped_errors_and_aligned_facts(tmp_path):
    sh = Shell(tmp_path, "--fact", "host_kind=server", cols=40, lang="C")
    text = sh.prompt()
    assert re.search(r"\r\n  [#.]{5} +\d+% \w+", text) and "\u2588" not in text
    text = sh.say("moon")
    err = text[text.index("error: "):]
    lines = err.split("\r\n")
    assert len(lines) >= 2 and all(len(l) <= 40 for l in lines)
    assert lines[1].startswith("       ") and not lines[1].startswith("        ")
    sh.say("unknown")
    text = sh.say("facts")
    rows = re.findall(r"\r\n  (\w+ +)= ", text)
    assert len(rows) == 2 and len({len(r) for r in rows}) == 1      # the = signs line up
    sh.p.sendeof()
    sh.p.expect(pexpect.EOF)


# ---- 13. Markdown that reads well as plain text ----

def test_markdown_escapes_only_where_commonmark_needs_it(tmp_path):
    guide = ok("export", "guide").stdout
    version = json.loads((ROOT / "kb" / "kb.json").read_text())["version"]
    assert ", version %s:" % version in guide            # 2026.11.1, not 2026\.11\.1
    assert "on-premises" in guide and "on\\-premises" not in guide
    # no escapes inside running text (a segment's first character may be
    # escaped: the exporter cannot know it will not start a line)
    assert "\\(" not in guide and not re.search(r"\w\\[.-]", guide)
    env = sessions_env(tmp_path)
    jsonl("--title", "INC-7 *urgent* [vpn]", lines=[{"answer": "unknown"}], env=env)
    md = ok("export", "session", "1", env=env).stdout
    day = json.loads(ok("sessions", "--json", env=env).stdout)[0]["created"][:10]
    assert md.startswith("# Troubleshooting session 1: INC-7 \\*urgent\\* \\[vpn\\] (started %s)\n" % day)
    html = subprocess.run(["cmark"], input=md, capture_output=True, text=True).stdout
    assert "<h1>Troubleshooting session 1: INC-7 *urgent* [vpn] (started %s)</h1>" % day in html


def test_ctrl_d_at_once_after_a_prompt_ends_the_shell_every_time(tmp_path):
    """A Ctrl-D that arrives while the terminal is still in line mode comes
    through as a NUL when libedit switches modes; it must still end input."""
    for _ in range(10):
        sh = Shell(tmp_path)
        sh.prompt()
        sh.p.sendeof()
        sh.p.expect(pexpect.EOF, timeout=10)
        sh.p.close()
        assert sh.p.exitstatus == 0


# ---- 15. a fact the knowledge base does not cover ----

def test_a_value_no_cause_explains_says_what_the_kb_covers(tmp_path):
    note = ("error_code=other: no cause in this knowledge base explains it; it covers error_code 0x904 only "
            "(Remote Desktop error 0x904, extended error 0x7), so its advice may not fit this problem")
    title = json.loads((ROOT / "kb" / "kb.json").read_text())["title"]
    note = note.replace("Remote Desktop error 0x904, extended error 0x7", title)
    diag = ok("diagnose", "--fact", "error_code=other", env={"COLUMNS": "400"}).stdout
    assert diag.startswith("Note: " + note + "\n\nMost likely causes:\n")
    assert json.loads(ok("diagnose", "--fact", "error_code=other", "--json").stdout)["notes"] == [note]
    shell = shell_pipe(tmp_path, "set extended_error=other\n", "--fact", "error_code=other")
    assert "Note: " + note in re.sub(r"\s+", " ", shell.stdout)
    assert "Note: extended_error=other: no cause" in re.sub(r"\s+", " ", shell.stdout)
    assert "Note:" not in ok("diagnose", "--fact", "rdp_listening_port=other").stdout   # a cause explains it
    assert "notes" not in json.loads(ok("diagnose", "--fact", "error_code=0x904", "--json").stdout)
