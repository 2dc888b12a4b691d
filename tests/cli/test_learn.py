"""test_learn.py: learning from outcomes (issue 12). How sessions end (the
shell's end and its question at quit, JSON Lines' end command, sessions end,
'fixed' recorded when a fix works), sessions export (free text left out
unless --keep-text), and kb learn on a tiny knowledge base of two causes,
against values computed by hand: the EM estimate, the weight of the
knowledge base, a contradicting session, other versions, determinism, the
learned file and text tree, candidate new causes, and every error.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_learn.py
"""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))

SOURCE = [{"source": "hand"}]


def fact(fid, values):
    return {"id": fid, "text": "Question %s?" % fid, "help": "Look.", "check": [], "asker": "client",
            "cost": 1, "unknown_rate": 0.05, "sources": SOURCE,
            "values": [{"value": v, "text": v, "p": p} for v, p in values]}


def fix(fid, cost, resolves):
    return {"id": fid, "title": "Fix %s" % fid, "summary": "Do it.", "risk": "low", "cost": cost,
            "minutes": 1, "admin": False, "reboot": False, "steps": ["Do it."], "commands": [],
            "undo": "", "outcome": "It works.", "sources": SOURCE,
            "resolves": [{"cause": c, "p": p, "why": "by hand"} for c, p in resolves]}


def cause(cid, yes):
    return {"id": cid, "title": "Cause %s" % cid, "summary": "It is %s." % cid, "prior": 0.5,
            "prior_why": "Even.", "sources": SOURCE,
            "evidence": [{"fact": "sign", "p": {"yes": yes}, "why": "By hand."}]}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Two causes, even priors; sign=yes has P 0.8 under cause_a, 0.2 under
    cause_b; fix_a and fix_b resolve one each for sure, fix_ab both (0.9
    and 0.3); host_name is free text."""
    d = tmp_path_factory.mktemp("tiny")
    for sub in ("kb/facts", "kb/causes", "kb/fixes", "rules"):
        (d / sub).mkdir(parents=True)
    (d / "kb/kb.json").write_text(json.dumps({"id": "tiny", "title": "Tiny", "version": "1", "summary": "Two causes."}))
    (d / "kb/sources.json").write_text(json.dumps([{"id": "hand", "file": "test_learn.py", "title": "By hand", "note": ""}]))
    records = [("facts", fact("sign", [("yes", 0.5), ("no", 0.5)])), ("facts", fact("host_name", [])),
               ("causes", cause("cause_a", 0.8)), ("causes", cause("cause_b", 0.2)),
               ("fixes", fix("fix_a", 5, [("cause_a", 1)])), ("fixes", fix("fix_b", 5, [("cause_b", 1)])),
               ("fixes", fix("fix_ab", 1, [("cause_a", 0.9), ("cause_b", 0.3)]))]
    for sub, r in records:
        (d / "kb" / sub / (r["id"] + ".json")).write_text(json.dumps(r, indent=2))
    kb = d / "tiny.sqlite"
    subprocess.run([BIN, "kb", "build", "-o", str(kb), str(d)], check=True, capture_output=True)
    digest = re.search(r"digest (\w+)", triage("--kb", str(kb), "--version").stdout).group(1)
    return {"kb": str(kb), "dir": d, "digest": digest}


def triage(*args, input=None, env=None):
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, input=input, timeout=60,
                          env=env)


def exported(tiny, events, fix_id=None, ending="fixed", digest=None, checksums=None, sid=1, note=None):
    """One exported session, as sessions export writes it."""
    o = {"format": "triage-session", "version": 1, "session": sid, "created": "2026-12-01T10:00:00Z",
         "ended": "2026-12-01T10:05:00Z",
         "kb": {"id": "tiny", "version": "1", "digest": digest or tiny["digest"]},
         "checksums": checksums, "status": "resolved" if ending == "fixed" else "open", "ending": ending,
         "events": [{"kind": k, "subject": s, "value": v} for k, s, v in events]}
    if fix_id:
        o["fix"] = fix_id
    if note is not None:
        o["note"] = note
    return json.dumps(o)


def learn(tiny, tmp_path, lines, *extra):
    f = tmp_path / "sessions.jsonl"
    f.write_text("\n".join(lines) + "\n")
    return triage("--kb", tiny["kb"], "kb", "learn", str(f), *extra)


def priors(out):
    return {m.group(1): (float(m.group(2)), float(m.group(3)), float(m.group(4)))
            for m in re.finditer(r"^  (cause_\w+) +([\d.]+) -> ([\d.]+)  \(([\d.]+)\)$", out, re.M)}


def likelihoods(out):
    return {(m.group(1), m.group(2)): m.group(3)
            for m in re.finditer(r"^  (cause_\w+), (\w+): (.*?)  \(", out, re.M)}


# ---- the estimate, by hand ----

def test_one_session_resolved_by_a_fix_of_both_causes_moves_priors_to_the_em_fixed_point(tiny, tmp_path):
    # No answer; fix_ab worked: it resolves a with 0.9 and b with 0.3. With the
    # knowledge base worth one session, the EM fixed point solves
    # pi = (0.5 + w) / 2 with w = 0.9 pi / (0.9 pi + 0.3 (1 - pi)):
    # pi^2 - pi/2 - 1/8 = 0, pi = (0.5 + sqrt(0.75)) / 2 = 0.6830; w = 2 pi - 0.5 = 0.866.
    p = learn(tiny, tmp_path, [exported(tiny, [("result", "fix_ab", "worked")], "fix_ab")],
              "--weight", "1", "--dry-run")
    assert p.returncode == 0, p.stderr
    assert priors(p.stdout) == {"cause_a": (0.5, 0.683, 0.9), "cause_b": (0.5, 0.317, 0.1)}
    assert "1 session from 1 file: 1 resolved by a fix of the knowledge base and 0 unresolved (used), " \
           "0 resolved outside it." in p.stdout
    assert p.stdout.endswith("--dry-run: 2 changes proposed, nothing written.\n")


def test_sessions_of_a_sure_cause_move_its_likelihood_to_the_posterior_mean(tiny, tmp_path):
    # Sessions with sign=yes resolved by fix_a (cause_a alone). Weight 1:
    # cause_a's likelihoods count as max(1 x 0.5, 1 x 0.1) = 0.5 sessions.
    # 25: P(yes | a) = (0.5 x 0.8 + 25) / (0.5 + 25) = 0.996 -> 0.99 (the bound); the
    # sessions' G = 2 x 25 ln(1 / 0.8) = 11.2 against the old row, P = 0.0008 for one
    # degree of freedom, below 0.05 over the one row tested: proposed.
    # Prior (0.5 + 25) / (1 + 25) = 0.981. cause_b saw nothing: its prior
    # goes to 0.019 and its likelihoods stay.
    s = exported(tiny, [("answer", "sign", "yes"), ("result", "fix_a", "worked")], "fix_a")
    p = learn(tiny, tmp_path, [s] * 25, "--weight", "1", "--dry-run")
    assert priors(p.stdout) == {"cause_a": (0.5, 0.981, 25.0), "cause_b": (0.5, 0.019, 0.0)}
    assert likelihoods(p.stdout) == {("cause_a", "sign"): "yes 0.80 -> 0.99, no 0.20 -> 0.01"}
    # Five: 0.9818 -> 0.98, a move of 0.18, but G = 2 x 5 ln 1.25 = 2.23, P = 0.14: five
    # answers of yes could come by chance from a row that says 0.8: not proposed.
    p = learn(tiny, tmp_path, [s] * 5, "--weight", "1", "--dry-run")
    assert priors(p.stdout)["cause_a"] == (0.5, 0.917, 5.0)
    assert likelihoods(p.stdout) == {}


def test_a_row_must_differ_beyond_chance_over_all_the_rows_the_sessions_bear_on(tiny, tmp_path):
    # Ten sessions of cause_a, all sign=yes: G = 2 x 10 ln 1.25 = 4.46, P = 0.035 (by the
    # approximation learn.c uses; 0.035 exactly too). With one row tested the level is
    # 0.05: proposed. Five sessions of cause_b agreeing with its row (one yes, four no:
    # G = 0) make two rows tested, the level 0.025: cause_a's row is no longer proposed,
    # though its own sessions are the same.
    a = exported(tiny, [("answer", "sign", "yes"), ("result", "fix_a", "worked")], "fix_a")
    b_yes = exported(tiny, [("answer", "sign", "yes"), ("result", "fix_b", "worked")], "fix_b")
    b_no = exported(tiny, [("answer", "sign", "no"), ("result", "fix_b", "worked")], "fix_b")
    p = learn(tiny, tmp_path, [a] * 10, "--weight", "1", "--dry-run")
    assert likelihoods(p.stdout) == {("cause_a", "sign"): "yes 0.80 -> 0.99, no 0.20 -> 0.01"}
    p = learn(tiny, tmp_path, [a] * 10 + [b_yes] + [b_no] * 4, "--weight", "1", "--dry-run")
    assert priors(p.stdout)["cause_b"][2] == 5.0
    assert likelihoods(p.stdout) == {}


def test_test_plays_the_knowledge_tests_before_and_after_and_writes_nothing_when_a_file_is_missing(tiny, tmp_path):
    # 25 sessions of cause_a with no answer, weight 1: its prior goes 0.5 -> 0.981. Given
    # sign=no, cause_b was first (0.5 x 0.8 against 0.5 x 0.2) and now is not
    # (0.019 x 0.8 against 0.981 x 0.2): the top case fails. The whole session of
    # cause_b costs more: the fixes of cause_a come first now.
    cases = tmp_path / "cases.jsonl"
    cases.write_text("# two cases\n"
                     + json.dumps({"id": "no-means-b", "given": {"sign": "no"}, "top": "cause_b"}) + "\n"
                     + json.dumps({"id": "yes-means-a", "given": {"sign": "yes"}, "top": "cause_a"}) + "\n"
                     + json.dumps({"id": "b-whole", "cause": "cause_b", "facts": {"sign": "no"}}) + "\n"
                     + "{not json\n")
    s = exported(tiny, [("result", "fix_a", "worked")], "fix_a")
    p = learn(tiny, tmp_path, [s] * 25, "--weight", "1", "--dry-run", "--test", str(cases))
    assert p.returncode == 0, p.stderr
    report = p.stdout.split("knowledge tests, before -> after learning:\n")[1]
    assert report.startswith("  passed: 3 -> 2 of 4 cases\n  whole sessions: mean effort ")
    assert "  failing both ways, not a case:\n    %s:5: not a JSON case: " % cases in report
    assert "  now failing:\n    %s:2 no-means-b: top cause_a (" % cases in report
    # fix_ab, the cheapest, resolves both causes: the whole session costs one fix either way.
    assert "  whole sessions: mean effort 3.00 -> 3.00, resolved 1 -> 1 of 1\n" in report
    assert "now passing" not in report and "costing" not in report
    assert p.stdout.endswith("--dry-run: 2 changes proposed, nothing written.\n")
    # The same sessions learned into a file, with a case file that is not there: refused
    # before anything is written.
    out = tmp_path / "learned.sqlite"
    p = learn(tiny, tmp_path, [s] * 25, "--weight", "1", "--test", str(tmp_path / "nope.jsonl"), "-o", str(out))
    assert p.returncode == 1
    assert p.stderr == "triage: kb learn --test: %s: cannot open; nothing written\n" % (tmp_path / "nope.jsonl")
    assert not out.exists()


def test_test_on_the_rdp_knowledge_base_agrees_with_kb_test_and_names_the_dearer_sessions(tmp_path):
    # 300 sessions resolved by waking the host, the knowledge base worth one session:
    # host_unreachable becomes nearly every ticket, so the project's whole-session cases
    # of other causes try waking the host first. "Before" must be what kb test says.
    digest = re.search(r"digest (\w+)", triage("--kb", KB, "--version").stdout).group(1)
    version = re.search(r"version (\S+),", triage("--kb", KB, "--version").stdout).group(1)
    line = json.dumps({"format": "triage-session", "version": 1, "session": 1, "created": "2026-12-01T10:00:00Z",
                       "ended": "2026-12-01T10:05:00Z", "kb": {"id": "rdp_0x904", "version": version, "digest": digest},
                       "checksums": None, "status": "resolved", "ending": "fixed", "fix": "wake_or_power_on_host",
                       "events": [{"kind": "result", "subject": "wake_or_power_on_host", "value": "worked"}]})
    f = tmp_path / "sessions.jsonl"
    f.write_text((line + "\n") * 300)
    cases = str(ROOT / "tests" / "cases" / "sessions.jsonl")
    plain = triage("--kb", KB, "kb", "test", cases)
    sessions, effort = re.search(r"sessions: (\d+), mean steps [\d.]+, mean effort ([\d.]+)", plain.stdout).groups()
    p = triage("--kb", KB, "kb", "learn", str(f), "--weight", "1", "--dry-run", "--test", cases)
    assert p.returncode == 0, p.stderr
    m = re.search(r"  whole sessions: mean effort ([\d.]+) -> ([\d.]+), resolved (\d+) -> (\d+) of (\d+)\n", p.stdout)
    assert m and m.group(1) == effort and m.group(5) == sessions
    assert float(m.group(2)) > float(m.group(1))
    section = re.search(r"  costing more:\n((?:    .*\n)+)", p.stdout).group(1)
    dearer = re.findall(r"^    %s:\d+ ([\w-]+): effort (\d+) -> (\d+)$" % re.escape(cases), section, re.M)
    assert len(dearer) == section.count("\n")
    assert dearer and all(int(b) > int(a) for _, a, b in dearer)
    assert "host-off-nothing-on-host-known" not in [d[0] for d in dearer]   # that one is the host's
    # Priors are relative weights kept at the knowledge base's total, but none past its
    # bound: host_unreachable's would be 0.97 x that total (over 1); it is 1, the rest in scale.
    assert "The knowledge base's numbers count as 1 session; " in p.stdout
    assert re.search(r"^  host_unreachable +0\.070 -> 1\.000  \(300\.0\)$", p.stdout, re.M)
    out = tmp_path / "learned.sqlite"
    assert triage("--kb", KB, "kb", "learn", str(f), "--weight", "1", "-o", str(out)).returncode == 0
    learned = {c["id"]: c["prior"] for c in json.loads(triage("--kb", str(out), "kb", "list", "causes", "--json").stdout)}
    assert learned["host_unreachable"] == 1.0 and all(0.001 <= p < 0.01 for c, p in learned.items() if c != "host_unreachable")


def test_likelihoods_stay_inside_the_knowledge_bases_bounds(tiny, tmp_path):
    # Weight 0: the estimate alone would make P(no | a) = 0; it stays at 0.01.
    s = exported(tiny, [("answer", "sign", "yes"), ("result", "fix_a", "worked")], "fix_a")
    p = learn(tiny, tmp_path, [s] * 20, "--weight", "0", "--dry-run")
    assert likelihoods(p.stdout)[("cause_a", "sign")] == "yes 0.80 -> 0.99, no 0.20 -> 0.01"


@pytest.mark.parametrize("n, expected", [(10, 0.545), (100, 0.75), (1000, 0.955)])
def test_n_sessions_against_the_default_weight_move_a_prior_n_over_n_plus_100_of_the_way(tiny, tmp_path, n, expected):
    # (100 x 0.5 + n) / (100 + n): ten sessions barely move it, a thousand nearly all the way.
    s = exported(tiny, [("result", "fix_a", "worked")], "fix_a")
    p = learn(tiny, tmp_path, [s] * n, "--dry-run")
    assert p.stdout.count("The knowledge base's numbers count as 100 sessions")
    assert priors(p.stdout)["cause_a"] == (0.5, expected, float(n))


def test_a_session_whose_answers_contradict_its_resolved_cause_moves_little(tiny, tmp_path):
    # fix_a resolves cause_a alone, yet the answer (sign=no) points to cause_b:
    # P(yes | a) = (50 x 0.8 + 0) / (50 + 1) = 0.784, less than the smallest
    # move proposed (0.03); the prior moves from 0.5 to 51/101 = 0.505.
    s = exported(tiny, [("answer", "sign", "no"), ("result", "fix_a", "worked")], "fix_a")
    p = learn(tiny, tmp_path, [s], "--dry-run")
    assert priors(p.stdout) == {"cause_a": (0.5, 0.505, 1.0), "cause_b": (0.5, 0.495, 0.0)}
    assert likelihoods(p.stdout) == {}


def test_unknown_answers_and_failed_fixes_count_as_the_engine_counts_them(tiny, tmp_path):
    # sign unknown carries nothing; fix_b failed rules cause_b out (it resolves
    # b for sure), so fix_ab's success is all cause_a's: prior (0.5 + 1) / 2 = 0.75.
    s = exported(tiny, [("answer", "sign", "unknown"), ("result", "fix_b", "failed"),
                        ("result", "fix_ab", "worked")], "fix_ab")
    p = learn(tiny, tmp_path, [s], "--weight", "1", "--dry-run")
    assert priors(p.stdout) == {"cause_a": (0.5, 0.75, 1.0), "cause_b": (0.5, 0.25, 0.0)}
    assert likelihoods(p.stdout) == {}


def test_an_unresolved_session_counts_by_its_posterior_given_the_fixes_that_failed(tiny, tmp_path):
    # Abandoned after fix_a failed (it resolves cause_a for sure): only cause_b
    # fits. Weight 1: prior b = (0.5 + 1) / 2 = 0.75; P(yes | b) with
    # b's likelihoods worth 0.5 sessions: (0.5 x 0.2 + 1) / 1.5 = 0.733.
    s = exported(tiny, [("answer", "sign", "yes"), ("result", "fix_a", "failed")], ending="abandoned")
    p = learn(tiny, tmp_path, [s], "--weight", "1", "--dry-run")
    assert "0 resolved by a fix of the knowledge base and 1 unresolved (used)" in p.stdout
    assert priors(p.stdout) == {"cause_a": (0.5, 0.25, 0.0), "cause_b": (0.5, 0.75, 1.0)}
    assert likelihoods(p.stdout) == {}    # 0.2 -> 0.73 from one session: within its error
    # ten such: prior (0.5 + 10) / 11 = 0.955, P(yes | b) = (0.5 x 0.2 + 10) / 10.5 = 0.962
    p = learn(tiny, tmp_path, [s] * 10, "--weight", "1", "--dry-run")
    assert priors(p.stdout)["cause_b"] == (0.5, 0.955, 10.0)
    assert likelihoods(p.stdout) == {("cause_b", "sign"): "yes 0.20 -> 0.96, no 0.80 -> 0.04"}


def test_learning_is_deterministic(tiny, tmp_path):
    lines = [exported(tiny, [("answer", "sign", v), ("result", "fix_ab", "worked")], "fix_ab", sid=i)
             for i, v in enumerate(["yes", "no", "yes", "yes", "unknown"] * 7)]
    runs = [learn(tiny, tmp_path, lines, "--weight", "3", "--dry-run").stdout for _ in range(2)]
    assert runs[0] == runs[1] and "EM iteration" in runs[0]
    trees = []
    for k in range(2):
        out = tmp_path / ("tree%d" % k)
        out.mkdir()
        assert learn(tiny, tmp_path, lines, "--weight", "3", "-o", str(out)).returncode == 0
        trees.append({p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*.json"))})
    assert trees[0] == trees[1]


# ---- other versions of the knowledge base ----

def test_sessions_on_another_version_count_only_with_unchanged_records(tiny, tmp_path):
    s = [("answer", "sign", "yes"), ("result", "fix_a", "worked")]
    sums = json.loads(export_one(tiny, tmp_path))["checksums"]
    assert set(sums) == {"fact", "fix"} and set(sums["fact"]) == {"sign"}
    old = "0123456789abcdef"
    lines = [exported(tiny, s, "fix_a", digest=old, checksums=None, sid=1)]                      # no checksums
    lines += [exported(tiny, s, "fix_a", digest=old, checksums=sums, sid=2)] * 39                # all unchanged
    lines += [exported(tiny, s, "fix_a", digest=old, sid=3,
                      checksums={"fact": {"sign": old}, "fix": sums["fix"]}),                      # sign changed
             exported(tiny, s, "fix_a", digest=old, sid=4,
                      checksums={"fact": sums["fact"], "fix": {"fix_a": old}}),                    # its fix changed
             exported(tiny, s, "fix_a", sid=5).replace('"id": "tiny"', '"id": "other"')]           # another kb
    p = learn(tiny, tmp_path, lines, "--weight", "1", "--dry-run")
    assert ("43 sessions from 1 file: 40 resolved by a fix of the knowledge base and 0 unresolved (used), "
            "0 resolved outside it, 1 on another knowledge base (not used), 1 on another version without "
            "checksums (not used), 1 whose working fix changed since (not used); 1 event not counted "
            "(a fact or fix that changed or is gone).") in p.stdout
    # 40 sessions for cause_a, 39 of them with sign=yes (one's sign changed):
    # (0.5 x 0.8 + 39) / (0.5 + 39) = 0.997 -> 0.99; prior (0.5 + 40) / 41 = 0.988
    assert likelihoods(p.stdout)[("cause_a", "sign")] == "yes 0.80 -> 0.99, no 0.20 -> 0.01"
    assert priors(p.stdout)["cause_a"] == (0.5, 0.988, 40.0)


def export_one(tiny, tmp_path):
    """A real session on the tiny knowledge base, exported: sign=yes, fix_a worked."""
    env = dict(os.environ, TRIAGE_SESSIONS=str(tmp_path / "one.sqlite"))
    drive(tiny, env, ["sign=yes"], lambda m: {"result": "worked" if m.get("fix") == "fix_a" else "failed"})
    out = triage("--kb", tiny["kb"], "sessions", "export", env=env).stdout.splitlines()
    assert len(out) == 1
    return out[0]


def drive(tiny, env, facts, reply, title=None):
    """A JSON Lines session on tiny: replies from reply(message) until done."""
    argv = [BIN, "--kb", tiny["kb"], "session", "--jsonl"] + [a for f in facts for a in ("--fact", f)]
    if title:
        argv += ["--title", title]
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    last = None
    for line in p.stdout:
        m = json.loads(line)
        if m["type"] in ("question", "recommend"):
            r = reply(m)
            p.stdin.write(json.dumps(r) + "\n")
            p.stdin.flush()
        last = m
    p.wait()
    return last


# ---- session endings ----

def test_a_worked_fix_ends_the_session_fixed_and_back_takes_it_away(tiny, tmp_path):
    env = dict(os.environ, TRIAGE_SESSIONS=str(tmp_path / "s.sqlite"))
    done = drive(tiny, env, ["sign=yes"], lambda m: {"answer": "unknown"} if m["type"] == "question" else {"result": "worked"})
    assert done == {"type": "done", "status": "resolved"}
    show = json.loads(triage("sessions", "show", "1", "--json", "--kb", tiny["kb"], env=env).stdout)
    assert (show["ending"], show["ending_fix"]) == ("fixed", "fix_ab")
    assert show["ended"]
    p = triage("--kb", tiny["kb"], "ask", "--resume", "1", input="back\nquit\n", env=env)
    assert "Undone" in p.stdout or "undone" in p.stdout, p.stdout
    show = json.loads(triage("sessions", "show", "1", "--json", "--kb", tiny["kb"], env=env).stdout)
    assert (show["ending"], show["ending_fix"], show["ended"]) == ("", "", "")


def test_json_lines_end_records_an_ending_and_refuses_bad_ones(tiny, tmp_path):
    env = dict(os.environ, TRIAGE_SESSIONS=str(tmp_path / "s.sqlite"))
    lines = ['{"result":"failed"}', '{"command":"end","ending":"fixed"}', '{"command":"end","ending":"outside"}',
             '{"command":"end"}', '{"command":"end","ending":"gone"}', '{"command":"end","ending":"outside","note":7}',
             '{"command":"end","ending":"outside","note":"replaced the cable"}']
    p = triage("--kb", tiny["kb"], "session", "--jsonl", "--fact", "sign=yes", input="\n".join(lines) + "\n", env=env)
    out = [json.loads(l) for l in p.stdout.splitlines()]
    assert [m["message"] for m in out if m["type"] == "error"] == [
        'a fix that worked is reported as {"result":"worked"}, not as an ending',
        'ending "outside" needs a "note" saying what fixed it',
        '"end" needs "ending": outside, abandoned or handover',
        "unknown ending 'gone' (outside, abandoned or handover)",
        '"note" must be a string']
    assert out[-1] == {"type": "done", "status": "quit", "ending": "outside"}
    show = triage("sessions", "show", "1", "--kb", tiny["kb"], env=env).stdout
    assert re.search(r"  ending: outside: replaced the cable \(\d{4}-", show)


def test_sessions_end_sets_an_ending_from_the_command_line(tiny, tmp_path):
    env = dict(os.environ, TRIAGE_SESSIONS=str(tmp_path / "s.sqlite"))
    triage("--kb", tiny["kb"], "session", "--jsonl", "--fact", "sign=yes", input="", env=env)
    assert triage("sessions", "end", "1", "abandoned", env=env).stdout == "Session 1 ended: abandoned.\n"
    for args, msg in [(["1", "outside"], "sessions end: outside needs --note saying what fixed it"),
                      (["1", "fixed"], "sessions end: a fix that worked is recorded when it is reported worked; "
                                       "outside --note TEXT says what else fixed it"),
                      (["1", "later"], "sessions end: unknown ending 'later' (outside, abandoned or handover)"),
                      (["x", "abandoned"], "sessions end: 'x' is not a session ID"),
                      (["1"], "sessions end: name the session and how it ended (outside, abandoned or handover)")]:
        p = triage("sessions", "end", *args, env=env)
        assert (p.returncode, p.stderr.splitlines()[0]) == (2, "triage: %s" % msg)
    p = triage("sessions", "end", "9", "abandoned", env=env)
    assert (p.returncode, p.stderr) == (1, "triage: no saved session 9\n")


def test_the_shell_end_command_in_a_pipe(tiny, tmp_path):
    env = dict(os.environ, TRIAGE_SESSIONS=str(tmp_path / "s.sqlite"))
    p = triage("--kb", tiny["kb"], "ask", "--fact", "sign=yes",
               input="end\nend fixed\nend outside\nend out rebooted the switch\nquit\n", env=env)
    p.stdout = re.sub(r"\s*\n\s+", " ", p.stdout + p.stderr)   # errors, and lines wrapped at the width, joined
    assert "error: end takes outside TEXT, abandoned or handover (this session: no ending yet)" in p.stdout
    assert "error: a fix of the knowledge base that worked is recorded by answering worked to it; " \
           "end outside TEXT says what else fixed it" in p.stdout
    assert "error: end outside needs a few words on what fixed it, for example end outside replaced " \
           "the network cable" in p.stdout
    assert "Session 1 ended: outside: rebooted the switch. It stays saved; quit leaves." in p.stdout
    assert "How did this session end?" not in p.stdout      # a pipe is never asked
    show = json.loads(triage("sessions", "show", "1", "--json", "--kb", tiny["kb"], env=env).stdout)
    assert (show["ending"], show["ending_note"]) == ("outside", "rebooted the switch")


def test_the_shell_asks_once_for_the_ending_at_quit(tiny, tmp_path):
    env = dict(os.environ, TRIAGE_SESSIONS=str(tmp_path / "s.sqlite"), TERM="xterm", NO_COLOR="1")
    sh = pexpect.spawn(BIN, ["--kb", tiny["kb"], "ask", "--fact", "sign=yes"], env=env, encoding="utf-8",
                       timeout=20, dimensions=(40, 200))
    sh.expect(r"worked/failed/skip\? ")
    sh.send("failed\r")
    sh.expect(r"\? ")
    sh.send("quit\r")
    sh.expect("How did this session end\\?")
    sh.expect("ending\\? ")
    sh.send("abandoned\r")
    sh.expect(pexpect.EOF)
    sh.close()
    assert sh.exitstatus == 0
    show = json.loads(triage("sessions", "show", "1", "--json", "--kb", tiny["kb"], env=env).stdout)
    assert show["ending"] == "abandoned"
    # resumed and left with Enter: the ending stays
    sh = pexpect.spawn(BIN, ["--kb", tiny["kb"], "ask", "--resume", "1"], env=env, encoding="utf-8", timeout=20)
    sh.expect(r"\? ")
    sh.send("quit\r")
    sh.expect(pexpect.EOF)
    assert "How did this session end" not in sh.before


# ---- export ----

def test_export_leaves_out_free_text_unless_keep_text(tiny, tmp_path):
    env = dict(os.environ, TRIAGE_SESSIONS=str(tmp_path / "s.sqlite"))
    triage("--kb", tiny["kb"], "session", "--jsonl", "--fact", "sign=yes", "--fact", "host_name=srv-secret-01",
           "--title", "INC-42 payroll", input='{"command":"end","ending":"outside","note":"fixed the secret vlan"}\n',
           env=env)
    triage("--kb", tiny["kb"], "session", "--jsonl", "--fact", "sign=no", input="", env=env)   # open: not finished
    p = triage("--kb", tiny["kb"], "sessions", "export", env=env)
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 1
    o = json.loads(p.stdout)
    assert "secret" not in p.stdout and "INC-42" not in p.stdout and "payroll" not in p.stdout
    assert o["events"] == [{"kind": "given", "subject": "sign", "value": "yes"}]
    assert (o["left_out"], o["ending"], o["format"], o["version"]) == (1, "outside", "triage-session", 1)
    assert o["kb"] == {"id": "tiny", "version": "1", "digest": tiny["digest"]}
    assert set(o["checksums"]["fact"]) == {"sign"}
    out = tmp_path / "all.jsonl"
    p = triage("--kb", tiny["kb"], "sessions", "export", "--keep-text", "-o", str(out), env=env)
    assert p.stderr == "1 finished session written to %s (with free text)\n" % out
    o = json.loads(out.read_text())
    assert {"kind": "given", "subject": "host_name", "value": "srv-secret-01"} in o["events"]
    assert (o["note"], o["title"]) == ("fixed the secret vlan", "INC-42 payroll")


def test_export_since_and_its_errors(tiny, tmp_path):
    env = dict(os.environ, TRIAGE_SESSIONS=str(tmp_path / "s.sqlite"))
    triage("--kb", tiny["kb"], "session", "--jsonl", input='{"command":"end","ending":"abandoned"}\n', env=env)
    drive(tiny, env, ["sign=yes"], lambda m: {"result": "worked"} if m["type"] == "recommend" else {"answer": "yes"})
    assert len(triage("--kb", tiny["kb"], "sessions", "export", "--since", "2000-01-01", env=env).stdout.splitlines()) == 1
    assert triage("--kb", tiny["kb"], "sessions", "export", "--since", "2999-01-01", env=env).stdout == ""
    p = triage("--kb", tiny["kb"], "sessions", "export", "--since", "yesterday", env=env)
    assert (p.returncode, p.stderr.splitlines()[0]) == (2, "triage: sessions export: --since takes a date (YYYY-MM-DD), not 'yesterday'")
    p = triage("--kb", tiny["kb"], "sessions", "export", "--all", env=env)
    assert (p.returncode, p.stderr.splitlines()[0]) == (2, "triage: sessions export: unexpected argument '--all'")


# ---- applying, candidates, errors ----

def test_the_learned_tree_and_file_say_what_changed_and_build(tiny, tmp_path):
    s = exported(tiny, [("answer", "sign", "yes"), ("result", "fix_a", "worked")], "fix_a")
    tree = tmp_path / "tree"
    tree.mkdir()
    p = learn(tiny, tmp_path, [s] * 25, "--weight", "1", "-o", str(tree))
    assert p.returncode == 0, p.stderr
    assert "replaced %s/kb/causes/cause_a.json" % tree in p.stdout
    a = json.loads((tree / "kb/causes/cause_a.json").read_text())
    assert a["prior"] == 0.981
    assert a["prior_why"] == "Even. (kb learn: was 0.5; from 25 sessions, the knowledge base counting as 1)"
    assert a["evidence"][0]["p"] == {"yes": 0.99, "no": 0.01}
    assert a["evidence"][0]["why"] == "By hand. (kb learn: was yes 0.8, no 0.2; from 25 sessions, the knowledge base counting as 1)"
    kb2 = tmp_path / "learned.sqlite"
    p = learn(tiny, tmp_path, [s] * 25, "--weight", "1", "-o", str(kb2))
    assert p.stdout.endswith("wrote %s: 3 changes\n" % kb2)
    assert triage("--kb", str(kb2), "kb", "check").returncode == 0
    shown = json.loads(triage("--kb", str(kb2), "kb", "show", "cause_a", "--json").stdout)
    assert shown["prior"] == 0.981
    # a second learning replaces the note of the first
    p = triage("--kb", str(kb2), "kb", "learn", str(tmp_path / "sessions.jsonl"), "--weight", "1", "-o", str(tmp_path / "again.sqlite"))
    again = json.loads(triage("--kb", str(tmp_path / "again.sqlite"), "kb", "show", "cause_a", "--json").stdout)
    assert again["prior_why"].count("kb learn") == 1
    # one session is one session: (1 x 0.5 + 1) / 2 = 0.75
    one = tmp_path / "one.sqlite"
    assert learn(tiny, tmp_path, [s], "--weight", "1", "-o", str(one)).returncode == 0
    shown = json.loads(triage("--kb", str(one), "kb", "show", "cause_a", "--json").stdout)
    assert shown["prior"] == 0.75
    assert shown["prior_why"] == "Even. (kb learn: was 0.5; from 1 session, the knowledge base counting as 1)"


def test_apply_is_one_recorded_change_that_kb_revert_undoes(tiny, tmp_path):
    kb = tmp_path / "live.sqlite"
    shutil.copy(tiny["kb"], kb)
    s = exported(tiny, [("answer", "sign", "yes"), ("result", "fix_a", "worked")], "fix_a")
    f = tmp_path / "sessions.jsonl"
    f.write_text("\n".join([s] * 25) + "\n")
    env = dict(os.environ, TRIAGE_EDITOR="alice")
    dry = triage("--kb", str(kb), "kb", "learn", str(f), "--weight", "1", "--apply", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "changes cause cause_a\n  prior: 0.5 -> 0.981\n" in dry.stdout
    assert "dry run: the change passes every check of kb build; nothing written" in dry.stdout
    assert json.loads(triage("--kb", str(kb), "kb", "log", "--json").stdout) == []
    p = triage("--kb", str(kb), "kb", "learn", str(f), "--weight", "1", "--apply", "-m", "a month of INC tickets",
               env=env)
    assert p.returncode == 0, p.stderr
    assert "changes cause cause_a\n  prior: 0.5 -> 0.981\n" in p.stdout and "\nchange 1: version 1+1\n" in p.stdout
    log = json.loads(triage("--kb", str(kb), "kb", "log", "--json").stdout)
    assert [(c["op"], c["who"], c["message"]) for c in log] == [("edit", "alice", "a month of INC tickets")]
    assert sorted(r["id"] for r in log[0]["records"]) == ["cause_a", "cause_b"]
    shown = json.loads(triage("--kb", str(kb), "kb", "show", "cause_a", "--json").stdout)
    assert shown["prior"] == 0.981 and shown["evidence"][0]["p"] == {"yes": 0.99, "no": 0.01}
    assert triage("--kb", str(kb), "kb", "check").returncode == 0
    assert triage("--kb", str(kb), "kb", "revert", "1", env=env).returncode == 0
    assert json.loads(triage("--kb", str(kb), "kb", "show", "cause_a", "--json").stdout)["prior"] == 0.5


def test_a_tree_with_edits_is_not_overwritten(tiny, tmp_path):
    tree = tmp_path / "tree"
    assert triage("--kb", tiny["kb"], "kb", "dump", str(tree)).returncode == 0
    (tree / "kb/causes/cause_b.json").write_text((tree / "kb/causes/cause_b.json").read_text().replace("Even.", "Edited."))
    s = exported(tiny, [("result", "fix_a", "worked")], "fix_a")
    p = learn(tiny, tmp_path, [s] * 5, "-o", str(tree))
    assert p.returncode == 1 and "holds edits the knowledge base does not have" in p.stderr
    assert "Edited." in (tree / "kb/causes/cause_b.json").read_text()
    assert json.loads((tree / "kb/causes/cause_a.json").read_text())["prior"] == 0.5


def test_sessions_resolved_outside_are_grouped_as_candidate_causes(tiny, tmp_path):
    lines = [exported(tiny, [("answer", "sign", "no")], ending="outside", sid=i, note=n)
             for i, n in enumerate(["replaced the switch port", "switch port replaced", "new switch port",
                                    "reinstalled the printer driver"], 1)]
    p = learn(tiny, tmp_path, lines, "--dry-run")
    assert ("candidate new causes: 4 sessions resolved outside the knowledge base, grouped by their answers "
            "and notes:\n  3 sessions (1, 2, 3); most of them answered: sign=no; a note: replaced the switch port\n"
            "  and 1 session like no other\n") in p.stdout
    assert "No change proposed: the sessions agree with the knowledge base." in p.stdout
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "no-means-b", "given": {"sign": "no"}, "top": "cause_b"}) + "\n")
    p = learn(tiny, tmp_path, lines, "--dry-run", "--test", str(cases))
    assert p.returncode == 0 and "\nknowledge tests: nothing to compare, no change is proposed.\n" in p.stdout


@pytest.mark.parametrize("args, code, msg", [
    ([], 2, "kb learn: name the exported sessions (triage sessions export -o FILE)"),
    (["S"], 2, "kb learn: say where the learned knowledge base goes (-o FILE or -o DIR, or --apply to change "
               "this one), or --dry-run"),
    (["S", "-o", "X", "--apply"], 2, "kb learn: -o writes a new knowledge base, --apply changes this one: choose one"),
    (["S", "-m", "why", "--dry-run"], 2, "kb learn: -m is for --apply (the history's message)"),
    (["S", "--weight", "-1", "--dry-run"], 2, "kb learn: --weight takes a number of sessions (0 or more), not '-1'"),
    (["S", "--weight", "lots", "--dry-run"], 2, "kb learn: --weight takes a number of sessions (0 or more), not 'lots'"),
    (["S", "--fast"], 2, "kb learn: unexpected option '--fast'"),
    (["S", "-o", "KB"], 1, "kb learn: KB exists; write the learned knowledge base to a new file, or to a directory for its text tree"),
    (["NONE", "--dry-run"], 1, "NONE: No such file or directory"),
])
def test_kb_learn_errors(tiny, tmp_path, args, code, msg):
    f = tmp_path / "s.jsonl"
    f.write_text(exported(tiny, [("result", "fix_a", "worked")], "fix_a") + "\n")
    subst = {"S": str(f), "KB": tiny["kb"], "NONE": str(tmp_path / "none.jsonl")}
    p = triage("--kb", tiny["kb"], "kb", "learn", *[subst.get(a, a) for a in args])
    assert (p.returncode, p.stderr.splitlines()[0]) == (code, "triage: %s" % "".join(subst.get(w, w) for w in re.split(r"\b(S|KB|NONE)\b", msg)))


@pytest.mark.parametrize("line, msg", [
    ("{not json", "line 2: not JSON: "),
    ('{"format":"csv"}', 'line 2: not an exported session ("format" is not "triage-session"; make it with triage sessions export)'),
    ('{"format":"triage-session","version":2}', "line 2: exported session version 2; this triage reads version 1"),
    ('{"format":"triage-session","version":1,"kb":{}}', "line 2: not an exported session (kb, events, status, ending, checksums)"),
])
def test_a_bad_line_is_named_with_its_file_and_line(tiny, tmp_path, line, msg):
    f = tmp_path / "s.jsonl"
    f.write_text(exported(tiny, [("result", "fix_a", "worked")], "fix_a") + "\n" + line + "\n")
    p = triage("--kb", tiny["kb"], "kb", "learn", str(f), "--dry-run")
    assert p.returncode == 1 and p.stderr.startswith("triage: %s %s" % (f, msg)), p.stderr
    assert p.stdout == ""
