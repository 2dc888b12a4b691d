"""test_inert.py: text is inert everywhere. `kb build` refuses control
characters (C0 and C1) in every text field and bidirectional or invisible
format characters (a command that reads differently from what it runs), in
records and in rule source, naming the file, the record and the field; a
fact value with one is refused when given, in every front end; a rule's
effect text with one switches the rule off; an export written to a terminal
shows them escaped, as the shell does.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_inert.py
"""
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
FIX = "kb/fixes/renew_rdp_certificate.json"


def copy_kb(tmp_path):
    d = tmp_path / "src"
    shutil.copytree(ROOT / "kb", d / "kb")
    shutil.copytree(ROOT / "rules", d / "rules")
    return d


def build(d, tmp_path):
    out = tmp_path / "out.sqlite"
    p = subprocess.run([BIN, "kb", "build", "-o", str(out), str(d)], capture_output=True, text=True,
                       timeout=60)
    return p, out


def edit(d, rel, change):
    path = d / rel
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False))


CASES = [
    # (what, character, description in the message)
    ("escape", "\x1b[31m", "a control character U+001B at byte 4"),
    ("bell", "\x07", "a control character U+0007 at byte 4"),
    ("carriage_return", "\r", "a control character U+000D at byte 4"),
    ("delete", "\x7f", "a control character U+007F at byte 4"),
    ("c1_next_line", "\u0085", "a control character U+0085 at byte 4"),
    ("c1_csi", "\u009b", "a control character U+009B at byte 4"),
    ("rtl_override", "\u202e", "an invisible or bidirectional format character U+202E at byte 4"),
    ("rtl_isolate", "\u2067", "an invisible or bidirectional format character U+2067 at byte 4"),
    ("zero_width_space", "\u200b", "an invisible or bidirectional format character U+200B at byte 4"),
    ("word_joiner", "\u2060", "an invisible or bidirectional format character U+2060 at byte 4"),
    ("bom", "\ufeff", "an invisible or bidirectional format character U+FEFF at byte 4"),
    ("soft_hyphen", "\u00ad", "an invisible or bidirectional format character U+00AD at byte 4"),
    ("tag", "\U000e0041", "an invisible or bidirectional format character U+E0041 at byte 4"),
]


@pytest.mark.parametrize("what,ch,desc", CASES, ids=[c[0] for c in CASES])
def test_command_with_a_control_or_format_character_is_refused(tmp_path, what, ch, desc):
    d = copy_kb(tmp_path)
    edit(d, FIX, lambda r: r["commands"][0].update(text="Get-" + ch + "Item"))
    p, out = build(d, tmp_path)
    assert p.returncode == 1
    assert p.stderr == "triage: %s/%s: commands: 'text' contains %s\n" % (d, FIX, desc)
    assert not out.exists()


@pytest.mark.parametrize("field", ["title", "summary", "undo", "outcome"])
def test_every_text_field_of_a_record_is_checked(tmp_path, field):
    d = copy_kb(tmp_path)
    edit(d, FIX, lambda r: r.update({field: "Renew\x1b]0;pwned\x07"}))
    p, out = build(d, tmp_path)
    assert p.returncode == 1
    assert p.stderr == ("triage: %s/%s: renew_rdp_certificate: '%s' contains a control character "
                        "U+001B at byte 5\n" % (d, FIX, field))


def test_tabs_and_newlines_are_kept_in_text_fields(tmp_path):
    d = copy_kb(tmp_path)
    edit(d, FIX, lambda r: r["commands"][0].update(text="$a = 1\n\tGet-Item $a"))
    p, out = build(d, tmp_path)
    assert p.returncode == 0, p.stderr


def test_a_step_is_checked(tmp_path):
    d = copy_kb(tmp_path)
    edit(d, FIX, lambda r: r["steps"].__setitem__(0, "Open \u202egnp.exe"))
    p, _ = build(d, tmp_path)
    assert p.stderr == ("triage: %s/%s: steps item 1 contains an invisible or bidirectional "
                        "format character U+202E at byte 5\n" % (d, FIX))


def test_a_fact_question_is_checked(tmp_path):
    d = copy_kb(tmp_path)
    edit(d, "kb/facts/host_kind.json", lambda r: r.update(text="What\u200b is it?"))
    p, _ = build(d, tmp_path)
    assert p.stderr == ("triage: %s/kb/facts/host_kind.json: host_kind: 'text' contains an invisible "
                        "or bidirectional format character U+200B at byte 4\n" % d)


def test_rule_source_with_a_bidirectional_override_is_refused(tmp_path):
    # "Trojan Source": the comment hides code that runs
    d = copy_kb(tmp_path)
    rule = d / "rules" / "ip_works.lua"
    lines = rule.read_text().split("\n")
    lines[1] = "-- \u202e } if true then return end --"
    rule.write_text("\n".join(lines))
    p, out = build(d, tmp_path)
    assert p.returncode == 1
    assert p.stderr == ("triage: %s/rules/ip_works.lua: line 2 contains an invisible or bidirectional "
                        "format character U+202E at byte 3\n" % d)
    assert not out.exists()


def test_rule_source_keeps_tabs_and_carriage_returns(tmp_path):
    d = copy_kb(tmp_path)
    rule = d / "rules" / "ip_works.lua"
    rule.write_text(rule.read_text().replace("\n", "\r\n").replace("  ", "\t"))
    p, _ = build(d, tmp_path)
    assert p.returncode == 0, p.stderr


def test_rule_source_with_an_escape_is_refused(tmp_path):
    d = copy_kb(tmp_path)
    rule = d / "rules" / "ip_works.lua"
    rule.write_text(rule.read_text() + "\n-- \x1b[8m hidden\n")
    p, _ = build(d, tmp_path)
    assert p.stderr.startswith("triage: %s/rules/ip_works.lua: line " % d)
    assert p.stderr.endswith(" contains a control character U+001B at byte 3\n")


def test_text_that_is_not_utf8_is_refused_in_rule_source(tmp_path):
    d = copy_kb(tmp_path)
    rule = d / "rules" / "ip_works.lua"
    rule.write_bytes(rule.read_bytes().replace(b"-- If", b"-- \xffIf", 1))
    p, _ = build(d, tmp_path)
    assert p.stderr == ("triage: %s/rules/ip_works.lua: line 1 contains a byte that is not UTF-8 "
                        "(\\xff) at byte 3\n" % d)


# ---- input paths ----

def test_a_fact_value_with_an_escape_is_refused_on_the_command_line():
    p = subprocess.run([BIN, "diagnose", "--kb", KB, "--fact", "host_name=srv1\x1b[2J"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert p.stderr.split("\n")[0] == ("triage: host_name: text contains a control "
                                       "character U+001B at byte 4")


def test_a_fact_value_with_a_format_character_is_refused_over_json_lines():
    p = subprocess.run([BIN, "session", "--jsonl", "--kb", KB],
                       input=json.dumps({"fact": "host_name", "value": "srv\u202e1"}) + "\n"
                       + '{"command":"quit"}\n', capture_output=True, text=True, timeout=30)
    lines = [json.loads(x) for x in p.stdout.splitlines()]
    errors = [x for x in lines if x["type"] == "error"]
    assert errors == [{"type": "error", "message": "host_name: text contains an invisible "
                       "or bidirectional format character U+202E at byte 3"}]
    assert lines[-1]["type"] == "done"


def test_an_unknown_command_is_echoed_escaped():
    p = subprocess.run([BIN, "\x1b[2Jboom"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2
    assert p.stderr.startswith("triage: unknown command '\\x1b[2Jboom' (try triage --help)\n")


@pytest.mark.parametrize("effect,msg", [
    ('derive("host_name", "srv1\\27[31m")',
     "derive: value contains a control character U+001B at byte 4"),
    ('fill("host", "srv\\u{202E}1", "why")',
     "fill: text contains an invisible or bidirectional format character U+202E at byte 3"),
    ('warn("renew_rdp_certificate", "careful\\u{200B}")',
     "warn: text contains an invisible or bidirectional format character U+200B at byte 7"),
    ('scale("rdp_disabled", 2, "why\\7")', "scale: why contains a control character U+0007 at byte 3"),
])
def test_a_rule_effect_with_a_control_or_format_character_switches_the_rule_off(tmp_path, effect, msg):
    d = copy_kb(tmp_path)
    (d / "rules" / "h_text.lua").write_text(
        'description = "hostile text"\nreads = {"host_kind"}\nsources = {"seed_000"}\n'
        'function run(f)\n  %s\nend\n' % effect)
    p, out = build(d, tmp_path)
    assert p.returncode == 0, p.stderr
    s = subprocess.run([BIN, "session", "--jsonl", "--kb", str(out)], input='{"command":"quit"}\n',
                       capture_output=True, text=True, timeout=30)
    warnings = [json.loads(x) for x in s.stdout.splitlines() if '"warning"' in x]
    assert [w["message"] for w in warnings] == [
        "rule h_text: rules/h_text.lua:5: %s (rule switched off)" % msg]


# ---- exports to a terminal ----

def test_export_to_a_terminal_escapes_what_a_tampered_kb_holds(tmp_path):
    import pexpect
    kb = tmp_path / "kb.sqlite"
    shutil.copy(KB, kb)
    db = sqlite3.connect(kb)
    db.execute("UPDATE fix SET title = ? WHERE id = 'renew_rdp_certificate'",
               ("Renew\x1b]0;pwned\x07 \u202eexe.",))
    db.commit()
    db.close()
    out = ""
    p = pexpect.spawn(BIN, ["export", "guide", "--kb", str(kb)], encoding="utf-8", timeout=30,
                      dimensions=(40, 200))
    p.expect(pexpect.EOF)
    out = p.before
    p.close()
    assert p.exitstatus == 0
    assert "\x1b" not in out and "\u202e" not in out
    # the Markdown escapes controls itself; the terminal writer marks the override
    assert "Renew\\\\x1B\\]0;pwned\\\\x07 \\u{202E}exe." in out   # Markdown escapes no '.' here
    # to a pipe or a file the Markdown is written as it is
    piped = subprocess.run([BIN, "export", "guide", "--kb", str(kb)], capture_output=True,
                           timeout=30).stdout
    assert "\u202e".encode() in piped
