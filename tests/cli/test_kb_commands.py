"""test_kb_commands.py: the knowledge base's commands checked against what is
known to exist (tests/cli/kb_commands.json): every az command group, verb and
parameter; every PowerShell cmdlet and parameter; every cmd/reg tool, switch
and subcommand; no prose inside a command; every record citing the page that
documents each command it uses; a medium or high-risk fix's undo naming what
the fix changes. Each check also runs on a bad sample to prove it catches it.
Records are read through `triage kb list --json` and `triage kb show --json`.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_kb_commands.py
"""
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
KNOWN = json.loads((Path(__file__).parent / "kb_commands.json").read_text())


def triage(*args):
    r = subprocess.run([BIN, "--kb", KB, *args], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def ids(kind):
    listed = triage("kb", "list", kind, "--json")
    return [x if isinstance(x, str) else x["id"] for x in listed]


def records():
    """Every fix and fact, as kb show --json gives it."""
    return [triage("kb", "show", i, "--json") for kind in ("fixes", "facts") for i in ids(kind)]


RECORDS = records()
SOURCES = {s["id"]: s for s in (triage("kb", "show", i, "--json") for i in ids("sources"))}


def commands(rec):
    return rec.get("commands", []) + rec.get("check", [])


# ---- the checkers: each returns a list of problems, and collects the sources a command needs ----

def _strip_strings(text):
    """Replaces the contents of PowerShell string literals, keeping the quotes."""
    return re.sub(r"'[^']*'|\"(?:`.|[^\"`])*\"", lambda m: m.group(0)[0] * 2, text)


def check_powershell(text, need):
    """Cmdlets and their parameters in a PowerShell command line."""
    problems = []
    text = _strip_strings(re.sub(r"\{\{\w+\}\}", "SLOT", text))
    pieces = []
    group = re.compile(r"[({][^(){}]*[)}]")
    while True:                      # innermost (...) and {...} first, each its own expression
        m = group.search(text)
        if not m:
            break
        pieces.append(m.group(0)[1:-1])
        text = text[:m.start()] + " X " + text[m.end():]
    pieces.append(text)
    for piece in pieces:
        for seg in re.split(r"[;|]", piece):
            words = seg.split()
            if not words or not re.fullmatch(r"[A-Z][a-z]+-[A-Za-z]+", words[0]):
                continue
            name = words[0]
            known = KNOWN["cmdlets"].get(name)
            if known is None:
                problems.append("unknown cmdlet %s" % name)
                continue
            if known.get("cite", True):
                need.add(known["source"])
            allowed = {p.lower() for p in known["params"] + KNOWN["ps_common"]}
            for w in words[1:]:
                p = re.match(r"-([A-Za-z][A-Za-z0-9]*)", w)
                if p and ("-" + p.group(1)).lower() not in allowed:
                    problems.append("%s has no parameter -%s" % (name, p.group(1)))
    return problems


def check_az(text, need):
    """An Azure CLI command: group and verb, parameters, and any PowerShell it runs."""
    words = shlex.split(re.sub(r"\{\{\w+\}\}", "SLOT", text))
    if words[:1] != ["az"]:
        return ["not an az command: %s" % text]
    k = next((i for i, w in enumerate(words) if w.startswith("-")), len(words))
    name = " ".join(words[1:k])
    known = KNOWN["az"].get(name)
    if known is None:
        return ["unknown az command 'az %s'" % name]
    need.add(known["source"])
    problems = []
    allowed = set(known["params"] + KNOWN["az_global"])
    for i in range(k, len(words)):
        w = words[i]
        if w.startswith("-") and not re.fullmatch(r"-\d.*", w):
            if w.split("=")[0] not in allowed:
                problems.append("az %s has no parameter %s" % (name, w))
            if w == "--scripts":
                for script in words[i + 1:]:
                    if script.startswith("--"):
                        break
                    problems += check_powershell(script, need)
    # Cloud Shell's bash expands $ inside double quotes before PowerShell sees it.
    if re.search(r'--scripts\s+"[^"]*\$', text):
        problems.append("a $ inside a double-quoted --scripts value is expanded by bash")
    return problems


def check_tool(shell, text, need):
    """A cmd or reg command line: the tool, its subcommand and its switches."""
    problems = []
    text = re.sub(r"\{\{\w+\}\}", "SLOT", text)
    text = re.sub(r"\"[^\"]*\"", '""', text)
    for seg in re.split(r"\|", text.split(">")[0]):
        words = seg.split()
        if not words:
            continue
        tool = words[0].lower()
        if tool == "netsh" and words[1:2] == ["winsock"]:
            tool = "netsh winsock"
        known = KNOWN["tools"].get(tool)
        if known is None:
            problems.append("unknown %s command %s" % (shell, words[0]))
            continue
        if known.get("cite", True):
            need.add(known["source"])
        rest = words[1:]
        if "subcommands" in known and (not rest or rest[0].lower() not in known["subcommands"]):
            problems.append("%s has no subcommand %s" % (tool, rest[0] if rest else "(none)"))
        if "forms" in known and not any(" ".join(words[1:]).lower().startswith(f) for f in known["forms"]):
            problems.append("netsh form not known: %s" % seg.strip())
        for w in rest:
            m = re.match(r"([/-][A-Za-z0-9]+)", w)
            if m and not re.fullmatch(r"-\d+", w) and m.group(1).lower() not in known["switches"]:
                problems.append("%s has no switch %s" % (tool, m.group(1)))
    return problems


PROSE = [
    (re.compile(r"\((?:run|on|from|for|see|or|note|if|only|as|e\.g\.)\b[^)]*\)", re.I), "a parenthesised note"),
    (re.compile(r"\brun (?:from|on|as|it)\b", re.I), "an instruction ('run from ...')"),
    (re.compile(r"\bon the (?:host|client|gateway|router)\b", re.I), "a note on where it runs"),
    (re.compile(r"\S\s{3,}\S"), "a gap of spaces before a comment"),
]


def check_prose(cmd):
    if cmd["shell"] == "gui":
        return []
    return ["prose in command text (%s): %s" % (what, cmd["text"])
            for rx, what in PROSE if rx.search(cmd["text"])]


def check_command(cmd, need):
    shell, text = cmd["shell"], cmd["text"]
    problems = check_prose(cmd)
    if shell == "powershell":
        problems += check_powershell(text, need)
    elif shell == "azure-cli":
        problems += check_az(text, need)
    elif shell in ("cmd", "reg"):
        problems += check_tool(shell, text, need)
    return problems


def check_record(rec):
    """Every problem with one fix or fact's commands, citations and undo."""
    need, problems = set(), []
    for cmd in commands(rec):
        problems += check_command(cmd, need)
    cited = {s["source"] for s in rec["sources"]}
    problems += ["does not cite %s, which documents a command it uses" % s for s in sorted(need - cited)]
    problems += check_undo(rec)
    return problems


def check_undo(rec):
    """A medium or high-risk fix's undo names each thing its commands change."""
    if rec.get("risk") not in ("medium", "high"):
        return []
    undo = rec.get("undo", "")
    problems = [] if undo else ["a %s-risk fix without an undo" % rec["risk"]]
    for cmd in rec["commands"]:
        for ch in KNOWN["changes"]:
            m = re.search(ch["pattern"], cmd["text"])
            if not m:
                continue
            want = ch["undo"].replace("$1", m.group(1) if m.groups() else "")
            if want.lower() not in undo.lower():
                problems.append("undo does not name %s, which '%s' changes" % (want, cmd["text"]))
    return problems


# ---- the knowledge base passes ----

@pytest.mark.parametrize("rec", RECORDS, ids=[r["id"] for r in RECORDS])
def test_record_commands_are_known_cited_and_undone(rec):
    assert check_record(rec) == []


def test_every_listed_command_points_at_a_documentation_source_with_a_link():
    entries = list(KNOWN["az"].values()) + list(KNOWN["cmdlets"].values()) + list(KNOWN["tools"].values())
    for e in entries:
        src = SOURCES.get(e["source"])
        assert src is not None, e["source"]
        assert src["file"].startswith("https://"), src
        assert src["title"] and src["note"], src


def test_guide_renders_the_documentation_sources_as_links():
    r = subprocess.run([BIN, "--kb", KB, "export", "guide", "--cause", "expired_rdp_certificate"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    html = subprocess.run(["cmark"], input=r.stdout, capture_output=True, text=True, check=True).stdout
    for sid in ("doc_az_cli_vm_run_command", "script_reset_rdp_cert", "doc_azure_rdp_internal_error"):
        src = SOURCES[sid]
        assert '<a href="%s">%s</a>' % (src["file"], src["title"]) in html, sid


def test_the_checks_cover_every_kind_of_command():
    shells = {c["shell"] for r in RECORDS for c in commands(r)}
    assert shells == {"powershell", "cmd", "reg", "gui", "azure-cli"}


# ---- each check catches what it is there for ----

def fix(commands, risk="low", undo="", sources=()):
    return {"id": "bad", "risk": risk, "undo": undo, "commands": commands,
            "sources": [{"source": s} for s in sources]}


def c(shell, text, on="host"):
    return {"shell": shell, "on": on, "text": text}


@pytest.mark.parametrize("text, problem", [
    ("az vm user reset-remote-desktop --resource-group RG --name VM",
     "unknown az command 'az vm user reset-remote-desktop'"),
    ("az vm restart --resource-group RG --vm-name VM", "az vm restart has no parameter --vm-name"),
    ("az vm run-command invoke -g RG -n VM --command-id RunPowerShellScript --scripts \"Restart-Service -Name TermService -Forcefully\"",
     "Restart-Service has no parameter -Forcefully"),
    ("az vm run-command invoke -g RG -n VM --command-id RunPowerShellScript --scripts \"Get-ChildItem -Path 'Cert:\\LocalMachine\\My' | Where-Object { $_.NotAfter -lt (Get-Date) } | Remove-Item\"",
     "a $ inside a double-quoted --scripts value is expanded by bash"),
])
def test_az_check_catches(text, problem):
    assert problem in check_record(fix([c("azure-cli", text, "portal")], sources=["doc_az_cli_vm_run_command", "doc_az_cli_vm", "doc_ps_management"]))


@pytest.mark.parametrize("text, problem", [
    ("Enable-RemoteDesktop -Force", "unknown cmdlet Enable-RemoteDesktop"),
    ("Get-ChildItem -Path 'Cert:\\LocalMachine\\Remote Desktop' | Where-Object { $_.NotAfter -lt (Get-Date) } | Remove-Item -Forced",
     "Remove-Item has no parameter -Forced"),
    ("Remove-Item -Path (Join-Path $env:USERPROFILE 'x') -Recurse -Confrim", "Remove-Item has no parameter -Confrim"),
    ("Enable-NetFirewallRule -DisplayGroup 'Remote Desktop' -Profile Private", "Enable-NetFirewallRule has no parameter -Profile"),
])
def test_powershell_check_catches(text, problem):
    assert problem in check_record(fix([c("powershell", text)], sources=["doc_ps_management", "doc_ps_netsecurity"]))


def test_powershell_check_ignores_operators_inside_script_blocks_and_strings():
    need = set()
    assert check_powershell("Get-WinEvent -LogName System | Where-Object { $_.ProviderName -like '*TS*' -or $_.Id -eq 1 } | Format-List -Property 'a -b'", need) == []
    assert need == {"doc_ps_diagnostics"}


@pytest.mark.parametrize("shell, text, problem", [
    ("cmd", "mstsc /v:{{host}}   (run from another computer)", "prose in command text (a parenthesised note): mstsc /v:{{host}}   (run from another computer)"),
    ("cmd", "mstsc /v:{{host}} (on the host)", "prose in command text (a note on where it runs): mstsc /v:{{host}} (on the host)"),
    ("powershell", "Restart-Service -Name TermService (run as administrator)", "prose in command text (an instruction ('run from ...')): Restart-Service -Name TermService (run as administrator)"),
    ("cmd", "ping -f -x 1472 HOST", "ping has no switch -x"),
    ("cmd", "telnet HOST 3389", "unknown cmd command telnet"),
    ("reg", "reg set \"HKLM\\SOFTWARE\\X\" /v Y /d 1", "reg has no subcommand set"),
    ("reg", "reg add \"HKLM\\SOFTWARE\\X\" /v Y /d 1 /force", "reg has no switch /force"),
    ("cmd", "netsh firewall set opmode disable", "netsh form not known: netsh firewall set opmode disable"),
])
def test_tool_and_prose_checks_catch(shell, text, problem):
    assert problem in check_record(fix([c(shell, text)], sources=["doc_mstsc", "doc_ping", "doc_reg", "doc_netsh_interface", "doc_ps_management"]))


def test_citation_check_catches_an_undocumented_command():
    problems = check_record(fix([c("powershell", "Get-NetAdapter | Format-Table Name")], sources=["seed_000"]))
    assert problems == ["does not cite doc_ps_netadapter, which documents a command it uses"]


@pytest.mark.parametrize("text, undo, problem", [
    ("reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\" /v SecurityLayer /t REG_DWORD /d 1 /f",
     "Put it back as it was.", "undo does not name SecurityLayer, which 'reg add \"HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp\" /v SecurityLayer /t REG_DWORD /d 1 /f' changes"),
    ("Set-NetFirewallRule -Name 'RemoteDesktop-UserMode-In-TCP' -Enabled True", "Turn the rule off again.",
     "undo does not name RemoteDesktop-UserMode-In-TCP, which 'Set-NetFirewallRule -Name 'RemoteDesktop-UserMode-In-TCP' -Enabled True' changes"),
    ("Disable-NetAdapterLso -Name 'Ethernet'", "Turn it back on.",
     "undo does not name NetAdapterLso, which 'Disable-NetAdapterLso -Name 'Ethernet'' changes"),
    ("Restart-Service -Name TermService -Force", "", "a medium-risk fix without an undo"),
])
def test_undo_check_catches_an_undo_that_does_not_name_the_change(text, undo, problem):
    problems = check_record(fix([c("reg" if text.startswith("reg") else "powershell", text)], risk="medium", undo=undo,
                                sources=["doc_reg", "doc_ps_netsecurity", "doc_ps_netadapter", "doc_ps_management"]))
    assert problem in problems


def test_undo_check_passes_a_low_risk_fix_and_a_named_undo():
    cmd = c("reg", "reg add \"HKLM\\SOFTWARE\\X\" /v KeepAliveEnable /t REG_DWORD /d 1 /f")
    assert check_record(fix([cmd], risk="low", sources=["doc_reg"])) == []
    assert check_record(fix([cmd], risk="high", undo="reg delete ... /v KeepAliveEnable /f", sources=["doc_reg"])) == []
