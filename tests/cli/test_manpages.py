"""The manual pages the build makes: triage(1) from the command table (by
`triage help --man`) and triage-kb(5) from kb/README.md. Both format
without a warning from groff -ww; every command, its usage and each of
its options in `triage --help` appear in triage(1); every section of
kb/README.md appears in triage-kb(5).
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_manpages.py
"""
import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
MAN = Path(BIN).resolve().parent / "man"
PAGES = [MAN / "triage.1", MAN / "triage-kb.5"]


def triage(*args, env=None):
    r = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, **(env or {})))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return r.stdout


def render(page):
    """The page as plain text, wide enough that nothing wraps."""
    r = subprocess.run(["groff", "-t", "-man", "-Tutf8", "-rLL=300n", "-P-cbou", str(page)],
                       capture_output=True, text=True, env=dict(os.environ, LC_ALL="C.UTF-8"))
    assert r.returncode == 0, r.stderr
    return re.sub(r"[\u2010\u2212]", "-", r.stdout)


def commands():
    block = triage("--help").split("commands:\n", 1)[1].split("\n\n", 1)[0]
    return [re.split(r"\s{2,}", line.strip(), maxsplit=1)[0] for line in block.splitlines()]


def test_pages_format_without_warnings():
    for page in PAGES:
        r = subprocess.run(["groff", "-ww", "-z", "-t", "-man", str(page)], capture_output=True, text=True)
        assert (r.returncode, r.stderr) == (0, ""), page
        for width in ["80", "60"]:   # as a reader sees it, the tables too (lintian's check)
            r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", "-Tutf8", "-Z", str(page)],
                               capture_output=True, text=True,
                               env=dict(os.environ, MANWIDTH=width, LC_ALL="C.UTF-8"))
            assert (r.returncode, r.stderr) == (0, ""), (page, width)


def test_the_built_page_is_what_the_binary_writes_dated_by_source_date_epoch():
    def undated(text):
        return [line for line in text.splitlines() if not line.startswith(".TH ")]
    assert undated((MAN / "triage.1").read_text()) == undated(triage("help", "--man"))
    th = [line for line in triage("help", "--man", env={"SOURCE_DATE_EPOCH": "86400"}).splitlines()
          if line.startswith(".TH ")]
    version = triage("--version").split()[1]
    assert th == ['.TH TRIAGE 1 1970-01-02 "triage %s" "User Commands"' % version]


def test_every_command_its_usage_and_options_are_in_triage_1():
    text = render(MAN / "triage.1")
    names = commands()
    assert len(names) >= 12 and "__complete" not in names
    for name in names:
        help_text = triage(*name.split(), "--help")
        usage = help_text.splitlines()[0][len("usage: "):].rstrip()
        assert re.search(r"^\s+" + re.escape(usage) + r"\s*$", text, re.M), usage
        for line in help_text.splitlines()[1:]:
            m = re.match(r"  (-\S+(?: [A-Z][A-Z=_]*)?)  ", line)
            if m and m.group(1) != "--kb PATH":
                assert re.search(r"^\s+" + re.escape(m.group(1)) + r"\b", text, re.M), (name, m.group(1))
    assert "__complete" not in text


def test_triage_1_has_the_global_options_exit_status_environment_and_files():
    text = render(MAN / "triage.1")
    sections = re.findall(r"^([A-Z][A-Z ]+)$", text, re.M)
    assert sections == ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "GLOBAL OPTIONS", "EXIT STATUS",
                        "ENVIRONMENT", "FILES", "EXAMPLES", "SEE ALSO"]
    exits = triage("--help").splitlines()[-1]
    assert exits == "exit status: 0 success, 1 failure, 2 usage error."
    status = text.split("EXIT STATUS")[1].split("ENVIRONMENT")[0].split()
    assert status == ["0", "success.", "1", "failure.", "2", "usage", "error."]
    for option in ["--kb PATH", "-h, --help", "--version"]:
        assert re.search(r"^\s+" + re.escape(option) + r"\b", text, re.M), option
    for var in ["TRIAGE_KB", "TRIAGE_SESSIONS", "XDG_DATA_HOME", "NO_COLOR"]:
        assert re.search(r"^\s+" + var + r"$", text, re.M), var
    assert "triage-kb(5)" in text


def test_triage_kb_5_is_kb_readme():
    text = render(MAN / "triage-kb.5")
    readme = (ROOT / "kb" / "README.md").read_text()
    assert text.splitlines()[0].split() == ["TRIAGE-KB(5)", "File", "Formats", "TRIAGE-KB(5)"]
    assert "triage-kb - the text format of a triage knowledge base" in text
    for heading in re.findall(r"^#+ (.*)$", readme, re.M):
        assert re.search(r"^\s*" + re.escape(heading.replace("`", "")) + r"\s*$", text, re.M), heading
    for call in re.findall(r"^\| `([a-z]+\([a-z, ]+\))` \|", readme, re.M):   # the table of rule effects
        assert re.search(r"^\s+" + re.escape(call) + r"\s{2,}\S", text, re.M), call
    assert "triage(1)" in text


def test_hidden_command_stays_out_of_help():
    assert "__complete" not in triage("--help")
    assert "__complete" not in triage("help", "kb")
