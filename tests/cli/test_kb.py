"""test_kb.py: the command line around the knowledge base: help and version,
usage errors (exit 2, exact messages), `kb list` and `kb show` as text and
JSON (every contract fact and cause present), dump -> build -> dump
byte-identical, and which knowledge base is used: the default beside the
binary from any directory, --kb before or after the command, TRIAGE_KB.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_kb.py
"""
import filecmp
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
CONTRACT = ROOT.parent / "shared" / "kb-contract.md"
KINDS = ["facts", "causes", "fixes", "rules", "sources"]


def run(*args, kb=KB, cwd=None, env=None):
    """Runs triage with TRIAGE_KB=kb (None: unset); returns the CompletedProcess."""
    e = dict(os.environ)
    e.pop("TRIAGE_KB", None)
    if kb is not None:
        e["TRIAGE_KB"] = kb
    e.update(env or {})
    return subprocess.run([BIN, *args], env=e, cwd=cwd, capture_output=True, text=True,
                          timeout=30)


def ok(*args, **kw):
    r = run(*args, **kw)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return r.stdout


def listed(kind, **kw):
    return json.loads(ok("kb", "list", kind, "--json", **kw))


def contract_tables():
    """{"facts": {id: [values]}, "causes": {id: None}} from the contract's tables."""
    out, section = {"facts": {}, "causes": {}}, None
    for line in CONTRACT.read_text().splitlines():
        if line.startswith("## "):
            section = {"## Facts": "facts", "## Causes": "causes"}.get(line.split(" (")[0].strip())
            continue
        m = re.match(r"\| `([a-z][a-z0-9_]*)` \| (.*?) \|", line)
        if section and m:
            out[section][m.group(1)] = re.findall(r"`([^`]+)`", m.group(2)) if section == "facts" else None
    return out


def help_commands():
    """The commands listed by triage --help: ([names], {name: summary})."""
    block = ok("--help").split("commands:\n", 1)[1].split("\n\n", 1)[0]
    rows = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in block.splitlines()]
    return [name for name, _ in rows], dict(rows)


# ---- help and version ----

def test_help_prints_usage_and_commands_and_exits_0():
    r = run("--help")
    assert r.returncode == 0
    assert r.stderr == ""
    assert r.stdout.startswith("triage: troubleshooting that asks the right questions and ranks the "
                               "fixes.\n\nusage: triage [--kb PATH] [--reach LIST] [COMMAND] [ARGS]\n\ncommands:\n")
    assert r.stdout.endswith("exit status: 0 success, 1 failure, 2 usage error.\n")
    names, _ = help_commands()
    for name in ["ask", "session", "diagnose", "kb build", "kb dump", "kb list", "kb show", "kb test"]:
        assert name in names


def test_short_help_and_help_command_say_the_same():
    assert ok("-h") == ok("--help")
    assert ok("help") == ok("--help")


def test_version_names_the_schema_and_sqlite():
    r = run("--version")
    assert r.returncode == 0
    assert r.stderr == ""
    m = re.match(r"triage (\S+) \(schema (\d+), SQLite (\d+\.\d+\.\d+)\)\n", r.stdout)
    assert m, r.stdout
    assert int(m.group(2)) == len(list((ROOT / "schema").glob("[0-9]*.sql")))


def test_every_command_has_its_own_help():
    names, summaries = help_commands()
    for name in names:
        r = run(*name.split(), "--help")
        assert r.returncode == 0, name
        assert r.stderr == "", name
        lines = r.stdout.splitlines()
        assert lines[0].startswith("usage: triage %s" % name), r.stdout
        assert lines[1] == ""
        assert lines[2] == summaries[name] + ".", r.stdout
        assert lines[-1] == "  --kb PATH         the knowledge base to use", r.stdout


def test_help_after_the_command_is_the_same_as_help_command():
    assert ok("kb", "list", "--help") == ok("help", "kb", "list")
    assert ok("kb", "list", "--help").splitlines()[0] == \
        "usage: triage kb list facts|causes|fixes|rules|sources [--json]"


def test_group_help_lists_its_subcommands():
    out = ok("kb", "--help")
    assert out.startswith("usage: triage kb SUBCOMMAND\n\n")
    for sub in ["build", "dump", "list", "show", "test"]:
        assert "\n  kb %s " % sub in out


# ---- usage errors: exit 2 with the exact message ----

def group_help(word):
    return ok("help", word)


@pytest.mark.parametrize("args,first", [
    (["frobnicate"], "triage: unknown command 'frobnicate' (try triage --help)"),
    (["kb"], "triage: kb: missing subcommand"),
    (["kb", "frobnicate"], "triage: kb: unknown subcommand"),
])
def test_unknown_command_or_subcommand_exits_2(args, first):
    r = run(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    if args[0] == "kb":
        assert r.stderr == first + "\n" + group_help("kb")
    else:
        assert r.stderr == first + "\n"


@pytest.mark.parametrize("args", [["--kb"], ["kb", "list", "facts", "--kb"]])
def test_kb_flag_without_a_path_exits_2(args):
    r = run(*args)
    assert (r.returncode, r.stdout, r.stderr) == (2, "", "triage: --kb needs a path\n")


def usage_of(name):
    return ok(*name.split(), "--help").splitlines()[0] + "\n"


@pytest.mark.parametrize("args,msg", [
    (["kb", "build"], "kb build: -o FILE is required"),
    (["kb", "build", "-o"], "-o needs a value"),
    (["kb", "build", "-o", "x.sqlite", "--frob"], "kb build: unknown option --frob"),
    (["kb", "list"], "kb list: say facts, causes, fixes, rules or sources"),
    (["kb", "list", "widgets"], "kb list: say facts, causes, fixes, rules or sources"),
    (["kb", "list", "facts", "extra"], "kb list: unexpected argument 'extra'"),
    (["kb", "show"], "kb show: name the record to show"),
    (["kb", "dump"], "kb dump: name the directory to write"),
])
def test_usage_errors_exit_2_with_message_and_usage(args, msg, tmp_path):
    r = run(*args, cwd=tmp_path)
    name = " ".join(args[:2])
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr == "triage: %s\n%s" % (msg, usage_of(name))
    assert list(tmp_path.iterdir()) == []   # nothing written


# ---- kb list ----

def test_contract_facts_and_causes_are_all_listed():
    tables = contract_tables()
    assert len(tables["facts"]) == 35 and len(tables["causes"]) == 27
    facts = {f["id"]: f for f in listed("facts")}
    causes = {c["id"] for c in listed("causes")}
    for fid, values in tables["facts"].items():
        assert fid in facts, fid
        assert facts[fid]["values"] == values, fid   # the contract's values, in its order
    assert set(tables["causes"]) <= causes


def test_list_json_fields():
    for f in listed("facts"):
        assert isinstance(f["id"], str) and f["text"]
        assert all(isinstance(v, str) for v in f["values"])
    for c in listed("causes"):
        assert isinstance(c["title"], str) and c["title"]
        assert 0 < c["prior"] <= 1
        assert isinstance(c["fixes"], list) and c["fixes"], c["id"]
    fix_ids = set()
    for x in listed("fixes"):
        fix_ids.add(x["id"])
        assert x["title"] and x["risk"] in ("low", "medium", "high")
        assert isinstance(x["causes"], list) and x["causes"]
        assert isinstance(x["undo"], str)
        if x["risk"] != "low":
            assert x["undo"], x["id"]
        for cmd in x["commands"]:
            assert set(cmd) in ({"shell", "on", "text"}, {"shell", "on", "text", "applies"})
            assert cmd["shell"] in ("powershell", "cmd", "reg", "gui", "azure-cli")
            assert cmd["on"] in ("client", "host", "router", "portal", "gateway")
            assert cmd["text"]
        assert x["sources"] and all("source" in s for s in x["sources"])
    for r in listed("rules"):
        assert isinstance(r["enabled"], bool)
        assert isinstance(r["source"], str) and "function run" in r["source"]
    sources = {s["id"] for s in listed("sources")}
    # links both ways, and every citation names a known source
    for c in listed("causes"):
        assert set(c["fixes"]) <= fix_ids
        assert {s["source"] for s in c["sources"]} <= sources


def test_list_links_both_ways():
    causes = {c["id"]: set(c["fixes"]) for c in listed("causes")}
    for x in listed("fixes"):
        for c in x["causes"]:
            assert x["id"] in causes[c]
        assert x["causes"] == [r["cause"] for r in x["resolves"]]


@pytest.mark.parametrize("kind", KINDS)
def test_list_text_has_one_line_per_record_in_id_order(kind):
    records = listed(kind)
    lines = ok("kb", "list", kind).splitlines()
    assert len(lines) == len(records)
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    w = max(len(r["id"]) for r in records)     # the columns are aligned
    for line, r in zip(lines, records):
        if kind == "facts":
            want = "%-*s  %s" % (w, r["id"], r["text"])
        elif kind == "causes":
            want = "%-*s  %.3f  %s" % (w, r["id"], r["prior"], r["title"])
        elif kind == "fixes":
            want = "%-*s  %-6s  %s" % (w, r["id"], r["risk"], r["title"])
        elif kind == "rules":
            want = "%-*s  %s  %s" % (w, r["id"], "on " if r["enabled"] else "off", r["description"])
        else:
            want = "%-*s  %s" % (w, r["id"], r["title"])
        assert line == want


def test_singular_kind_names_work_too():
    assert ok("kb", "list", "cause") == ok("kb", "list", "causes")


def test_list_json_record_matches_the_dump(tmp_path):
    """kbtext.h: one builder makes a record's JSON for a dump and for kb
    show/list --json; the listing adds the links and gives a fact's values
    as plain strings, with the dump's value objects under "choices"."""
    ok("kb", "dump", str(tmp_path))
    links = {"fixes", "causes", "rules", "choices"}
    for kind, sub in [("facts", "kb/facts"), ("causes", "kb/causes"), ("fixes", "kb/fixes")]:
        for rec in listed(kind):
            dumped = json.loads((tmp_path / sub / (rec["id"] + ".json")).read_text())
            extra = {k: v for k, v in rec.items() if k not in dumped}
            assert set(extra) <= links, (rec["id"], sorted(extra))
            for key, value in dumped.items():
                if kind == "facts" and key == "values":
                    assert rec["choices"] == value, rec["id"]
                    assert rec["values"] == [v["value"] for v in value], rec["id"]
                    continue
                assert rec.get(key) == value, "%s %s: %r in the listing, %r in the dump" % (
                    kind, rec["id"], rec.get(key), value)


# ---- kb show ----

@pytest.mark.parametrize("kind,kind_name", [("facts", "fact"), ("causes", "cause"), ("fixes", "fix"),
                                            ("rules", "rule"), ("sources", "source")])
def test_show_json_is_the_listed_record_plus_its_kind(kind, kind_name):
    for rec in listed(kind)[:3]:
        shown = json.loads(ok("kb", "show", rec["id"], "--json"))
        assert shown.pop("kind") == kind_name
        assert shown == rec


def test_show_text_names_kind_and_id():
    out = ok("kb", "show", "worked_before")
    assert out.splitlines()[0] == "fact worked_before"
    assert "\n  text: " in out


def test_show_unknown_record_exits_1():
    r = run("kb", "show", "nosuch")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == "triage: kb show: no record 'nosuch' in %s\n" % KB


# ---- dump and build ----

def test_dump_build_dump_is_byte_identical(tmp_path):
    a, b, kb2 = tmp_path / "a", tmp_path / "b", tmp_path / "two.sqlite"
    assert ok("kb", "dump", str(a)) == ""
    assert ok("kb", "build", "-o", str(kb2), str(a)).startswith("built %s: " % kb2)
    assert ok("kb", "dump", str(b), kb=str(kb2)) == ""
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    assert len(files_a) >= 35 + 27 + 27 + 2
    for rel in files_a:
        assert filecmp.cmp(a / rel, b / rel, shallow=False), rel
    # and the rebuilt base lists the same records
    for kind in KINDS:
        assert listed(kind, kb=str(kb2)) == listed(kind)


def test_build_of_the_repository_matches_the_default_kb(tmp_path):
    out = tmp_path / "kb.sqlite"
    r = run("kb", "build", "-o", str(out), str(ROOT))
    counts = {k: len(listed(k)) for k in KINDS}
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == "built %s: %d facts, %d causes, %d fixes, %d rules, %d sources\n" % (
        out, counts["facts"], counts["causes"], counts["fixes"], counts["rules"], counts["sources"])
    for kind in KINDS:
        assert listed(kind, kb=str(out)) == listed(kind)
    assert sorted(os.listdir(tmp_path)) == ["kb.sqlite"]   # no temporary left


# ---- which knowledge base ----

def small_kb(tmp_path):
    """Builds a tiny knowledge base with cause only_cause; returns its path."""
    src = tmp_path / "src"
    (src / "kb" / "facts").mkdir(parents=True)
    (src / "kb" / "causes").mkdir()
    (src / "kb" / "fixes").mkdir()
    (src / "kb" / "kb.json").write_text(json.dumps(
        {"id": "tiny", "title": "Tiny", "version": "1", "summary": "A test base."}))
    (src / "kb" / "sources.json").write_text(json.dumps(
        [{"id": "doc", "file": "doc.txt", "title": "Doc", "note": ""}]))
    (src / "kb" / "facts" / "seen.json").write_text(json.dumps(
        {"id": "seen", "text": "Seen?", "help": "", "check": [], "asker": "client", "cost": 1,
         "unknown_rate": 0.1, "values": [{"value": "yes", "text": "yes", "p": 0.5},
                                         {"value": "no", "text": "no", "p": 0.5}],
         "sources": [{"source": "doc"}]}))
    (src / "kb" / "causes" / "only_cause.json").write_text(json.dumps(
        {"id": "only_cause", "title": "The only cause", "summary": "", "prior": 0.5,
         "prior_why": "alone", "evidence": [], "sources": [{"source": "doc"}]}))
    (src / "kb" / "fixes" / "only_fix.json").write_text(json.dumps(
        {"id": "only_fix", "title": "The only fix", "summary": "", "risk": "low", "cost": 1,
         "minutes": 1, "admin": False, "reboot": False, "steps": ["Do it."], "commands": [],
         "undo": "", "outcome": "", "resolves": [{"cause": "only_cause", "p": 0.9, "why": "it does"}],
         "sources": [{"source": "doc"}]}))
    out = tmp_path / "tiny.sqlite"
    ok("kb", "build", "-o", str(out), str(src))
    return str(out)


def test_default_kb_is_found_from_another_directory_without_flags():
    default = Path(BIN).resolve().parent / "kb.sqlite"
    assert default.exists(), "make builds the default knowledge base beside %s" % BIN
    out = ok("kb", "list", "causes", kb=None, cwd="/tmp")
    assert out == ok("kb", "list", "causes", "--kb", str(default))


def test_kb_flag_works_before_and_after_the_command(tmp_path):
    tiny = small_kb(tmp_path)
    before = ok("--kb", tiny, "kb", "list", "causes", kb=None)
    after = ok("kb", "list", "causes", "--kb", tiny, kb=None)
    equals = ok("kb", "list", "causes", "--kb=" + tiny, kb=None)
    assert before == after == equals == "only_cause  0.500  The only cause\n"


def test_triage_kb_overrides_the_default_and_the_flag_overrides_triage_kb(tmp_path):
    tiny = small_kb(tmp_path)
    assert ok("kb", "list", "causes", kb=tiny, cwd="/tmp") == "only_cause  0.500  The only cause\n"
    assert ok("kb", "list", "causes", "--kb", KB, kb=tiny) == ok("kb", "list", "causes", kb=KB)


def test_empty_triage_kb_means_the_default():
    default = Path(BIN).resolve().parent / "kb.sqlite"
    assert default.exists(), "make builds the default knowledge base beside %s" % BIN
    assert ok("kb", "list", "sources", kb="") == ok("kb", "list", "sources", "--kb", str(default))
