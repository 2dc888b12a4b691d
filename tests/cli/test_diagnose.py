"""test_diagnose.py: `triage diagnose`, the one-shot answer: with --json one
object holding the ranking, the next action and the ranked fixes (the same
objects the JSON Lines session sends); as text the same ranking and fix
order for people; bad facts exit 2 with the message and the usage line.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_diagnose.py
"""
import json
import re
import os
import re
import subprocess
from pathlib import Path

import pytest
from kbmaker import addressed

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
FACTS = ["--fact", "host_kind=azure_vm", "--fact", "error_code=0x904"]


def run(*args, columns=None):
    env = dict(os.environ)
    if columns:
        env["COLUMNS"] = str(columns)
    return subprocess.run([BIN, "--kb", KB, *args], capture_output=True, text=True, timeout=30, env=env)


def diagnose_json(*facts):
    r = run("diagnose", *facts, "--json")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return json.loads(r.stdout)


def listed(kind):
    r = run("kb", "list", kind, "--json")
    assert r.returncode == 0
    return {x["id"]: x for x in json.loads(r.stdout)}


def shown_steps(steps, known):
    """A fix's steps as a session shows them: those that may apply to what is
    known, with unfilled slots as <slot>."""
    out = []
    for st in steps:
        text, where = (st, []) if isinstance(st, str) else (st["text"], st["applies"])
        if any(c["fact"] in known and (known[c["fact"]] in c.get("is", c.get("not"))) != ("is" in c)
               for c in where):
            continue
        out.append(re.sub(r"\{\{([a-z0-9_]+)\}\}", r"<\1>", text))
    return out


def test_json_has_ranking_next_and_fixes():
    d = diagnose_json(*FACTS)
    assert set(d) == {"ranking", "next", "fixes"}
    causes = listed("causes")
    ranking = d["ranking"]
    assert [c["id"] for c in ranking] and all(c["id"] in causes for c in ranking)
    assert all(set(c) >= {"id", "p", "title"} for c in ranking)
    assert abs(sum(c["p"] for c in ranking) - 1) < 1e-6
    ps = [c["p"] for c in ranking]
    assert ps == sorted(ps, reverse=True)
    assert d["next"]["type"] in ("question", "recommend")


def test_json_next_question_is_not_a_given_fact():
    d = diagnose_json(*FACTS)
    if d["next"]["type"] == "question":
        q = d["next"]
        assert q["fact"] not in ("host_kind", "error_code")
        assert q["choices"] and q["text"]


def test_json_fixes_are_recommend_objects_with_the_kb_links():
    d = diagnose_json(*FACTS)
    fixes = listed("fixes")
    assert d["fixes"], "no fix ranked"
    ids = [x["fix"] for x in d["fixes"]]
    assert len(set(ids)) == len(ids)
    for x in d["fixes"]:
        assert x["type"] == "recommend"
        kb = fixes[x["fix"]]
        assert x["title"] == kb["title"]
        assert x["causes"] == addressed(fixes, x["fix"])
        assert x["risk"] == kb["risk"]
        assert x["steps"] == shown_steps(kb["steps"], {"host_kind": "azure_vm"})
        assert [(c["shell"], c["on"]) for c in x["commands"]] == \
            [(c["shell"], c["on"]) for c in kb["commands"]
             if not any(w["fact"] == "host_kind" and "azure_vm" not in w["is"] for w in c.get("applies", []))]
        assert 0 <= x["p"] <= 1
    if d["next"]["type"] == "recommend":
        assert d["next"]["fix"] == ids[0]


def test_facts_change_the_ranking():
    plain = diagnose_json()
    azure = diagnose_json(*FACTS)
    p0 = {c["id"]: c["p"] for c in plain["ranking"]}
    p1 = {c["id"]: c["p"] for c in azure["ranking"]}
    assert p1["azure_nsg_blocking"] > p0["azure_nsg_blocking"]


def test_text_output_shows_the_ranking_and_the_fix_list():
    d = diagnose_json(*FACTS)
    r = run("diagnose", "--all", *FACTS, columns=1000)
    assert r.returncode == 0 and r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0] == "Most likely causes:"
    # the top ten causes, in the JSON's order, with their percentages
    shown = lines[1:1 + min(10, len(d["ranking"]))]
    for line, c in zip(shown, d["ranking"]):
        assert line.split()[:2] == ["%.1f%%" % (100 * c["p"]), c["id"]], line
        assert line.endswith(c["title"])
    if d["next"]["type"] == "question":
        q = d["next"]
        at = lines.index("Next question worth asking:")
        assert lines[at + 1] == "  " + q["fact"]
        assert lines[at + 2] == "  %s (%s, unknown)" % (q["text"], ", ".join(q["choices"]))
    else:
        assert "No question is worth asking now: try the first fix." in lines
    start = lines.index("Fixes in order:")
    listed_fixes = lines[start + 1:]
    assert len(listed_fixes) == 2 * len(d["fixes"])
    for i, x in enumerate(d["fixes"]):
        head, body = listed_fixes[2 * i], listed_fixes[2 * i + 1]
        assert head.split() == ["%d." % (i + 1), x["fix"]], head
        assert body.startswith("      ") and body.endswith(x["title"])
        assert "%s risk" % x["risk"] in body


def test_text_output_shows_the_first_five_fixes_and_wraps_to_the_width():
    d = diagnose_json(*FACTS)
    r = run("diagnose", *FACTS, columns=40)
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 40
    fixes = [line.split()[1] for line in lines if re.match(r"  +\d+\. ", line)]
    assert fixes == [x["fix"] for x in d["fixes"][:5]]
    assert lines[-1] == "  ... %d more (--all lists them)" % (len(d["fixes"]) - 5)


def test_same_facts_give_the_same_output():
    assert run("diagnose", *FACTS, "--json").stdout == run("diagnose", *FACTS, "--json").stdout
    assert run("diagnose", *FACTS).stdout == run("diagnose", *FACTS).stdout


@pytest.mark.parametrize("flag,message", [
    ("nosuch=yes", "unknown fact 'nosuch'"),
    ("host_kind=mainframe", "'mainframe' is not a choice for host_kind (choose workstation, server, "
                            "azure_vm, avd, other_cloud_vm, or unknown)"),
    ("host_kind", "--fact takes ID=VALUE, not 'host_kind'"),
])
def test_invalid_fact_exits_2(flag, message):
    usage = run("diagnose", "--help").stdout.splitlines()[0]
    for extra in ([], ["--json"]):
        r = run("diagnose", "--fact", flag, *extra)
        assert r.returncode == 2
        assert r.stdout == ""
        assert r.stderr == "triage: %s\n%s\n" % (message, usage)


def test_fact_flag_without_a_value_and_unknown_options_exit_2():
    usage = run("diagnose", "--help").stdout.splitlines()[0]
    r = run("diagnose", "--fact")
    assert (r.returncode, r.stdout, r.stderr) == (2, "", "triage: --fact needs a value\n%s\n" % usage)
    r = run("diagnose", "--verbose")
    assert (r.returncode, r.stdout, r.stderr) == \
        (2, "", "triage: diagnose: unexpected argument '--verbose'\n%s\n" % usage)


def test_unknown_answer_is_accepted_as_a_fact():
    d = diagnose_json("--fact", "host_kind=unknown")
    assert d["next"]["type"] in ("question", "recommend")
    if d["next"]["type"] == "question":
        assert d["next"]["fact"] != "host_kind"
