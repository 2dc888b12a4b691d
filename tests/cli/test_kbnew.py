"""test_kbnew.py: `triage kb new rule NAME`: the template is written to
rules/NAME.lua (or -o FILE), never over a file, builds as written (switched
off) and once switched on (kb build's dry run runs it), and is refused for
a name that is no identifier or already a record.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_kbnew.py
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))


def run(*args, cwd=None):
    return subprocess.run([BIN, "--kb", KB, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=60)


def tree(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "kb", src / "kb")
    shutil.copytree(ROOT / "rules", src / "rules")
    return src


def build(src, out):
    return subprocess.run([BIN, "kb", "build", "-o", str(out), str(src)], capture_output=True,
                          text=True, timeout=120)


def test_the_template_builds_switched_off_and_on(tmp_path):
    src = tree(tmp_path)
    r = run("kb", "new", "rule", "my_rule", cwd=src)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == ("wrote rules/my_rule.lua: a template for rule my_rule, switched off "
                        "until you make it yours\n")
    text = (src / "rules" / "my_rule.lua").read_text()
    for word in ["reads", "sources", "derive(", "hide(", "scale(", "fill(", "warn(", "exclude(",
                 "2000000 instructions", "8 MiB", "io, os, package"]:
        assert word in text, word
    r = build(src, tmp_path / "off.sqlite")
    assert r.returncode == 0, r.stderr
    assert ", 13 rules," in r.stdout
    off = subprocess.run([BIN, "--kb", str(tmp_path / "off.sqlite"), "kb", "list", "rules"],
                         capture_output=True, text=True).stdout
    assert re.search(r"^my_rule +off  Example: ", off, re.M), off
    (src / "rules" / "my_rule.lua").write_text(text.replace(
        'enabled = false   -- the example is off: make it yours, then delete this line\n', ""))
    r = build(src, tmp_path / "on.sqlite")
    assert r.returncode == 0, r.stderr
    on = subprocess.run([BIN, "--kb", str(tmp_path / "on.sqlite"), "kb", "list", "rules"],
                        capture_output=True, text=True).stdout
    assert re.search(r"^my_rule +on   Example: ", on, re.M), on


def test_the_template_is_never_written_over_a_file(tmp_path):
    out = tmp_path / "mine.lua"
    out.write_text("-- mine\n")
    r = run("kb", "new", "rule", "my_rule", "-o", str(out))
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == "triage: kb new rule: %s exists (not overwritten)\n" % out
    assert out.read_text() == "-- mine\n"


def test_o_writes_elsewhere(tmp_path):
    out = tmp_path / "x.lua"
    r = run("kb", "new", "rule", "x", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("-- x: say here")


def test_without_a_rules_directory_it_says_so(tmp_path):
    r = run("kb", "new", "rule", "my_rule", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == ("triage: kb new rule: cannot create rules/my_rule.lua: "
                        "No such file or directory\n")


def test_bad_names_are_refused(tmp_path):
    for args, code, msg in [
            (["rule", "My-Rule"], 2, "kb new rule: 'My-Rule' is not an identifier (a-z, 0-9, _; "
                                     "starts with a letter; at most 64)"),
            (["rule", "safety"], 1, "kb new rule: 'safety' is already a rule in %s" % KB),
            (["rule", "host_kind"], 1, "kb new rule: 'host_kind' is already a fact in %s" % KB),
            (["rule"], 2, "kb new rule: name the rule"),
            (["cause", "x"], 2, "kb new: say what to make: rule NAME")]:
        r = run("kb", "new", *args, cwd=tmp_path)
        assert (r.returncode, r.stdout) == (code, ""), args
        assert r.stderr.splitlines()[0] == "triage: " + msg
    assert os.listdir(tmp_path) == []
