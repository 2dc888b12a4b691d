"""test_kbdiff.py: `triage kb test --changed --before OLD` (engine/kbdiff.c):
two tiny knowledge bases that differ in one prior, one likelihood or one
fix; the test cases and a saved session are compared on both, and the
moves reported are asserted line by line (and as JSON).
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_kbdiff.py
"""
import json
import os
import subprocess
from pathlib import Path

from kbmaker import cause, fact, fix, make

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
CASES = ('{"id": "t1", "given": {"seen": "yes"}, "top": "a"}\n'
         '{"id": "s1", "cause": "a", "facts": {"seen": "yes", "other": "no"}}\n')


def kb(tmp_path, name, prior_b=0.5, like_a=0.8, cost_fa=1):
    return make(tmp_path, [fact("seen"), fact("other")],
                [cause("a", [("seen", {"yes": like_a})]),
                 cause("b", [("seen", {"yes": 0.3}), ("other", {"yes": 0.7})], prior=prior_b)],
                [fix("fa", [("a", 0.9)], cost=cost_fa), fix("fb", [("b", 0.9)])], name=name)


def changed(tmp_path, before, after, *args, cases=True):
    files = []
    if cases:
        (tmp_path / "c.jsonl").write_text(CASES)
        files = [str(tmp_path / "c.jsonl")]
    return subprocess.run([BIN, "kb", "test", "--changed", "--before", before, "--kb", after,
                           *args, *files], capture_output=True, text=True, timeout=60)


def test_nothing_moves_between_a_file_and_itself(tmp_path):
    before = kb(tmp_path, "before")
    r = changed(tmp_path, before, before)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == ("nothing moves: 2 cases and 0 saved sessions give the same rankings, next "
                        "actions, fixes and outcomes on both\n")


def test_a_prior_moves_the_ranking_the_next_fix_and_the_outcome(tmp_path):
    before, after = kb(tmp_path, "before"), kb(tmp_path, "after", prior_b=0.9)
    r = changed(tmp_path, before, after)
    assert (r.returncode, r.stderr) == (0, "")
    c = tmp_path / "c.jsonl"
    assert r.stdout == (
        "case @:1 t1 (1 state compared)\n"
        # P(a | seen=yes) = .5 x .8 / (.5 x .8 + .5 x .3) = 72.7% before,
        # .5 x .8 / (.5 x .8 + .9 x .3) = 59.7% after
        "  ranking moves in 1 of 1 states, most after seen=yes: a 72.7% -> 59.7% (-13.0 points)\n"
        "  outcome: ok top a (73%) -> ok top a (60%)\n"
        "case @:2 s1 (1 state compared)\n"
        "  ranking moves in 1 of 1 states, most at the start: b 50.0% -> 64.3% (+14.3 points)\n"
        "  next action moves in 1 of 1 states, first at the start: try fa -> try fb\n"
        "  recommended fixes move in 1 of 1 states, first at the start: order: fb #2 -> #1, fa #1 -> #2\n"
        "  outcome: ok a steps=1 questions=0 fixes=1 -> ok a steps=2 questions=0 fixes=2\n"
        "2 of 2 cases and 0 of 0 saved sessions move\n").replace("@", str(c))


def test_a_likelihood_moves_only_the_ranking_where_the_fact_is_known(tmp_path):
    before, after = kb(tmp_path, "before"), kb(tmp_path, "after", like_a=0.6)
    r = changed(tmp_path, before, after)
    assert r.stdout == (
        "case @:1 t1 (1 state compared)\n"
        "  ranking moves in 1 of 1 states, most after seen=yes: b 27.3% -> 33.3% (+6.1 points)\n"
        "  outcome: ok top a (73%) -> ok top a (67%)\n"
        "1 of 2 cases and 0 of 0 saved sessions move\n").replace("@", str(tmp_path / "c.jsonl"))


def test_a_dearer_fix_moves_the_plan_not_the_ranking(tmp_path):
    before, after = kb(tmp_path, "before"), kb(tmp_path, "after", cost_fa=20)
    r = changed(tmp_path, before, after, "--json")
    assert (r.returncode, r.stderr) == (0, "")
    j = json.loads(r.stdout)
    c = str(tmp_path / "c.jsonl")
    assert j == {
        "before": before, "after": after, "cases": 2, "sessions": 0, "sessions_left": 0, "moved": 2,
        "items": [
            {"kind": "case", "id": "t1", "where": c + ":1", "states": 1,
             "next": {"states": 1, "at": "after seen=yes", "before": "try fa", "after": "try fb"},
             "fixes": {"states": 1, "at": "after seen=yes", "before": "fa, fb", "after": "fb, fa"}},
            {"kind": "case", "id": "s1", "where": c + ":2", "states": 1,
             "next": {"states": 1, "at": "at the start", "before": "try fa", "after": "try fb"},
             "fixes": {"states": 1, "at": "at the start", "before": "fa, fb", "after": "fb, fa"},
             "outcome": {"before": "ok a steps=1 questions=0 fixes=1",
                         "after": "ok a steps=2 questions=0 fixes=2"}}]}


def test_saved_sessions_are_replayed_on_both(tmp_path):
    before, after = kb(tmp_path, "before"), kb(tmp_path, "after", prior_b=0.9)
    r = subprocess.run([BIN, "session", "--jsonl", "--kb", before, "--title", "INC-7",
                        "--fact", "seen=yes"], input='{"result": "failed"}\n{"command": "quit"}\n',
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    r = changed(tmp_path, before, after, cases=False)
    assert (r.returncode, r.stderr) == (0, "")
    # before: P(b | seen=yes, fa failed) = .15 / (.4 x .1 + .15) = 78.9%;
    # after: .27 / (.04 + .27) = 87.1%
    assert r.stdout == (
        'session 1 "INC-7" (3 states compared)\n'
        "  ranking moves in 3 of 3 states, most at the start: b 50.0% -> 64.3% (+14.3 points)\n"
        "  next action moves in 1 of 3 states, first at the start: try fa -> try fb\n"
        "  recommended fixes move in 1 of 3 states, first at the start: order: fb #2 -> #1, fa #1 -> #2\n"
        "0 of 0 cases and 1 of 1 saved session move\n")


def test_an_event_the_other_file_cannot_take_is_said(tmp_path):
    before = kb(tmp_path, "before")
    after = make(tmp_path, [fact("seen")], [cause("a", [("seen", {"yes": 0.8})]),
                                            cause("b", [("seen", {"yes": 0.3})])],
                 [fix("fa", [("a", 0.9)]), fix("fb", [("b", 0.9)])], name="after")
    (tmp_path / "c.jsonl").write_text('{"id": "t2", "given": {"other": "yes"}, "top": "b"}\n')
    r = subprocess.run([BIN, "kb", "test", "--changed", "--before", before, "--kb", after,
                        str(tmp_path / "c.jsonl")], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "  1 event not given (first: after cannot take given other=yes: unknown fact 'other')" \
        in lines, r.stdout


def test_usage_errors(tmp_path):
    before = kb(tmp_path, "before")
    for args, msg in [
            (["--before", before, "x.jsonl"], "kb test: --before is for --changed"),
            (["--json", "x.jsonl"], "kb test: --json is for --changed"),
            (["--changed", "--before", before, "--depth", "2"],
             "kb test --changed: compares at the default depth and steps (no --depth, --max-steps "
             "or --verbose)")]:
        r = subprocess.run([BIN, "kb", "test", "--kb", before, *args], capture_output=True,
                           text=True, timeout=30)
        assert (r.returncode, r.stdout) == (2, ""), args
        assert r.stderr.splitlines()[0] == "triage: " + msg


def test_a_missing_before_file_is_an_error(tmp_path):
    before = kb(tmp_path, "before")
    r = changed(tmp_path, str(tmp_path / "none.sqlite"), before)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr.startswith("triage: %s: " % (tmp_path / "none.sqlite"))


def save_session(kb, title, result):
    r = subprocess.run([BIN, "session", "--jsonl", "--kb", kb, "--title", title, "--fact", "seen=yes"],
                       input='{"result": "%s"}\n{"command": "quit"}\n' % result,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr


def test_only_the_most_recent_sessions_of_this_knowledge_base_are_replayed(tmp_path):
    before, after = kb(tmp_path, "before"), kb(tmp_path, "after", prior_b=0.9)
    save_session(before, "INC-1", "failed")
    save_session(before, "INC-2", "skipped")
    r = changed(tmp_path, before, after, "--sessions", "1", cases=False)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.startswith('session 2 "INC-2" (3 states compared)\n')
    assert r.stdout.endswith("0 of 0 cases and 1 of 1 saved session move\n"
                             "(1 older saved session on this knowledge base not replayed)\n")
    r = changed(tmp_path, before, after, "--sessions", "0", cases=False)
    assert r.stdout == ("nothing moves: 0 cases and 0 saved sessions give the same rankings, next "
                        "actions, fixes and outcomes on both\n"
                        "(2 older saved sessions on this knowledge base not replayed)\n")
    # sessions of another knowledge base (another kb id) are not this one's
    other_b = make(tmp_path, [fact("seen")], [cause("c", [("seen", {"yes": 0.8})])],
                   [fix("fc", [("c", 0.9)])], name="other_b", kb_id="other")
    other_a = make(tmp_path, [fact("seen")], [cause("c", [("seen", {"yes": 0.7})])],
                   [fix("fc", [("c", 0.9)])], name="other_a", kb_id="other")
    r = changed(tmp_path, other_b, other_a, cases=False)
    assert r.stdout == ("nothing moves: 0 cases and 0 saved sessions give the same rankings, next "
                        "actions, fixes and outcomes on both\n")


def test_a_new_fix_is_said_to_come_in_with_its_place(tmp_path):
    before = kb(tmp_path, "before")
    after = make(tmp_path, [fact("seen"), fact("other")],
                 [cause("a", [("seen", {"yes": 0.8})]),
                  cause("b", [("seen", {"yes": 0.3}), ("other", {"yes": 0.7})])],
                 [fix("fa", [("a", 0.9)]), fix("fb", [("b", 0.9)]),
                  fix("fnew", [("a", 0.9)], cost=0.5)], name="after")
    r = changed(tmp_path, before, after)
    lines = r.stdout.splitlines()
    assert "  recommended fixes move in 1 of 1 states, first after seen=yes: in: fnew (#1)" in lines
    assert "  next action moves in 1 of 1 states, first after seen=yes: try fa -> try fnew" in lines
