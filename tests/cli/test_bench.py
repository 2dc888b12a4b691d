"""test_bench.py: the benchmark's knowledge bases work (issue 9).

- CLIPS's own diagnosis expert system, auto.clp, ported to tests/bench/auto:
  every path through auto.clp's questions (found by driving CLIPS with
  scripted answers) ends at the same repair in triage.
- The generator's `small` size is valid for `kb build`, and a session on it
  opens and answers a question with no rule error.
No timings are asserted (speed is `make bench`); the deadlines only stop a hang.
Run: TRIAGE_BIN=... python3 -m pytest tests/cli/test_bench.py
"""
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
sys.path.insert(0, str(ROOT / "tests" / "bench"))
import auto_replay  # noqa: E402
import gen_kb  # noqa: E402

# Only against a hang. Today's engine (before issue 9's work) needs 1-4
# minutes for the small size's first action and one step on a loaded 2-core
# machine, and more than 15 under `make asan`; the targets make it
# well under a second.
SMALL_DEADLINE = 3600


def test_auto_clp_every_path_reaches_its_repair(tmp_path):
    try:
        paths, results = auto_replay.run(BIN, str(tmp_path))
    except auto_replay.ClipsMissing as e:
        pytest.fail(str(e))
    # auto.clp has 15 answer paths; together they end at all 11 of its repairs
    assert len(paths) == 15
    assert {p["repair"] for p in paths} == set(auto_replay.REPAIRS)
    for p, r in zip(paths, results):
        assert r["reached"], "path %s: triage ended %s after fixes %s, not at %r" % (
            p["answers"], r["end"], r["wrong_fixes"], p["repair"])
        # the session ends resolved once the path's repair is reported to work
        assert r["end"] == "done:resolved"


def test_auto_port_asks_only_where_auto_clp_would(tmp_path):
    """At the start only auto.clp's first question can be asked: the rules
    gate every other one on auto.clp's preconditions."""
    kb = auto_replay.build_port(BIN, str(tmp_path))
    out = subprocess.run([BIN, "--kb", kb, "diagnose", "--json"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    nxt = json.loads(out.stdout)["next"]
    assert nxt["type"] == "question" and nxt["fact"] == "engine_starts"
    out = subprocess.run([BIN, "--kb", kb, "diagnose", "--json", "--fact", "engine_starts=no"],
                         capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout)["next"]["fact"] == "engine_rotates"


def test_generator_is_deterministic_and_acyclic(tmp_path):
    """Same arguments, same bytes; every rule that derives or hides a fact
    reads only facts before it in id order (so derivations cannot cycle)."""
    sizes = (20, 40, 25, 120, 300)
    gen_kb.generate(str(tmp_path / "a"), *sizes, seed=7)
    gen_kb.generate(str(tmp_path / "b"), *sizes, seed=7)
    files = sorted(str(p.relative_to(tmp_path / "a")) for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 20 + 40 + 25 + 300 + 5   # + kb.json, sources.json, bench.json, clips/*
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    kinds = {"scale": 0, "derive": 0, "hide": 0}
    for lua in (tmp_path / "a" / "rules").glob("*.lua"):
        text = lua.read_text()
        reads = re.search(r"^reads = \{(.*)\}$", text, re.M).group(1).replace('"', "").split(", ")
        assert 1 <= len(reads) <= 2
        act = re.search(r"^    (scale|derive|hide)\(\"(\w+)\"", text, re.M)
        kinds[act.group(1)] += 1
        if act.group(1) != "scale":
            assert all(r < act.group(2) for r in reads), lua.name
    assert all(kinds.values()), kinds


def test_generated_small_builds_and_answers(tmp_path):
    tree = tmp_path / "small"
    gen_kb.generate(str(tree), *gen_kb.SIZES["small"], seed=1, size="small")
    man = json.loads((tree / "bench.json").read_text())
    assert man["counts"] == dict(zip(("causes", "facts", "fixes", "evidence", "rules"), gen_kb.SIZES["small"]))
    kb = tmp_path / "small.sqlite"
    out = subprocess.run([BIN, "kb", "build", "-o", str(kb), str(tree)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    listed = subprocess.run([BIN, "--kb", str(kb), "kb", "list", "rules"], capture_output=True, text=True, timeout=300)
    assert len(listed.stdout.splitlines()) == 1000
    # every record comes back from the built file as generated (same JSON values)
    out = subprocess.run([BIN, "--kb", str(kb), "kb", "dump", str(tmp_path / "dump")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    for f in sorted(tree.glob("kb/**/*.json")):
        again = tmp_path / "dump" / f.relative_to(tree)
        assert json.loads(f.read_text()) == json.loads(again.read_text()), f
    for f in sorted(tree.glob("rules/*.lua")):
        assert f.read_text() == (tmp_path / "dump" / f.relative_to(tree)).read_text(), f
    # a session: the first action, then one question answered (as a user whose
    # problem is the manifest's first true cause would) and the next action
    p = subprocess.Popen([BIN, "--kb", str(kb), "session", "--jsonl"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(SMALL_DEADLINE, p.kill)
    watchdog.start()

    def action():
        while True:
            line = p.stdout.readline()
            assert line, "the session ended early (or was stopped after %d s)" % SMALL_DEADLINE
            msg = json.loads(line)
            if msg["type"] != "ranking":
                return msg

    try:
        first = action()
        if first["type"] == "recommend":      # not the case with seed 1; kept so the test says why
            pytest.fail("the small knowledge base's first action is a fix, not a question: %s" % first["fix"])
        assert first["type"] == "question" and first["fact"] in man["facts"]
        values = man["facts"][first["fact"]][0]
        assert first["choices"] == values
        p.stdin.write(json.dumps({"answer": values[0]}) + "\n")
        p.stdin.flush()
        second = action()
        assert second["type"] in ("question", "recommend")
        if second["type"] == "question":
            assert second["fact"] != first["fact"]
        p.stdin.write('{"command":"quit"}\n')
        p.stdin.flush()
        done = action()
        assert (done["type"], done["status"]) == ("done", "quit")
        _, err = p.communicate(timeout=SMALL_DEADLINE)
    finally:
        watchdog.cancel()
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 0
    assert err == "", "a generated rule erred: " + err
