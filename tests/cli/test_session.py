"""test_session.py: `triage session --jsonl`, the JSON Lines protocol of
../shared/protocol.md, driven through a pipe one line at a time: a ranking
then exactly one action; answers by value and "unknown"; every bad line gets
one error line and the same pending action again; a volunteered fact and
`back` withdraw the pending action; fix results; how a session ends; the
same script gives the same output; the public evaluation cases all resolve
with no wrong high-risk fix.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_session.py
"""
import json
import os
import queue
import subprocess
import threading
from pathlib import Path

import pytest
from kbmaker import addressed

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
EVAL = ROOT.parent / "shared" / "eval"
TIMEOUT = 10


class Session:
    """One `triage session --jsonl` process, read line by line with a timeout."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([BIN, "session", "--jsonl", "--kb", KB, *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.lines = queue.Queue()
        self.raw = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def line(self, timeout=TIMEOUT):
        """The next raw line (None at end of output)."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no line from the engine within %ss" % timeout)
        if line is not None:
            assert line.endswith("\n")
            self.raw.append(line)
        return line

    def read(self):
        line = self.line()
        assert line is not None, "the engine closed its output: %s" % self.proc.stderr.read()
        return json.loads(line)

    def nothing_more(self, wait=0.3):
        """No further line arrives while the engine waits for a reply."""
        try:
            extra = self.lines.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError("an extra line without a reply: %r" % extra)

    def send(self, obj):
        self.proc.stdin.write((obj if isinstance(obj, str) else json.dumps(obj)) + "\n")
        self.proc.stdin.flush()

    def step(self, obj):
        """Sends a reply that must be accepted: returns (ranking, action)."""
        self.send(obj)
        ranking = self.read()
        assert ranking["type"] == "ranking", ranking
        action = self.read()
        assert action["type"] in ("question", "recommend", "done"), action
        return ranking, action

    def start(self):
        ranking = self.read()
        action = self.read()
        assert ranking["type"] == "ranking"
        return ranking, action

    def close(self):
        """Closes stdin; returns (remaining lines, exit status)."""
        self.proc.stdin.close()
        rest = []
        while (line := self.line()) is not None:
            rest.append(json.loads(line))
        return rest, self.proc.wait(timeout=TIMEOUT)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


@pytest.fixture
def session():
    made = []

    def start(*args):
        s = Session(*args)
        made.append(s)
        return s
    yield start
    for s in made:
        s.kill()


def cause_ids():
    out = subprocess.run([BIN, "--kb", KB, "kb", "list", "causes", "--json"], capture_output=True,
                         text=True, check=True, timeout=30).stdout
    return {c["id"] for c in json.loads(out)}


def fix_links():
    out = subprocess.run([BIN, "--kb", KB, "kb", "list", "fixes", "--json"], capture_output=True,
                         text=True, check=True, timeout=30).stdout
    return {x["id"]: x for x in json.loads(out)}


def check_ranking(ranking, known):
    ids = [c["id"] for c in ranking["causes"]]
    ps = [c["p"] for c in ranking["causes"]]
    assert ids, "an empty ranking"
    assert len(set(ids)) == len(ids)
    assert set(ids) <= known
    assert abs(sum(ps) - 1) < 1e-6
    assert all(p > 0 for p in ps)
    assert ps == sorted(ps, reverse=True)


def until_recommend(s, action, limit=60):
    """Answers "unknown" until a fix is recommended; returns (ranking, action)."""
    ranking = None
    for _ in range(limit):
        if action["type"] == "recommend":
            return ranking, action
        assert action["type"] == "question", action
        ranking, action = s.step({"answer": "unknown"})
    raise AssertionError("no fix recommended after %d unknown answers" % limit)


# ---- the shape of the conversation ----

def test_first_a_ranking_then_exactly_one_question(session):
    s = session()
    ranking, action = s.start()
    check_ranking(ranking, cause_ids())
    assert action["type"] == "question"
    assert isinstance(action["fact"], str) and action["text"]
    assert action["choices"] and all(isinstance(c, str) for c in action["choices"])
    assert "unknown" not in action["choices"]
    s.nothing_more()


def test_every_ranking_sums_to_one_and_lists_known_causes(session):
    s = session()
    known = cause_ids()
    ranking, action = s.start()
    for _ in range(8):
        check_ranking(ranking, known)
        if action["type"] != "question":
            break
        ranking, action = s.step({"answer": action["choices"][0]})
        s.nothing_more(0.05)


def test_answer_by_value_moves_on(session):
    s = session()
    first_ranking, q1 = s.start()
    ranking, q2 = s.step({"answer": q1["choices"][0]})
    assert ranking != first_ranking
    assert q2.get("fact") != q1["fact"]
    s.nothing_more()


def test_unknown_is_accepted_and_not_asked_again(session):
    s = session()
    _, q1 = s.start()
    asked = {q1["fact"]}
    action = q1
    for _ in range(5):
        _, action = s.step({"answer": "unknown"})
        if action["type"] != "question":
            break
        assert action["fact"] not in asked
        asked.add(action["fact"])


# ---- bad lines: one error, then the same action again ----

BAD_WHILE_QUESTION = [
    ("not JSON", "garbage", "not JSON: '[' or '{' expected near 'garbage'"),
    ("a JSON array", "[1, 2]", "a request is a JSON object"),
    ("unknown fact", {"fact": "nosuch", "value": "yes"}, "unknown fact 'nosuch'"),
    ("result while a question is pending", {"result": "worked"}, "no fix is pending: answer the question"),
    ("an unknown command", {"command": "restart"}, "unknown command (back, quit or end)"),
    ("an object of nothing known", {"hello": 1}, "expected answer, result, fact, reach or command"),
    ("an answer that is not a string", {"answer": 1}, "\"answer\" must be a string"),
]


@pytest.mark.parametrize("what,line,message", BAD_WHILE_QUESTION, ids=[b[0] for b in BAD_WHILE_QUESTION])
def test_bad_line_gets_one_error_and_the_same_question(session, what, line, message):
    s = session()
    _, q = s.start()
    pending = s.raw[-1]
    s.send(line)
    assert s.read() == {"type": "error", "message": message}
    assert s.line() == pending
    s.nothing_more()
    # nothing was lost: the question can still be answered
    _, after = s.step({"answer": q["choices"][0]})
    assert after["type"] in ("question", "recommend")


def test_value_not_among_the_choices_gets_an_error(session):
    s = session()
    _, q = s.start()
    pending = s.raw[-1]
    s.send({"answer": "maybe"})
    err = s.read()
    assert err == {"type": "error", "message": "'maybe' is not a choice for %s (choose %s, or unknown)"
                   % (q["fact"], ", ".join(q["choices"]))}
    assert s.line() == pending
    s.nothing_more()


def test_volunteered_value_not_among_the_choices_gets_an_error(session):
    s = session()
    s.start()
    pending = s.raw[-1]
    s.send({"fact": "host_kind", "value": "mainframe"})
    assert s.read() == {"type": "error", "message": "'mainframe' is not a choice for host_kind (choose "
                        "workstation, server, azure_vm, avd, other_cloud_vm, or unknown)"}
    assert s.line() == pending


def test_answer_while_a_fix_is_pending_gets_an_error(session):
    s = session()
    _, action = s.start()
    _, fix = until_recommend(s, action)
    pending = s.raw[-1]
    s.send({"answer": "yes"})
    assert s.read() == {"type": "error",
                        "message": "no question is pending: reply worked, failed or skipped to the fix"}
    assert s.line() == pending
    s.send({"result": "perhaps"})
    assert s.read() == {"type": "error",
                        "message": "a fix result is worked, failed or skipped, not 'perhaps'"}
    assert s.line() == pending
    s.nothing_more()


def test_blank_lines_are_ignored(session):
    s = session()
    s.start()
    s.send("")
    s.send("   ")
    s.nothing_more()


# ---- withdrawing the pending action ----

def test_volunteered_fact_withdraws_the_pending_action(session):
    s = session()
    before, q = s.start()
    ranking, action = s.step({"fact": "host_kind", "value": "azure_vm"})
    assert action["type"] in ("question", "recommend")
    assert action.get("fact") != "host_kind"
    p_before = {c["id"]: c["p"] for c in before["causes"]}
    p_after = {c["id"]: c["p"] for c in ranking["causes"]}
    assert p_after["azure_nsg_blocking"] > p_before["azure_nsg_blocking"]
    s.nothing_more()


def test_back_undoes_the_last_reply(session):
    s = session()
    first_ranking, q1 = s.start()
    first_question = s.raw[-1]
    _, q2 = s.step({"answer": q1["choices"][0]})
    assert q2.get("fact") != q1["fact"]
    ranking, again = s.step({"command": "back"})
    assert ranking == first_ranking
    assert s.raw[-1] == first_question
    s.send({"command": "back"})
    assert s.read() == {"type": "error", "message": "nothing to undo"}
    assert s.line() == first_question


# ---- fixes ----

def test_failed_fix_lowers_its_causes(session):
    s = session()
    _, action = s.start()
    ranking, fix = until_recommend(s, action)
    links = fix_links()[fix["fix"]]
    # the knowledge base's links (its own and its included fixes'), nothing invented
    assert fix["causes"] == addressed(fix_links(), fix["fix"])
    assert fix["risk"] == links["risk"]
    before = {c["id"]: c["p"] for c in ranking["causes"]}
    after_ranking, nxt = s.step({"result": "failed"})
    after = {c["id"]: c["p"] for c in after_ranking["causes"]}
    assert after != before
    for cause in fix["causes"]:
        assert after.get(cause, 0) < before[cause]
    assert nxt.get("fix") != fix["fix"]


def test_worked_ends_resolved_and_exits_0(session):
    s = session()
    _, action = s.start()
    _, fix = until_recommend(s, action)
    s.send({"result": "worked"})
    rest = []
    while (line := s.line()) is not None:
        rest.append(json.loads(line))
    assert rest[-1] == {"type": "done", "status": "resolved"}
    assert [m["type"] for m in rest] in (["done"], ["ranking", "done"])
    assert s.proc.wait(timeout=TIMEOUT) == 0


def test_end_of_input_is_quit_and_exits_0(session):
    s = session()
    s.start()
    rest, status = s.close()
    assert rest == [{"type": "done", "status": "quit"}]
    assert status == 0


def test_quit_command_ends_the_session(session):
    s = session()
    s.start()
    s.send({"command": "quit"})
    assert s.read() == {"type": "done", "status": "quit"}
    assert s.line() is None
    assert s.proc.wait(timeout=TIMEOUT) == 0


# ---- the command line ----

def test_given_facts_are_not_asked(session):
    s = session("--fact", "host_kind=azure_vm", "--fact", "error_code=0x904")
    ranking, action = s.start()
    seen = set()
    for _ in range(10):
        if action["type"] != "question":
            break
        assert action["fact"] not in ("host_kind", "error_code")
        seen.add(action["fact"])
        ranking, action = s.step({"answer": "unknown"})


@pytest.mark.parametrize("flag,message", [
    ("nosuch=yes", "unknown fact 'nosuch'"),
    ("host_kind=mainframe", "'mainframe' is not a choice for host_kind (choose workstation, server, "
                            "azure_vm, avd, other_cloud_vm, or unknown)"),
    ("host_kind", "--fact takes ID=VALUE, not 'host_kind'"),
])
def test_bad_fact_flag_exits_2(flag, message):
    usage = subprocess.run([BIN, "session", "--help"], capture_output=True, text=True,
                           timeout=30).stdout.splitlines()[0]
    r = subprocess.run([BIN, "session", "--jsonl", "--kb", KB, "--fact", flag], input="",
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr == "triage: %s\n%s\n" % (message, usage)


def test_session_without_jsonl_exits_2():
    r = subprocess.run([BIN, "session", "--kb", KB], input="", capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == \
        "triage: session: only --jsonl is supported (the shell is `triage ask`)"


# ---- determinism ----

SCRIPT = [
    {"fact": "host_kind", "value": "server"},
    "garbage",
    {"answer": "unknown"},
    {"command": "back"},
    {"answer": "unknown"},
    {"answer": "unknown"},
    {"fact": "worked_before", "value": "yes"},
    {"answer": "unknown"},
    {"answer": "unknown"},
    {"result": "failed"},
    {"result": "skipped"},
    {"answer": "unknown"},
]


def scripted():
    """The script, unsaved (a saved session's ranking lines carry its new ID)."""
    text = "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in SCRIPT)
    return subprocess.run([BIN, "session", "--jsonl", "--no-save", "--kb", KB, "--fact", "error_code=0x904"],
                          input=text, capture_output=True, text=True, timeout=30)


def test_same_script_gives_the_same_output():
    one, two = scripted(), scripted()
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout
    lines = [json.loads(l) for l in one.stdout.splitlines()]
    assert lines[-1] == {"type": "done", "status": "quit"}
    assert sum(1 for l in lines if l["type"] == "error") >= 1


# ---- the public evaluation cases ----

def test_public_eval_cases_all_resolve_without_wrong_high_risk_fixes():
    r = subprocess.run(["/usr/bin/python3", str(EVAL / "oracle.py"), "--engine", BIN, "--kb", KB,
                        "--json", str(EVAL / "cases-public.jsonl")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert summary["broken"] == 0
    assert summary["resolved"] == summary["cases"]
    assert summary["cases"] > 0
    assert summary["wrong_high_risk_fixes"] == 0
