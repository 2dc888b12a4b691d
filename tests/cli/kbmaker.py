"""kbmaker.py: tiny knowledge bases for command-line tests, written as
text and built with `triage kb build`. make(tmp_path, ...) takes records as
dicts (filled with valid defaults) and rules as {id: lua source}."""
import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))


def fact(id, values=("yes", "no"), **kw):
    vals = [{"value": v, "text": v, "p": round(1.0 / len(values), 12)} for v in values]
    if vals:
        vals[-1]["p"] = round(1 - sum(v["p"] for v in vals[:-1]), 12)
    r = {"id": id, "text": "Is %s so?" % id, "help": "", "check": [], "asker": "client", "cost": 1,
         "unknown_rate": 0.1, "values": vals, "sources": [{"source": "doc"}]}
    r.update(kw)
    return r


def cause(id, evidence=(), prior=0.5, **kw):
    r = {"id": id, "title": "Cause %s" % id, "summary": "", "prior": prior, "prior_why": "a guess",
         "evidence": [{"fact": f, "p": p, "why": "it shows"} for f, p in evidence],
         "sources": [{"source": "doc"}]}
    r.update(kw)
    return r


def fix(id, resolves, **kw):
    r = {"id": id, "title": "Fix %s" % id, "summary": "", "risk": "low", "cost": 1, "minutes": 1,
         "admin": False, "reboot": False, "steps": ["Do it."], "commands": [], "undo": "",
         "outcome": "", "resolves": [{"cause": c, "p": p, "why": "it does"} for c, p in resolves],
         "sources": [{"source": "doc"}]}
    r.update(kw)
    return r


def write(src, facts, causes, fixes, rules=None, kb_id="tiny"):
    """Writes the text tree under src (a Path)."""
    for sub in ["facts", "causes", "fixes"]:
        (src / "kb" / sub).mkdir(parents=True, exist_ok=True)
    (src / "rules").mkdir(exist_ok=True)
    (src / "kb" / "kb.json").write_text(json.dumps(
        {"id": kb_id, "title": "Tiny", "version": "1", "summary": "A test base."}))
    (src / "kb" / "sources.json").write_text(json.dumps(
        [{"id": "doc", "file": "doc.txt", "title": "Doc", "note": ""}]))
    for sub, recs in [("facts", facts), ("causes", causes), ("fixes", fixes)]:
        for r in recs:
            (src / "kb" / sub / (r["id"] + ".json")).write_text(json.dumps(r))
    for rid, text in (rules or {}).items():
        (src / "rules" / (rid + ".lua")).write_text(text)


def make(tmp_path, facts, causes, fixes, rules=None, name="tiny", kb_id="tiny"):
    """Builds the records into tmp_path/NAME.sqlite; returns its path."""
    src = tmp_path / (name + "-src")
    write(src, facts, causes, fixes, rules, kb_id)
    out = tmp_path / (name + ".sqlite")
    r = subprocess.run([BIN, "kb", "build", "-o", str(out), str(src)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return str(out)


def addressed(fixes, fid):
    """The causes a fix addresses as the engine lists them: its own
    'resolves', then those of the fixes it includes (followed as the model
    does: the included fixes in order, then theirs), each once. fixes: the
    `kb list fixes --json` records by id."""
    seen, order, stack = {fid}, [], [fid]
    while stack:
        at = stack.pop()
        for inc in fixes[at].get("includes", []):
            if inc not in seen:
                seen.add(inc)
                order.append(inc)
                stack.append(inc)
    causes = list(fixes[fid]["causes"])
    for inc in order:
        causes += [c for c in fixes[inc]["causes"] if c not in causes]
    return causes
