"""test_export.py: the Markdown exports (issue 6): fix guide, session report,
coverage. Every export is parsed with cmark (the CommonMark reference
implementation) and checked by structure: headings, code blocks equal to the
stored commands, no raw HTML, http(s) links only; a hostile knowledge base
must come out inert; files are written atomically.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_export.py
"""
import json
import math
import os
import tempfile
import random
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
NS = "{http://commonmark.org/xml/1.0}"
RISK = {"low": 1.0, "medium": 1.5, "high": 3.0}


# ---- helpers ----

def run(*args, kb=KB, env=None, **kw):
    e = dict(os.environ, TRIAGE_KB=kb)
    e.update(env or {})
    return subprocess.run([BIN, *args], env=e, capture_output=True, timeout=30, **kw)


def ok(*args, **kw):
    r = run(*args, **kw)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout


def kb_json(kind, kb=KB):
    return json.loads(ok("kb", "list", kind, "--json", kb=kb))


def kb_meta(kb=KB):
    db = sqlite3.connect(f"file:{kb}?mode=ro", uri=True)
    meta = dict(db.execute("SELECT key, value FROM kb_meta"))
    db.close()
    return meta


def tree(md):
    xml = subprocess.run(["cmark", "--to", "xml"], input=md, capture_output=True,
                         check=True).stdout
    return ET.fromstring(xml)


def html(md):
    return subprocess.run(["cmark"], input=md, capture_output=True, check=True).stdout.decode()


def tag(node):
    return node.tag.replace(NS, "")


def text(node):
    """The plain text of an inline tree (code spans included, breaks as spaces)."""
    t = tag(node)
    if t in ("text", "code"):
        return node.text or ""
    if t in ("softbreak", "linebreak"):
        return " "
    return "".join(text(c) for c in node)


def headings(doc, level):
    return [text(h) for h in doc if tag(h) == "heading" and h.get("level") == str(level)]


def sections(doc, level=2):
    """Top-level blocks grouped under each heading of level: [(title, [blocks])]."""
    out = []
    for node in doc:
        if tag(node) == "heading" and int(node.get("level")) <= level:
            out.append((text(node), []))
        elif out:
            out[-1][1].append(node)
    return out


def section(doc, title, level=2):
    found = [blocks for t, blocks in sections(doc, level) if t == title]
    assert len(found) == 1, f"{title!r}: {len(found)} sections"
    return found[0]


def items(blocks):
    return [text(i) for b in blocks if tag(b) == "list" for i in b]


def code_blocks(nodes):
    return [(c.get("info") or "", c.text or "") for c in nodes if tag(c) == "code_block"]


def assert_inert(doc, md):
    """No raw HTML node anywhere; every link is http(s)."""
    kinds = {tag(n) for n in doc.iter()}
    assert not kinds & {"html_block", "html_inline"}, kinds
    for link in doc.iter(NS + "link"):
        assert re.match(r"https?://", link.get("destination")), link.get("destination")
    for img in doc.iter(NS + "image"):
        pytest.fail(f"image in export: {img.get('destination')}")


def by_prior(causes):
    return [c["title"] for c in sorted(causes, key=lambda c: (-c["prior"], c["id"]))]


STEP = 3.0  # PLAN_STEP in engine/plan.h: every step's overhead, minutes


def fix_order(cause, fixes):
    """The fixes resolving cause, by p / risk-priced cost, as the guide lists them."""
    rows = [(r["p"] / ((f["cost"] + STEP) * RISK[f["risk"]]), f["id"], f["title"])
            for f in fixes for r in f["resolves"] if r["cause"] == cause]
    return [t for _, _, t in sorted(rows, key=lambda r: (-r[0], r[1]))]


# ---- the fix guide ----

def test_guide_has_title_contents_and_one_section_per_cause_by_prior():
    md = ok("export", "guide")
    doc = tree(md)
    causes = kb_json("causes")
    assert headings(doc, 1) == [kb_meta()["title"]]
    assert headings(doc, 2) == ["Contents"] + by_prior(causes)
    assert items(section(doc, "Contents")) == by_prior(causes)
    assert_inert(doc, md)


def test_guide_lists_each_causes_fixes_by_efficiency_with_risk_undo_sources():
    doc = tree(ok("export", "guide"))
    fixes = kb_json("fixes")
    for cause in kb_json("causes"):
        blocks = section(doc, cause["title"])
        h3 = [text(b) for b in blocks if tag(b) == "heading" and b.get("level") == "3"]
        h4 = [text(b) for b in blocks if tag(b) == "heading" and b.get("level") == "4"]
        assert h3 == ["How to recognise it", "Fixes", "Sources"], cause["id"]
        assert h4 == fix_order(cause["id"], fixes), cause["id"]
    body = [text(b) for b in doc]
    assert any(t.startswith("Undo: ") for t in body)
    assert any(t.startswith("Expected outcome: ") for t in body)
    assert any(t.startswith("Risk: ") for b in doc if tag(b) == "list" for t in items([b]))


def unfilled(text):
    """A stored text as every export shows it with no session: {{slot}} as <slot>."""
    return re.sub(r"\{\{([a-z0-9_]+)\}\}", r"<\1>", text)


def test_guide_code_blocks_equal_stored_commands_tagged_with_shell():
    doc = tree(ok("export", "guide"))
    stored = {(c["shell"], unfilled(c["text"]) + "\n") for f in kb_json("fixes") for c in f["commands"]}
    linked = {(c["shell"], unfilled(c["text"]) + "\n") for f in kb_json("fixes") if f["resolves"]
              for c in f["commands"]}
    blocks = code_blocks(doc)
    assert blocks and set(blocks) <= stored
    assert set(blocks) == linked
    assert {"powershell", "cmd", "gui", "azure-cli"} <= {info for info, _ in blocks}
    assert any("<host>" in code for _, code in blocks), "unfilled slots show as <slot>"
    assert not any("{{" in code for _, code in blocks)


def test_guide_fix_section_matches_kb_show():
    doc = tree(ok("export", "guide", "--cause", "expired_rdp_certificate"))
    fix = json.loads(ok("kb", "show", "renew_rdp_certificate", "--json"))
    blocks = section(doc, fix["title"], level=4)
    steps = [b for b in blocks if tag(b) == "list" and b.get("type") == "ordered"]
    assert [text(i) for i in steps[0]] == [
        unfilled(s) if isinstance(s, str) else unfilled(s["text"]) + " (only if host_kind is azure_vm or avd)"
        for s in fix["steps"]]
    assert code_blocks(blocks) == [(c["shell"], unfilled(c["text"]) + "\n") for c in fix["commands"]]
    assert f"Undo: {unfilled(fix['undo'])}" in [text(b) for b in blocks]
    risk = [t for t in items(blocks) if t.startswith("Risk: ")]
    assert risk == [f"Risk: {fix['risk']}"]


def test_guide_one_cause():
    cause = json.loads(ok("kb", "show", "expired_rdp_certificate", "--json"))
    md = ok("export", "guide", "--cause", "expired_rdp_certificate")
    doc = tree(md)
    assert headings(doc, 2) == ["Contents", cause["title"]]
    recognise = items(section(doc, "How to recognise it", level=3))
    assert len(recognise) == len(cause["evidence"])
    assert_inert(doc, md)


def test_guide_unknown_cause_fails_naming_it():
    r = run("export", "guide", "--cause", "no_such_cause")
    assert (r.returncode, r.stdout) == (1, b"")
    assert r.stderr.decode() == "triage: no cause 'no_such_cause' in the knowledge base\n"


@pytest.mark.parametrize("args, message", [
    (["guide", "--bogus"], "export guide: unknown option --bogus"),
    (["guide", "extra"], "export guide: unexpected argument 'extra'"),
    (["guide", "-o"], "-o needs a value"),
    (["coverage", "--cause", "x"], "export coverage: unknown option --cause"),
    (["session"], "export session: name the saved session (its ID)"),
    (["session", "abc"], "export session: 'abc' is not a session ID"),
])
def test_usage_errors(args, message):
    r = run("export", *args)
    assert r.returncode == 2
    assert r.stderr.decode().splitlines()[0] == "triage: " + message


# ---- hostile content ----

HOSTILE = "<script>alert(1)</script> *bold* [x](javascript:alert(1)) # heading"
HOSTILE_CMD = ("echo ```` and `` inside\n<b>bold</b> &amp; &#x3C;script&#x3E; {{host}}\n"
               "    indented\n~~~\n```\n<!-- comment -->")


@pytest.fixture(scope="module")
def hostile_kb(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    shutil.copytree(ROOT / "kb", d / "kb")
    if (ROOT / "rules").is_dir():
        shutil.copytree(ROOT / "rules", d / "rules")
    else:
        (d / "rules").mkdir()
    edit(d / "kb" / "causes" / "expired_rdp_certificate.json", title=HOSTILE + "\n# injected",
         summary="1. not a list\n<div>raw</div> &copy; ![img](http://x/y.png)")
    edit(d / "kb" / "fixes" / "renew_rdp_certificate.json", title="Fix " + HOSTILE,
         steps=["<img src=x onerror=alert(1)>", "    indented code?", "line\n# not a heading"],
         commands=[{"shell": "powershell", "on": "host", "text": HOSTILE_CMD}],
         sources=[{"source": "evil_js", "note": "[click](javascript:alert(1))"},
                  {"source": "good_web"}, {"source": "spaced_web"}])
    sources = json.loads((d / "kb" / "sources.json").read_text())
    sources += [
        {"id": "evil_js", "file": "javascript:alert(1)", "title": "Evil <i>js</i>", "note": ""},
        {"id": "good_web", "file": "https://example.com/rdp?a=1&amp;b=2", "title": "Good *web*",
         "note": ""},
        {"id": "spaced_web", "file": "https://example.com/a b(c)", "title": "Spaced", "note": ""}]
    (d / "kb" / "sources.json").write_text(json.dumps(sources, indent=2))
    out = d / "hostile.sqlite"
    r = subprocess.run([BIN, "kb", "build", "-o", str(out), str(d)], capture_output=True)
    assert r.returncode == 0, r.stderr.decode()
    return str(out)


def edit(path, **fields):
    record = json.loads(path.read_text())
    record.update(fields)
    path.write_text(json.dumps(record, indent=2))


def test_hostile_guide_is_inert(hostile_kb):
    md = ok("export", "guide", kb=hostile_kb)
    doc = tree(md)
    out = html(md)
    assert "<script" not in out and "<b>" not in out and "<img" not in out and "<div" not in out
    assert "<i>" not in out and "<!--" not in out
    assert not re.search(r'href="(?!https?://)', out)
    assert_inert(doc, md)
    causes = kb_json("causes", kb=hostile_kb)
    assert len(headings(doc, 1)) == 1
    assert headings(doc, 2) == ["Contents"] + [t.replace("\n", " ") for t in by_prior(causes)]
    assert HOSTILE + " # injected" in headings(doc, 2)
    assert ("powershell", unfilled(HOSTILE_CMD) + "\n") in code_blocks(doc)
    assert "Fix " + HOSTILE in headings(doc, 4)
    steps = [i for b in doc.iter(NS + "list") if b.get("type") == "ordered" for i in b]
    assert "<img src=x onerror=alert(1)>" in [text(i) for i in steps]


def test_hostile_sources_link_only_http(hostile_kb):
    doc = tree(ok("export", "guide", "--cause", "expired_rdp_certificate", kb=hostile_kb))
    links = [(text(a), a.get("destination")) for a in doc.iter(NS + "link")]
    assert ("Good *web*", "https://example.com/rdp?a=1&amp;b=2") in links
    assert all(d.startswith("https://") for _, d in links)    # the kb's own documentation links too
    assert not [d for _, d in links if "example.com/a" in d or "javascript" in d]
    cites = [t for t in items(section(doc, "Fix " + HOSTILE, level=4))]
    assert "Evil <i>js</i> (javascript:alert(1)): [click](javascript:alert(1))" in cites
    assert "Spaced (https://example.com/a b(c))" in cites


def test_hostile_coverage_and_session_are_inert(hostile_kb, tmp_path):
    md = ok("export", "coverage", kb=hostile_kb)
    doc = tree(md)
    assert_inert(doc, md)
    assert HOSTILE + " # injected" in headings(doc, 2)
    db = tmp_path / "s.sqlite"
    save_session(db, hostile_kb, [("given", "rdp_cert_expired", "yes")])
    md = ok("export", "session", "1", kb=hostile_kb, env={"TRIAGE_SESSIONS": str(db)})
    doc = tree(md)
    assert_inert(doc, md)
    assert "<script" not in html(md)
    assert "Fix " + HOSTILE in headings(doc, 3)
    assert ("powershell", HOSTILE_CMD.replace("{{host}}", "<host>") + "\n") in code_blocks(doc)


FUZZ = list("<>&*_`[]()!#-+.=|~\\:\"'{}$^@") + [
    " ", "\n", "\t", "a", "1", "1. ", "\n- ", "\n# ", "\n    ", "\n> ", "\n===", "```", "~~~",
    "<!--", "&amp;", "&#x41;", "<a href=", "javascript:", "http://x"]


def fuzz(r, n, tail):
    return "".join(r.choice(FUZZ) for _ in range(r.randint(0, n))) + tail


def flat(s):
    """Knowledge-base text as it reads in the export: one line, trimmed."""
    return re.sub(r"[\n\t]", " ", s.strip(" \t\n"))


@pytest.mark.parametrize("seed", range(4))
def test_random_markup_comes_out_as_text(seed, tmp_path):
    r = random.Random(seed)
    shutil.copytree(ROOT / "kb", tmp_path / "kb")
    (tmp_path / "rules").mkdir()
    titles, fixes = [], []
    for path in sorted((tmp_path / "kb" / "causes").glob("*.json"))[:5]:
        titles.append(fuzz(r, 12, "c"))
        edit(path, title=titles[-1], summary=fuzz(r, 20, ""))
    for path in sorted((tmp_path / "kb" / "fixes").glob("*.json"))[:6]:
        fixes.append({"title": fuzz(r, 12, "f"), "steps": [fuzz(r, 15, "s") for _ in range(3)],
                      "commands": [{"shell": "cmd", "on": "host", "text": fuzz(r, 25, "x")}]})
        edit(path, **fixes[-1])
    kb = str(tmp_path / "fuzz.sqlite")
    assert subprocess.run([BIN, "kb", "build", "-o", kb, str(tmp_path)]).returncode == 0
    md = ok("export", "guide", kb=kb)
    doc = tree(md)
    assert_inert(doc, md)
    steps = {text(i) for b in doc.iter(NS + "list") if b.get("type") == "ordered" for i in b}
    assert {flat(t) for t in titles} <= set(headings(doc, 2))
    assert {flat(f["title"]) for f in fixes} <= set(headings(doc, 4))
    assert {flat(s) for f in fixes for s in f["steps"]} <= steps
    assert {("cmd", f["commands"][0]["text"] + "\n") for f in fixes} <= set(code_blocks(doc))
    md = ok("export", "coverage", kb=kb)
    doc = tree(md)
    assert_inert(doc, md)
    assert {flat(t) for t in titles} <= set(headings(doc, 2))


# ---- coverage ----

def completed(cause, facts):
    """P(value | cause) per fact, completed as kb/README.md says."""
    like = {}
    stated = {e["fact"]: e["p"] for e in cause["evidence"]}
    for f in facts:
        default = {v["value"]: v["p"] for v in f["choices"]}
        named = stated.get(f["id"], {})
        rest = 1 - sum(named.values())
        free = sum(p for v, p in default.items() if v not in named)
        like[f["id"]] = {v: named.get(v, rest * p / free if free else 0) for v, p in default.items()}
    return like


def test_coverage_lists_the_facts_that_move_each_cause():
    md = ok("export", "coverage")
    doc = tree(md)
    causes, facts = kb_json("causes"), [f for f in kb_json("facts") if f["values"]]
    assert headings(doc, 1) == ["Coverage: " + kb_meta()["title"]]
    assert headings(doc, 2) == by_prior(causes) + [
        "Causes no single fact separates", "Questions that tell no cause apart"]
    assert_inert(doc, md)
    for cause in causes:
        like = completed(cause, facts)
        moved = {}
        for f in facts:
            r = max((like[f["id"]][v["value"]] / v["p"] for v in f["choices"]),
                    key=lambda x: abs(math.log(x)))
            if abs(math.log(r)) >= math.log(1.05) + 1e-9:
                moved[f["id"]] = r
        lines = items(section(doc, cause["title"]))
        listed = [line.split(" ")[0] for line in lines]
        assert set(listed) == set(moved), cause["id"]
        strongest = max(moved, key=lambda f: abs(math.log(moved[f])))
        assert listed[0] == strongest
        ratio = moved[strongest]
        shown = re.search(r": x([0-9.]+) ", lines[0]).group(1)
        assert float(shown) == pytest.approx(ratio, rel=0.06), (cause["id"], lines[0])


def test_coverage_pairs_no_single_fact_separates():
    doc = tree(ok("export", "coverage"))
    causes, facts = kb_json("causes"), [f for f in kb_json("facts") if f["values"]]
    like = {c["id"]: completed(c, facts) for c in causes}
    close = set()
    for i, a in enumerate(causes):
        for b in causes[i + 1:]:
            best = max(max(x / y, y / x) for f in facts for x, y in
                       ((like[a["id"]][f["id"]][v], like[b["id"]][f["id"]][v]) for v in
                        like[a["id"]][f["id"]]))
            if best < 3 - 1e-9:
                close.add(frozenset((a["id"], b["id"])))
    blocks = section(doc, "Causes no single fact separates")
    pairs = {frozenset(re.findall(r"\((\w+)\)", line)[:2]) for line in items(blocks)}
    none = [text(b) for b in blocks if tag(b) == "paragraph"][1]
    if close:
        assert pairs == close
    else:
        assert none.startswith("None: every pair has a fact that separates it.")
        assert len(pairs) == 5


# ---- the session report ----

def save_session(path, kb, events, status="open"):
    """A saved session as engine/sessdb.c writes it (schema/session_001.sql)."""
    meta = kb_meta(kb)
    db = sqlite3.connect(path)
    db.executescript((ROOT / "schema" / "session_001.sql").read_text())
    db.execute("PRAGMA application_id = 1416784211")
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO session VALUES (1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',"
               " ?, ?, 'not-the-digest', ?, 'test')", (meta["id"], meta["version"], status))
    db.executemany("INSERT INTO session_event VALUES (1, ?, ?, ?, ?)",
                   [(i, *e) for i, e in enumerate(events)])
    db.commit()
    db.close()


class Driver:
    """Drives `triage session --jsonl` to learn a valid event log."""

    def __init__(self, *facts):
        args = [BIN, "session", "--jsonl"] + [a for f in facts for a in ("--fact", f)]
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  env=dict(os.environ, TRIAGE_KB=KB), text=True)
        self.ranking = None

    def next(self):
        while True:
            msg = json.loads(self.p.stdout.readline())
            if msg["type"] != "ranking":
                return msg
            self.ranking = msg

    def send(self, obj):
        self.p.stdin.write(json.dumps(obj) + "\n")
        self.p.stdin.flush()

    def close(self):
        self.send({"command": "quit"})
        self.p.communicate(timeout=10)


@pytest.fixture(scope="module")
def played():
    """given, answers until a fix, that fix failed, answers until the next fix."""
    d = Driver("host_kind=server")
    events, asked, failed = [("given", "host_kind", "server")], [], None
    msg = first = d.next()
    for _ in range(40):
        if msg["type"] == "recommend" and failed:
            break
        if msg["type"] == "recommend":
            failed = msg
            events.append(("result", msg["fix"], "failed"))
            d.send({"result": "failed"})
        else:
            assert msg["type"] == "question", msg
            value = msg["choices"][0]
            asked.append((msg["text"], msg["labels"][0], value))
            events.append(("answer", msg["fact"], value))
            d.send({"answer": value})
        msg = d.next()
    ranking = d.ranking
    d.close()
    assert failed and msg["type"] == "recommend"
    return {"events": events, "asked": asked, "failed": failed, "next": msg, "ranking": ranking,
            "first": first}


@pytest.fixture
def sessions(tmp_path, played):
    db = tmp_path / "sessions.sqlite"
    save_session(db, KB, played["events"])
    return {"TRIAGE_SESSIONS": str(db)}


def test_session_report(played, sessions):
    md = ok("export", "session", "1", env=sessions)
    doc = tree(md)
    assert_inert(doc, md)
    assert headings(doc, 1) == ["Troubleshooting session 1: test (started 2026-01-01)"]   # number, title, date
    assert headings(doc, 2) == ["Facts", "Questions and answers", "Fixes tried",
                                "Most likely causes", "Next step", "Recommended next fix"]
    body = [text(b) for b in doc if tag(b) == "paragraph"]
    assert "Status: in progress." in body
    assert any(t.startswith("Note: the knowledge base changed") for t in body)
    answers = items(section(doc, "Questions and answers"))
    assert answers[0] == "Given at the start: What kind of computer are you connecting to? " \
                         "Answer: an on-premises Windows Server (server)"
    assert answers[1:] == [f"{q} Answer: {label} ({v})" for q, label, v in played["asked"]]
    failed = played["failed"]
    assert items(section(doc, "Fixes tried")) == [f"{failed['title']} ({failed['fix']}): failed"]
    top = played["ranking"]["causes"][0]
    assert items(section(doc, "Most likely causes"))[0] == \
        f"{top['title']} ({top['id']}): {100 * top['p']:.1f}%"


def test_session_report_recommends_the_next_fix_with_commands(played, sessions):
    doc = tree(ok("export", "session", "1", env=sessions))
    nxt = played["next"]
    blocks = section(doc, "Recommended next fix")
    assert headings(blocks, 3) == [nxt["title"]]
    assert code_blocks(blocks) == [(c["shell"], c["text"] + "\n") for c in nxt["commands"]]
    steps = [b for b in blocks if tag(b) == "list" and b.get("type") == "ordered"]
    shown = [text(i) for i in steps[0]]
    # the same steps; the report names the conditions of those that may not apply
    assert [re.sub(r" \(only if [^)]*\)$", "", t) for t in shown] == nxt["steps"]
    kb = json.loads(ok("kb", "show", nxt["fix"], "--json"))
    conditional = {s["text"] for s in kb["steps"] if isinstance(s, dict)}
    for t, plain in zip(shown, nxt["steps"]):
        assert (t != plain) == (plain in conditional), t
    assert f"Risk: {nxt['risk']}" in items(blocks)
    why = [text(b) for b in blocks if tag(b) == "paragraph"]
    assert any(t.startswith(nxt["title"] + f" ({nxt['fix']}): ") for t in why)


def test_session_report_asks_the_pending_question_and_names_the_first_fix(played, tmp_path):
    db = tmp_path / "asking.sqlite"
    save_session(db, KB, played["events"][:1])
    doc = tree(ok("export", "session", "1", env={"TRIAGE_SESSIONS": str(db)}))
    q = played["first"]
    assert q["type"] == "question"
    blocks = section(doc, "Next step")
    assert text(blocks[0]) == f"Answer this question next: {q['text']} ({q['fact']})"
    assert items(blocks) == [f"{label} ({v})" for label, v in zip(q["labels"], q["choices"])] + \
        ["unknown (cannot tell)"]
    fix = section(doc, "Recommended next fix")
    assert text(fix[0]) == "The fix to try first if you act now instead of answering:"
    assert len(headings(fix, 3)) == 1


def test_session_report_when_resolved(played, tmp_path):
    db = tmp_path / "resolved.sqlite"
    nxt = played["next"]
    save_session(db, KB, played["events"] + [("result", nxt["fix"], "worked")], "resolved")
    doc = tree(ok("export", "session", "1", env={"TRIAGE_SESSIONS": str(db)}))
    assert "Status: done: resolved, a fix worked." in [text(b) for b in doc]
    assert items(section(doc, "Fixes tried"))[-1] == f"{nxt['title']} ({nxt['fix']}): worked"
    assert "Recommended next fix" not in headings(doc, 2)
    assert [text(b) for b in section(doc, "Next step")] == ["None: the problem is resolved."]


def test_session_unknown_id_fails_naming_it(sessions):
    r = run("export", "session", "99", env=sessions)
    assert (r.returncode, r.stdout) == (1, b"")
    assert r.stderr.decode() == "triage: no saved session 99\n"


def test_session_to_file(sessions, tmp_path):
    out = tmp_path / "report.md"
    assert ok("export", "session", "1", "-o", str(out), env=sessions) == b""
    assert out.read_bytes() == ok("export", "session", "1", env=sessions)


# ---- writing ----

def leftovers(directory, name):
    return sorted(p.name for p in Path(directory).iterdir() if p.name.startswith(name + "."))


def test_file_gets_the_same_bytes_as_stdout_and_replaces_the_old_one(tmp_path):
    out = tmp_path / "guide.md"
    out.write_text("old")
    assert ok("export", "guide", "-o", str(out)) == b""
    assert out.read_bytes() == ok("export", "guide")
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~current_umask())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["guide.md"]
    assert ok("export", "coverage", "-o", "-") == ok("export", "coverage")


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_missing_directory_fails_naming_the_file(tmp_path):
    out = tmp_path / "nope" / "guide.md"
    r = run("export", "guide", "-o", str(out))
    assert (r.returncode, r.stdout) == (1, b"")
    assert r.stderr.decode() == f"triage: {out}: No such file or directory\n"
    assert list(tmp_path.iterdir()) == []


def as_nobody():
    """In the child: root ignores directory permissions, so drop to nobody."""
    os.setgid(65534)
    os.setuid(65534)


def test_read_only_directory_fails_and_leaves_nothing():
    base = tempfile.mkdtemp()          # world-traversable, unlike pytest's tmp_path
    os.chmod(base, 0o755)
    d = os.path.join(base, "ro")
    os.mkdir(d)
    os.chmod(d, 0o555)
    try:
        r = run("export", "guide", "-o", os.path.join(d, "guide.md"),
                preexec_fn=as_nobody if os.geteuid() == 0 else None)
        assert r.returncode == 1
        assert r.stderr.decode() == "triage: %s: Permission denied\n" % os.path.join(d, "guide.md")
        assert os.listdir(d) == []
    finally:
        os.chmod(d, 0o755)
        shutil.rmtree(base)


def small_files():
    """In the child: files may not grow past 4 KiB, and going past is EFBIG."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_write_error_keeps_the_old_file_and_no_temporary(tmp_path):
    out = tmp_path / "guide.md"
    out.write_text("old")
    r = run("export", "guide", "-o", str(out), preexec_fn=small_files)
    assert r.returncode == 1
    assert r.stderr.decode() == f"triage: {out}: File too large\n"
    assert out.read_text() == "old"
    assert leftovers(tmp_path, "guide.md") == []


def test_stdout_full_disk_fails_with_a_message():
    with open("/dev/full", "wb") as full:
        r = subprocess.run([BIN, "export", "guide"], stdout=full, stderr=subprocess.PIPE,
                           env=dict(os.environ, TRIAGE_KB=KB), timeout=30)
    assert r.returncode == 1
    assert r.stderr.decode() == "triage: cannot write to standard output: No space left on device\n"


def test_device_is_written_in_place_not_replaced():
    r = run("export", "coverage", "-o", "/dev/full")
    assert r.returncode == 1
    assert r.stderr.decode() == "triage: /dev/full: No space left on device\n"
    assert Path("/dev/full").is_char_device()
    assert leftovers("/dev", "full") == []


def test_stdout_pipe_closed_early_fails_with_a_message():
    """With SIGPIPE ignored a closed pipe is EPIPE: a message, exit 1."""
    p = subprocess.Popen([BIN, "export", "guide"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=dict(os.environ, TRIAGE_KB=KB),
                         preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN))
    assert p.stdout.read(2) == b"# "
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait(timeout=30) == 1
    assert err.decode() == "triage: cannot write to standard output: Broken pipe\n"
