"""test_includes.py: a fix whose steps carry out another fix's procedure
says so ("includes"): kb build's checks, the text round trip, and what a
session does with it. When the including fix fails, the included one counts
as tried (never offered again) and adds no evidence of its own; the
including fix addresses what the included one does, at least as likely; and
once the included fix has failed, the including one is weighed only by
what it adds. Worked on tiny knowledge bases with numbers checked by hand.
Run: TRIAGE_BIN=... python3 -m pytest tests/cli/test_includes.py
"""
import json
import os
import subprocess

import pytest

from kbmaker import BIN, cause, fix, make, write


def run(*args, stdin=None, env=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60, input=stdin, env=e)


def two_causes(tmp_path, big_cost=2, small_cost=1.5, name="tiny"):
    """c1, c2 equally likely; big resolves c1 (0.9) and carries out small,
    which resolves c2 (0.8)."""
    return make(tmp_path, [], [cause("c1"), cause("c2")],
                [fix("big", [("c1", 0.9)], cost=big_cost, includes=["small"]),
                 fix("small", [("c2", 0.8)], cost=small_cost)], name=name)


class Session:
    def __init__(self, kb, env=None):
        self.p = subprocess.Popen([BIN, "--kb", kb, "session", "--jsonl"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=dict(os.environ, **(env or {})))

    def read(self):
        """The ranking and the action (or done) that follow."""
        ranking = json.loads(self.p.stdout.readline())
        assert ranking["type"] == "ranking"
        return {c["id"]: c["p"] for c in ranking["causes"]}, json.loads(self.p.stdout.readline())

    def send(self, msg):
        self.p.stdin.write(json.dumps(msg) + "\n")
        self.p.stdin.flush()
        return self.read()

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


@pytest.mark.parametrize("includes, message", [
    (["nope"], "fix big: includes nope, which is not a fix"),
    (["big"], "includes 'big': a fix cannot include itself"),
    (["small", "small"], "includes 'small': named twice"),
    ("small", "'includes' must be a non-empty list of fix ids"),
    ([], "'includes' must be a non-empty list of fix ids"),
    ([7], "includes item 1 must be a fix id"),
])
def test_build_refuses_a_bad_includes_naming_it(tmp_path, includes, message):
    src = tmp_path / "src"
    write(src, [], [cause("c1"), cause("c2")],
          [fix("big", [("c1", 0.9)], includes=includes), fix("small", [("c2", 0.8)])])
    r = run("kb", "build", "-o", str(tmp_path / "out.sqlite"), str(src))
    assert r.returncode != 0
    assert message in r.stderr
    assert not (tmp_path / "out.sqlite").exists()


def test_build_refuses_fixes_that_include_each_other(tmp_path):
    src = tmp_path / "src"
    write(src, [], [cause("c1"), cause("c2"), cause("c3")],
          [fix("a", [("c1", 0.9)], includes=["b"]), fix("b", [("c2", 0.8)], includes=["c"]),
           fix("c", [("c3", 0.8)], includes=["a"])])
    r = run("kb", "build", "-o", str(tmp_path / "out.sqlite"), str(src))
    assert r.returncode != 0
    assert ": includes itself through the fixes it includes" in r.stderr


def test_includes_round_trips_through_the_text_and_kb_show(tmp_path):
    kb = two_causes(tmp_path)
    shown = json.loads(run("--kb", kb, "kb", "show", "big", "--json").stdout)
    assert shown["includes"] == ["small"]
    assert "includes" not in json.loads(run("--kb", kb, "kb", "show", "small", "--json").stdout)
    out = tmp_path / "dump"
    r = run("--kb", kb, "kb", "dump", str(out))
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "kb" / "fixes" / "big.json").read_text())["includes"] == ["small"]
    again = tmp_path / "again.sqlite"
    assert run("kb", "build", "-o", str(again), str(out)).returncode == 0
    assert json.loads(run("--kb", str(again), "kb", "show", "big", "--json").stdout) == shown


def test_the_including_fix_failing_tries_the_included_one_too(tmp_path):
    kb = two_causes(tmp_path)
    s = Session(kb)
    p, act = s.read()
    assert act["type"] == "recommend" and act["fix"] == "big"
    # it addresses what the fix it includes does, and says what it includes
    assert act["causes"] == ["c1", "c2"]
    assert act["includes"] == ["small"]
    p, act = s.send({"result": "failed"})
    # P(c1) ~ 0.5 * (1 - 0.9), P(c2) ~ 0.5 * (1 - 0.8): small is not offered again
    assert p["c1"] == pytest.approx(0.05 / 0.15, abs=1e-9)
    assert p["c2"] == pytest.approx(0.10 / 0.15, abs=1e-9)
    assert act == {"type": "done", "status": "exhausted", **{k: act[k] for k in act if k not in ("type", "status")}}
    s.close()


def test_a_failure_inside_a_failed_fix_is_counted_once(tmp_path):
    # small is cheap enough to come first; big then adds only c1 and what is
    # left of c2 beyond small's 0.8 (nothing): its chance is P(c1) * 0.9
    kb = two_causes(tmp_path, big_cost=20, small_cost=0.2)
    s = Session(kb)
    p, act = s.read()
    assert act["fix"] == "small"
    p, act = s.send({"result": "failed"})
    assert p["c2"] == pytest.approx(0.1 / 0.6, abs=1e-9)
    assert act["fix"] == "big"
    p, act = s.send({"result": "failed"})
    # both failed: c2 ~ 0.5 * 0.2 (small's failure is inside big's), not 0.5 * 0.2 * 0.2
    assert p["c1"] == pytest.approx(0.05 / 0.15, abs=1e-9)
    assert p["c2"] == pytest.approx(0.10 / 0.15, abs=1e-9)
    assert act["type"] == "done"
    s.close()


def test_diagnose_weighs_the_including_fix_by_what_it_adds(tmp_path):
    kb = two_causes(tmp_path)
    d = json.loads(run("--kb", kb, "diagnose", "--json").stdout)
    chance = {x["fix"]: x["p"] for x in d["fixes"]}
    # nothing failed yet: big resolves c1 (0.9) and c2 through small (0.8)
    assert chance["big"] == pytest.approx(0.5 * 0.9 + 0.5 * 0.8, abs=1e-9)
    assert chance["small"] == pytest.approx(0.5 * 0.8, abs=1e-9)


def test_shell_why_names_what_a_fix_includes_and_fixes_lists_it_as_tried(tmp_path):
    kb = two_causes(tmp_path, big_cost=2, small_cost=3)
    r = run("--kb", kb, "ask", stdin="why\nhow c2\nfailed\nfixes\nexport\nhandover\nquit\n",
            env={"TRIAGE_SESSIONS": str(tmp_path / "s.sqlite")})
    assert r.returncode == 0, r.stderr
    out = " ".join(r.stdout.split())
    assert "Its steps include small: tried with it." in out
    assert "resolves c2 with p=0.80 (now 50% likely), through small: it does" in out
    assert "big (resolves it with p=0.80, through small; untried) Fix big" in out
    assert "failed, as part of big: Fix small" in out
    # the session report's "Fixes tried" and the hand-over's "Fixes that failed" both say so
    assert r.stdout.count("1. Fix big (`big`)") == 2
    assert r.stdout.count("\n   - tried with it, its steps include: Fix small (`small`)\n") == 2


def test_guide_names_what_a_fix_includes_and_lists_only_own_fixes_per_cause(tmp_path):
    kb = two_causes(tmp_path)
    r = run("--kb", kb, "export", "guide")
    assert r.returncode == 0, r.stderr
    assert "- **Includes:** the steps of `small` (tried with it)" in r.stdout
    c2 = r.stdout[r.stdout.index("## Cause c2"):]
    c2 = c2[:c2.index("\n## ", 1)] if "\n## " in c2[1:] else c2
    assert "Fix small" in c2 and "Fix big" not in c2


def test_a_cycle_written_behind_kb_builds_back_neither_hangs_nor_loses_a_link(tmp_path):
    import sqlite3
    kb = two_causes(tmp_path)
    db = sqlite3.connect(kb)
    db.execute("INSERT INTO fix_includes VALUES ('small', 0, 'big')")   # small <-> big
    db.commit()
    db.close()
    r = run("--kb", kb, "diagnose", "--json")
    assert r.returncode == 0, r.stderr
    chance = {x["fix"]: x["p"] for x in json.loads(r.stdout)["fixes"]}
    # each now carries out the other: both resolve c1 (0.9) and c2 (0.8)
    assert chance["big"] == pytest.approx(0.85, abs=1e-9)
    assert chance["small"] == pytest.approx(0.85, abs=1e-9)
