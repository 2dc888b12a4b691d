"""test_fit.py: fixes and commands that fit the situation (issue 16) and
template slots as data (issue 11, item 1). Typed free-text facts refused
in every front end; slots filled, quoted and shown as <slot> the same way
everywhere; where fixes, steps and commands apply, walked over every
(host_kind, connection_path) and every public case; kb build's checks on
conditions and slots; exclude() from a rule; the shell's offer to fill a
slot, in a pseudo-terminal.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_fit.py
"""
import itertools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pexpect
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
CASES = ROOT.parent / "shared" / "eval" / "cases-public.jsonl"
INJECTION = "srv1; Remove-Item -Recurse -Force C:\\ #"
INJECTION_MSG = ("host_name: 'srv1; Remove-Item -Recurse -Force C:\\ #' is not a host name or IP "
                 "address: letters, digits, '-', '_' and '.' (a DNS or computer name), or an IPv4 "
                 "or IPv6 address")


def run(*args, kb=KB, stdin=None, env=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([BIN, "--kb", kb, *args], capture_output=True, text=True, timeout=60,
                          input=stdin, env=e)


def diagnose(*facts):
    args = [a for f in facts for a in ("--fact", f)]
    r = run("diagnose", *args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def jsonl(lines, *facts):
    args = [a for f in facts for a in ("--fact", f)]
    r = run("session", "--jsonl", *args, stdin="".join(json.dumps(x) + "\n" for x in lines))
    assert r.returncode == 0, r.stderr
    return [json.loads(x) for x in r.stdout.splitlines()]


FIXES = {f["id"]: f for f in json.loads(run("kb", "list", "fixes", "--json").stdout)}
FACTS = {f["id"]: f for f in json.loads(run("kb", "list", "facts", "--json").stdout)}


def holds(where, known):
    """Whether conditions hold for the facts known: True, False or None (not known)."""
    result = True
    for c in where or []:
        v = known.get(c["fact"])
        if v is None or v == "unknown":
            result = None
            continue
        inside = v in c.get("is", c.get("not", []))
        if inside != ("is" in c):
            return False
    return result


# ---- typed free text: refused when given, in every front end ----

def test_injection_refused_by_fact_option():
    r = run("diagnose", "--fact", "host_name=" + INJECTION)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines()[0] == "triage: " + INJECTION_MSG


def test_injection_refused_in_json_lines_and_nothing_lost():
    out = jsonl([{"fact": "host_name", "value": INJECTION}, {"fact": "host_name", "value": "srv1"}])
    errors = [o for o in out if o["type"] == "error"]
    assert errors == [{"type": "error", "message": INJECTION_MSG}]
    actions = [o for o in out if o["type"] in ("question", "recommend")]
    assert "<host>" in json.dumps(actions[0]) or "<host>" not in json.dumps(actions[-1])
    assert "<host>" not in json.dumps(actions[-1])


def test_injection_refused_by_shell_set(tmp_path):
    r = run("ask", stdin="set host_name=%s\nfacts\nquit\n" % INJECTION,
            env={"TRIAGE_SESSIONS": str(tmp_path / "s.sqlite"), "NO_COLOR": "1"})
    assert "error: " + INJECTION_MSG in re.sub(r"\n {7}(?=\S)", " ", r.stderr)  # unwrapped
    assert "host_name" not in r.stdout.split("Facts so far:")[-1]


@pytest.mark.parametrize("fact, value, message", [
    ("rdp_port", "3389; calc", "rdp_port: '3389; calc' is not a port number: a whole number from 1 to 65535"),
    ("rdp_port", "0", "rdp_port: '0' is not a port number: a whole number from 1 to 65535"),
    ("host_ip", "10.0.0", "host_ip: '10.0.0' is not an IP address: an IPv4 address such as 10.0.0.4, "
     "or an IPv6 address"),
    ("azure_resource_group", "--debug", "azure_resource_group: '--debug' is not an Azure resource name: "
     "1 to 90 letters, digits, '-', '_', '.', '(' or ')', starting with a letter, digit or '_'"),
    ("host_name", "srv\u202e1", "host_name: text contains an invisible or bidirectional format "
     "character U+202E at byte 3"),
    ("host_name", "srv\uff1b1", None),
])
def test_typed_values_refused_with_a_clear_message(fact, value, message):
    out = jsonl([{"fact": fact, "value": value}])
    err = [o["message"] for o in out if o["type"] == "error"]
    assert len(err) == 1
    if message:
        assert err[0] == message
    assert err[0].startswith(fact + ": ")


# ---- slots: filled, quoted, and <slot> when unfilled, everywhere ----

def all_texts(action):
    texts = [action.get("help", ""), action.get("undo", ""), action.get("outcome", "")]
    texts += action.get("steps", []) + [c["text"] for c in action.get("check", []) + action.get("commands", [])]
    return texts


def test_unfilled_slots_show_as_angle_brackets_and_are_listed():
    d = diagnose("host_kind=azure_vm")
    actions = [d["next"]] + d["fixes"]
    for a in actions:
        text = " ".join(all_texts(a))
        assert "{{" not in text and "HOST" not in text.replace("localhost", "")
        named = {u["slot"] for u in a["unfilled"]}
        assert named == set(re.findall(r"<([a-z_]+)>", text)) - {"the"} or named <= set(re.findall(r"<([a-z_]+)>", text))
    nsg = next(f for f in d["fixes"] if f["fix"] == "allow_rdp_in_nsg")
    assert {"slot": "resource_group", "fact": "azure_resource_group"} in nsg["unfilled"]
    cmd = next(c for c in nsg["commands"] if c["text"].startswith("az network nsg rule list"))
    assert cmd["text"] == ("az network nsg rule list --resource-group <resource_group> --nsg-name <nsg_name>"
                           " --include-default --output table")
    assert cmd["unfilled"] == [{"slot": "resource_group", "fact": "azure_resource_group"},
                               {"slot": "nsg_name", "fact": "nsg_name"}]


def test_slots_fill_in_commands_checks_steps_undo_and_gui_paths():
    d = diagnose("host_name=srv-01", "rdp_port=5000", "host_kind=azure_vm", "azure_resource_group=rg-a",
                 "nsg_name=nsg-a", "azure_vm_name=vm1", "host_ip=10.0.0.4")
    fixes = {f["fix"]: f for f in d["fixes"]}
    custom = fixes["connect_to_custom_port"]
    assert {"shell": "cmd", "on": "client", "text": "mstsc /v:srv-01:5000"} in custom["commands"]
    assert "mstsc /v:srv-01:5000 reaches" in custom["outcome"]
    nsg = fixes["allow_rdp_in_nsg"]
    assert nsg["undo"].startswith("Delete the rule: az network nsg rule delete --resource-group rg-a --nsg-name nsg-a")
    assert any(c["shell"] == "gui" and "Virtual machines > vm1 >" in c["text"] for c in nsg["commands"])
    creds = fixes["clear_saved_credentials"]
    assert "srv-01\\user" in creds["steps"][-1]
    assert {"shell": "gui", "on": "client", "text": "Control Panel > Credential Manager > Windows Credentials > "
            "TERMSRV/srv-01 > Remove"} in creds["commands"]
    dns = fixes["connect_by_ip_and_flush_dns"]
    assert dns["commands"][-1]["text"] == ('Add-Content -Path "$env:SystemRoot\\System32\\drivers\\etc\\hosts"'
                                          ' -Value "`r`n10.0.0.4 srv-01"')
    out = jsonl([], "host_name=srv-01")
    q = [o for o in out if o["type"] == "question"][0]
    if q["fact"] == "port_3389_open":
        assert q["check"][0]["text"] == "Test-NetConnection srv-01 -Port 3389"


def test_a_port_given_as_a_number_says_whether_it_is_the_default():
    d = diagnose("rdp_port=3389")
    assert "connect_to_custom_port" not in [f["fix"] for f in d["fixes"]]
    d = diagnose("rdp_port=5000", "host_name=srv")
    custom = next(f for f in d["fixes"] if f["fix"] == "connect_to_custom_port")
    assert "Test-NetConnection -ComputerName srv -Port 5000" in [c["text"] for c in custom["commands"]]


def test_a_rule_fills_a_slot_through_the_same_quoting():
    d = diagnose("rdp_listening_port=3389", "host_name=srv")
    fw = next(f for f in d["fixes"] if f["fix"] == "enable_rdp_firewall_rules")
    assert ("New-NetFirewallRule -DisplayName 'Remote Desktop custom port (TCP-In)' -Direction Inbound"
            " -Protocol TCP -LocalPort 3389 -Profile Domain, Private -Action Allow") in [c["text"] for c in fw["commands"]]
    assert [u for u in fw["unfilled"] if u["slot"] == "port"] == []   # the rule filled it


def test_guide_and_text_exports_show_unfilled_slots_the_same_way():
    r = run("export", "guide", "--cause", "corrupt_saved_credentials")
    assert r.returncode == 0
    assert "TERMSRV/<host>" in r.stdout and "{{" not in r.stdout


# ---- where fixes apply ----

HOST_KINDS = ["workstation", "server", "azure_vm", "avd", "other_cloud_vm"]
PATHS = ["lan", "vpn", "internet", "rd_gateway"]
GATEWAY_FIXES = {"fix_rd_gateway_policies", "trust_gateway_certificate", "rd_gateway_transport_registry"}


def check_in_context(action, known, where):
    """An action shown for the facts known fits them, by its records and by its text."""
    hk, cp = (None if known.get(f) == "unknown" else known.get(f) for f in ("host_kind", "connection_path"))
    fix = FIXES[action["fix"]]
    assert holds(fix.get("applies"), known) is not False, (where, action["fix"])
    for c in action["commands"]:
        stored = [s for s in fix["commands"] if s["shell"] == c["shell"] and s["on"] == c["on"]]
        assert stored, (where, c)
        if hk in ("workstation", "server", "other_cloud_vm"):
            assert not c["text"].startswith("az ") and "Azure portal" not in c["text"], (where, action["fix"], c)
            assert "AzWvd" not in c["text"], (where, c)
        if hk == "azure_vm":
            assert "AzWvd" not in c["text"] and "Azure Virtual Desktop" not in c["text"], (where, c)
    if cp is not None and cp != "rd_gateway":
        assert action["fix"] not in GATEWAY_FIXES, where
    if cp is not None and cp != "vpn":
        assert action["fix"] != "lower_vpn_mtu", where
    if hk is not None and hk != "avd":
        assert action["fix"] != "restore_avd_session_host", where
    if hk is not None and hk not in ("azure_vm", "avd"):
        assert action["fix"] not in ("rename_machinekeys_azure", "allow_rdp_in_nsg", "use_azure_bastion_or_jit")
    if hk in ("azure_vm", "avd"):
        assert action["fix"] != "rename_machinekeys_server", where


@pytest.mark.parametrize("hk, cp", list(itertools.product(HOST_KINDS, PATHS)))
def test_every_context_combination_keeps_fixes_and_commands_in_context(hk, cp):
    known = {"host_kind": hk, "connection_path": cp}
    d = diagnose("host_kind=" + hk, "connection_path=" + cp)
    for f in d["fixes"]:
        check_in_context(f, known, (hk, cp))
        fix = FIXES[f["fix"]]
        shown = [c["text"] for c in f["commands"]]
        for c in fix["commands"]:
            if holds(c.get("applies"), known) is False:
                assert re.sub(r"\{\{[a-z_]+\}\}", "", c["text"])[:30] not in " ".join(shown) or any(
                    s2["text"] == c["text"] for s2 in fix["commands"] if holds(s2.get("applies"), known) is not False)
    if d["next"]["type"] == "recommend":
        check_in_context(d["next"], known, (hk, cp))


def test_the_on_premises_server_of_the_issue_gets_no_azure_fix():
    d = diagnose("host_kind=server", "rdp_cert_expired=yes", "cert_regenerates=no")
    ids = [f["fix"] for f in d["fixes"]]
    assert "rename_machinekeys_server" in ids and "rename_machinekeys_azure" not in ids
    renew = next(f for f in d["fixes"] if f["fix"] == "renew_rdp_certificate")
    assert not any(c["shell"] == "azure-cli" for c in renew["commands"])
    assert not any("Run command ResetRDPCert" in s for s in renew["steps"])


def test_unknown_context_weighs_a_fix_by_the_chance_it_applies():
    d = diagnose()
    nsg = next(f for f in d["fixes"] if f["fix"] == "allow_rdp_in_nsg")
    assert nsg["applies"] == "host_kind is azure_vm"
    assert 0 < nsg["p_applies"] < 1
    az = [c for f in d["fixes"] for c in f["commands"] if c["shell"] == "azure-cli" and "when" in c]
    assert az and all(c["when"].startswith("host_kind is ") for c in az)


def read_cases():
    for line in CASES.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            yield json.loads(line)


@pytest.mark.parametrize("case", list(read_cases()), ids=lambda c: c["id"])
def test_public_cases_recommend_nothing_outside_the_known_context(case):
    """Plays the case over JSON Lines; every fix offered fits what is known."""
    facts = dict(case["reported"])
    p = subprocess.Popen([BIN, "--kb", KB, "session", "--jsonl",
                          *[a for k, v in facts.items() for a in ("--fact", f"{k}={v}")]],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(40):
            line = json.loads(p.stdout.readline())
            if line["type"] == "ranking":
                continue
            if line["type"] == "done":
                break
            if line["type"] == "question":
                facts[line["fact"]] = case["facts"].get(line["fact"], "unknown")
                p.stdin.write(json.dumps({"answer": facts[line["fact"]]}) + "\n")
            else:
                check_in_context(line, facts, case["id"])
                fix = FIXES[line["fix"]]
                worked = case["cause"] in [r["cause"] for r in fix["resolves"]]
                p.stdin.write(json.dumps({"result": "worked" if worked else "failed"}) + "\n")
            p.stdin.flush()
    finally:
        p.stdin.close()
        p.wait(timeout=10)


# ---- kb build: conditions and slots ----

def kb_copy(tmp_path):
    top = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", top / "kb")
    shutil.copytree(ROOT / "rules", top / "rules")
    return top


def edit_fix(top, fid, fn):
    p = top / "kb" / "fixes" / (fid + ".json")
    d = json.loads(p.read_text())
    fn(d)
    p.write_text(json.dumps(d, indent=2))


@pytest.mark.parametrize("applies, message", [
    ([{"fact": "no_such_fact", "is": ["x"]}], "allow_rdp_in_nsg: applies on 'no_such_fact': no such fact with values"),
    ([{"fact": "host_kind", "is": ["moon"]}], "allow_rdp_in_nsg: applies on host_kind: 'moon' is not one of its values"),
    ([{"fact": "host_name", "is": ["srv"]}], "allow_rdp_in_nsg: applies on 'host_name': no such fact with values"),
    ([{"fact": "host_kind", "is": ["avd"], "not": ["server"]}],
     "allow_rdp_in_nsg: applies on host_kind: give exactly one of 'is' and 'not'"),
    ([{"fact": "host_kind", "is": []}], "allow_rdp_in_nsg: applies on host_kind: 'is' must be a non-empty list of values"),
    ([], "allow_rdp_in_nsg: 'applies' must be a non-empty list of conditions"),
])
def test_kb_build_refuses_a_condition_on_an_unknown_fact_or_value(tmp_path, applies, message):
    top = kb_copy(tmp_path)

    def put(d):
        d["applies"] = applies
    edit_fix(top, "allow_rdp_in_nsg", put)
    out = tmp_path / "out.sqlite"
    r = subprocess.run([BIN, "kb", "build", "-o", str(out), str(top)], capture_output=True, text=True)
    assert r.returncode == 1 and not out.exists()
    assert r.stderr == "triage: %s: %s\n" % (top / "kb" / "fixes" / "allow_rdp_in_nsg.json", message)


def test_kb_build_refuses_bad_kinds_and_slots(tmp_path):
    top = kb_copy(tmp_path)
    p = top / "kb" / "facts" / "host_ip.json"
    d = json.loads(p.read_text())
    d["holds"] = "hostname"
    p.write_text(json.dumps(d, indent=2))
    r = subprocess.run([BIN, "kb", "build", "-o", str(tmp_path / "o.sqlite"), str(top)], capture_output=True, text=True)
    assert r.stderr == "triage: %s: holds 'hostname' is not one of text, host, ip, azure_name, port, path, name\n" % p
    d["holds"], d["slot"] = "ip", "host"
    p.write_text(json.dumps(d, indent=2))
    r = subprocess.run([BIN, "kb", "build", "-o", str(tmp_path / "o.sqlite"), str(top)], capture_output=True, text=True)
    assert r.stderr == "triage: knowledge base: slot host is filled by more than one fact\n"


def test_kb_build_warns_of_a_slot_nothing_fills(tmp_path):
    top = kb_copy(tmp_path)

    def put(d):
        d["commands"][0]["text"] += " {{no_such_slot}}"
    edit_fix(top, "allow_rdp_in_nsg", put)
    r = subprocess.run([BIN, "kb", "build", "-o", str(tmp_path / "o.sqlite"), str(top)], capture_output=True, text=True)
    assert r.returncode == 0
    assert r.stderr == ("triage: warning: fix allow_rdp_in_nsg: {{no_such_slot}} is filled by no fact "
                        "(\"slot\") nor rule\n")


def test_dump_keeps_conditions_kinds_and_slots_byte_for_byte(tmp_path):
    r = run("kb", "dump", str(tmp_path / "d"))
    assert r.returncode == 0
    for sub in ("facts", "fixes"):
        for p in (ROOT / "kb" / sub).glob("*.json"):
            assert (tmp_path / "d" / "kb" / sub / p.name).read_text() == p.read_text(), p.name


# ---- exclude() from a rule ----

def test_a_rule_excludes_a_fix_and_says_why(tmp_path):
    top = kb_copy(tmp_path)
    (top / "rules" / "no_winsock.lua").write_text(
        'description = "test"\nreads = {"client_os"}\nsources = {"seed_000"}\n'
        'function run(f)\n  if f.client_os == "windows11" then\n'
        '    exclude("reset_winsock", "not on this client")\n  end\nend\n')
    out = tmp_path / "o.sqlite"
    assert subprocess.run([BIN, "kb", "build", "-o", str(out), str(top)]).returncode == 0
    r = run("diagnose", "--json", "--fact", "client_os=windows11", kb=str(out))
    ids = [f["fix"] for f in json.loads(r.stdout)["fixes"]]
    assert "reset_winsock" not in ids
    r = run("diagnose", "--json", "--fact", "client_os=windows10", kb=str(out))
    assert "reset_winsock" in [f["fix"] for f in json.loads(r.stdout)["fixes"]]
    (top / "rules" / "no_winsock.lua").write_text(
        'description = "test"\nreads = {"client_os"}\nsources = {"seed_000"}\n'
        'function run(f)\n  exclude("no_such_fix", "x")\nend\n')
    out2 = tmp_path / "o2.sqlite"
    # the build's dry run refuses undeclared reads only; the sandbox switches this rule off
    assert subprocess.run([BIN, "kb", "build", "-o", str(out2), str(top)], capture_output=True).returncode == 0
    r = run("diagnose", kb=str(out2))
    assert "rule no_winsock: rules/no_winsock.lua:5: exclude: unknown fix 'no_such_fix' (rule switched off)" in r.stderr


# ---- the shell offers to fill a slot ----

def test_shell_offers_once_to_fill_the_host_name(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "TERM": "xterm",
           "LANG": "C.UTF-8", "TRIAGE_SESSIONS": str(tmp_path / "s.sqlite"), "TRIAGE_KB": KB, "NO_COLOR": "1"}
    p = pexpect.spawn(BIN, ["--fact", "host_kind=workstation", "--fact", "connection_path=lan"], env=env,
                      dimensions=(40, 120), encoding="utf-8", timeout=20)
    prompts = [r"\r\n([a-z][a-z0-9_]*)\? ", r"\r\nworked/failed/skip\? ", r"\r\nhost_name \(Enter to skip\)> "]
    for _ in range(10):
        i = p.expect(prompts)
        if i == 2:
            break
        p.send("unknown\r" if i == 0 else "failed\r")
    else:
        raise AssertionError("no offer to fill <host>")
    assert "The commands need <host>: What is the name or address of the computer you connect to?" \
        in re.sub(r"\s*\r\n\s*", " ", p.before)
    p.send("srv1; calc\r")
    p.expect(r"\r\nhost_name \(Enter to skip\)> ")
    assert "error: host_name: 'srv1; calc' is not a host name or IP address" in re.sub(r"\s*\r\n\s*", " ", p.before)
    p.send("srv-42\r")
    i = p.expect(prompts[:2])
    assert "Noted: host_name = srv-42 (set)." in p.before
    assert "srv-42" in p.before and "<host>" not in p.before
    p.sendeof()
    p.expect(pexpect.EOF)
    p.close()


def test_shell_offer_skipped_with_enter_is_not_made_again(tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "TERM": "xterm",
           "LANG": "C.UTF-8", "TRIAGE_SESSIONS": str(tmp_path / "s.sqlite"), "TRIAGE_KB": KB, "NO_COLOR": "1"}
    p = pexpect.spawn(BIN, ["--fact", "host_kind=workstation", "--fact", "connection_path=lan"], env=env,
                      dimensions=(40, 120), encoding="utf-8", timeout=20)
    prompts = [r"\r\n([a-z][a-z0-9_]*)\? ", r"\r\nworked/failed/skip\? ", r"\r\n([a-z_]+) \(Enter to skip\)> ",
               pexpect.EOF, r"\r\ntriage> "]
    offers = []
    for _ in range(20):
        i = p.expect(prompts)
        if i >= 3:
            break
        if i == 2:
            offers.append(p.match.group(1))
            p.send("\r")
        else:
            p.send("unknown\r" if i == 0 else "failed\r")
    assert offers.count("host_name") == 1
    assert len(offers) == len(set(offers))
    p.close()


# ---- a session that ends unresolved names what its context ruled out ----

LAN_PC = ("connection_path=lan", "host_kind=workstation")


def exhaust(*facts, extra=(), seen=None, replies=None, recheck=None):
    """Plays a session that cannot tell anything and whose every fix fails;
    a stated answer asked again gets recheck(fact, was), by default the same
    again. Every line the engine sent goes to seen, every reply (as the
    shell's words) to replies."""
    p = subprocess.Popen([BIN, "--kb", KB, "session", "--jsonl", *extra,
                          *[a for f in facts for a in ("--fact", f)]],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    offered, session = [], None
    for _ in range(200):
        msg = json.loads(p.stdout.readline())
        if seen is not None:
            seen.append(msg)
        if msg["type"] == "ranking":
            session = msg.get("session", session)
            continue
        if msg["type"] == "done":
            break
        if msg["type"] == "handover":
            continue
        if msg["type"] == "recommend":
            offered.append(msg["fix"])
            word, reply = "failed", {"result": "failed"}
        elif "recheck" in msg:
            word = (recheck or (lambda f, was: was))(msg["fact"], msg["recheck"]["was"])
            reply = {"answer": word}
        else:
            word, reply = "unknown", {"answer": "unknown"}
        if replies is not None:
            replies.append(word)
        p.stdin.write(json.dumps(reply) + "\n")
    p.stdin.close()
    assert p.wait(timeout=30) == 0
    return msg, offered, session


def test_an_unresolved_session_names_the_fixes_its_context_ruled_out():
    done, offered, _ = exhaust(*LAN_PC)
    assert done["status"] == "exhausted"
    ruled = done["ruled_out"]
    known = dict(f.split("=") for f in LAN_PC)
    assert 0 < len(ruled) <= 5
    for r in ruled:
        # never offered, and what is known keeps it out
        assert r["fix"] not in offered
        assert holds(FIXES[r["fix"]].get("applies"), known) is False, r
        assert r["why"].startswith("it applies only if ") and "; here " in r["why"], r
        assert 0 < r["p"] < 1
    assert [r["p"] for r in ruled] == sorted((r["p"] for r in ruled), reverse=True)
    gw = next(r for r in ruled if r["fix"] == "trust_gateway_certificate")
    assert gw["why"] == "it applies only if connection_path is rd_gateway; here connection_path is lan"
    both = next(r for r in ruled if r["fix"] == "forward_rdp_port_from_internet")
    assert both["why"] == ("it applies only if connection_path is internet and host_kind is "
                           "workstation or server; here connection_path is lan")


def test_a_rule_exclusion_is_named_with_the_rules_reason():
    done, _, _ = exhaust("connection_path=internet", "host_kind=server")
    nla = [r for r in done["ruled_out"] if r["fix"] == "disable_nla_temporarily"]
    rule = (ROOT / "rules" / "fixes_in_context.lua").read_text()
    # the rule's own words, joined as Lua joins them
    why = re.search(r'exclude\("disable_nla_temporarily", "(.*?)"\s*\.\.\s*"(.*?)"\)', rule, re.S)
    assert why, "fixes_in_context.lua no longer excludes disable_nla_temporarily"
    assert nla and nla[0]["why"] == why.group(1) + why.group(2), done["ruled_out"]
    for r in done["ruled_out"]:
        if r["fix"] != "disable_nla_temporarily":
            assert r["why"].startswith("it applies only if "), r


def test_the_shell_shows_them_and_set_brings_them_back():
    replies = []
    exhaust(*LAN_PC, replies=replies)     # the same engine: the shell asks the same
    r = run("ask", *[a for f in LAN_PC for a in ("--fact", f)],
            stdin="".join(w + "\n" for w in replies) + "set connection_path=rd_gateway\nquit\n",
            env={"COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    out = r.stdout
    done = out.index("Done, unresolved.")
    noted = out.index("Noted: connection_path = rd_gateway (set).")
    shown = " ".join(out[done:noted].split())
    assert "Ruled out by what is known: Not offered, because of what the session knows. If an " \
           "answer was wrong, set FACT=VALUE puts it right and brings them back." in shown
    assert re.search(r"trust_gateway_certificate \d+% likely were it to apply: it applies only if "
                     r"connection_path is rd_gateway; here connection_path is lan\.", shown), shown
    # with the path put right the session goes on, and on the gateway
    after = out[noted:]
    assert "Done, unresolved." not in after
    assert re.search(r"^(gateway_cert_trusted|gateway_policies_ok): |^Try: (trust_gateway_certificate|"
                     r"fix_rd_gateway_policies|rd_gateway_transport_registry)", after, re.M), after


def test_the_session_report_lists_them_as_markdown():
    _, _, session = exhaust(*LAN_PC)
    assert session
    r = run("export", "session", str(session))
    assert r.returncode == 0, r.stderr
    html = subprocess.run(["cmark"], input=r.stdout, capture_output=True, text=True, check=True).stdout
    assert "<h2>Ruled out by what is known</h2>" in html
    assert re.search(r"<li><code>trust_gateway_certificate</code> \(\d+% likely were it to apply\): it "
                     r"applies only if connection_path is rd_gateway; here connection_path is lan\.</li>", html), html


def test_a_hand_over_carries_them_too():
    msgs = []
    done, _, session = exhaust(*LAN_PC, extra=("--reach", "client"), seen=msgs)
    ho = next(m for m in msgs if m["type"] == "handover")
    assert done["status"] == "handover"
    assert ho["ruled_out"] and ho["ruled_out"] == done["ruled_out"]
    assert any(r["fix"] == "use_azure_bastion_or_jit" and
               r["why"] == "it applies only if host_kind is azure_vm; here host_kind is workstation"
               for r in ho["ruled_out"])
    note = run("export", "handover", str(session))
    assert note.returncode == 0, note.stderr
    html = subprocess.run(["cmark"], input=note.stdout, capture_output=True, text=True, check=True).stdout
    assert "<h2>Ruled out by what is known</h2>" in html
    assert "<code>use_azure_bastion_or_jit</code>" in html


# ---- a stated answer that keeps the likeliest fix out is asked again, once ----

def test_a_stated_context_answer_is_asked_again_once_and_says_why():
    msgs = []
    done, offered, _ = exhaust(*LAN_PC, seen=msgs)
    again = [m for m in msgs if m["type"] == "question" and "recheck" in m]
    assert again, "connection_path=lan was never checked again"
    facts = [m["fact"] for m in again]
    assert len(facts) == len(set(facts))                        # once each
    assert set(facts) <= {"connection_path", "host_kind"}
    known = dict(f.split("=") for f in LAN_PC)
    for m in again:
        rc = m["recheck"]
        assert rc["was"] == known[m["fact"]]
        assert rc["fix"] not in offered
        assert any(c["fact"] == m["fact"] for c in FIXES[rc["fix"]]["applies"])
        assert holds(FIXES[rc["fix"]]["applies"], known) is False
        assert m["why"].startswith("asked again: %s is %s, which rules out %s (" % (m["fact"], rc["was"], rc["fix"]))
        assert m["why"].endswith("; if that answer was a guess, check it")
    assert done["status"] == "exhausted"


def test_a_corrected_answer_brings_the_right_fix_back():
    """A gateway problem reported as lan: every fix fails until the path is
    asked again and answered truly; then a gateway fix is offered."""
    msgs = []
    done, offered, _ = exhaust(*LAN_PC, seen=msgs,
                               recheck=lambda f, was: "rd_gateway" if f == "connection_path" else was)
    i = next(i for i, m in enumerate(msgs) if m.get("recheck") and m["fact"] == "connection_path")
    later = [m["fix"] for m in msgs[i:] if m["type"] == "recommend"]
    assert later and later[0] in {"trust_gateway_certificate", "fix_rd_gateway_policies",
                                  "rd_gateway_transport_registry"}, later
    assert all(m["fix"] not in {"trust_gateway_certificate", "fix_rd_gateway_policies",
                                "rd_gateway_transport_registry"} for m in msgs[:i] if m["type"] == "recommend")


def test_the_shell_says_why_it_asks_again():
    replies = []
    exhaust(*LAN_PC, replies=replies)
    r = run("ask", *[a for f in LAN_PC for a in ("--fact", f)],
            stdin="".join(w + "\n" for w in replies) + "quit\n", env={"COLUMNS": "200"})
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.split())
    assert re.search(r"Check an answer again: Asked again: connection_path is lan, which rules out \w+ "
                     r"\(\d+% likely were it to apply, more than the fixes left\): it applies only if .*?; "
                     r"if that answer was a guess, check it\. connection_path: How do you reach the remote "
                     r"computer\?", text), text[-3000:]
