"""test_reach.py: who is at the keyboard (issue 13). Every public case under
every reach is driven through `session --jsonl --reach`: no question whose
asker is out of reach and no fix needing a place or admin rights out of reach
is ever offered, and every session resolves or ends in a hand-over. Without a
reach (or with `all`) the sessions are byte for byte what they were. A reach
changed mid-session re-plans, and widening it brings the held-back steps back
in the hand-over's order; a handed-over session resumed with a wider reach
continues where it stopped. The hand-over note (JSON and Markdown, checked
with cmark) lists exactly the session's facts, failed fixes and remaining
plan. The configuration file and the precedence flag > environment > file >
built-in, with the exact error of every kind of bad line.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_reach.py
"""
import itertools
import json
import os
import re
import sqlite3
import subprocess
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
CASES = [json.loads(line) for line in open(ROOT.parent / "shared" / "eval" / "cases-public.jsonl")
         if line.strip() and not line.startswith("#")]
PLACES = ["client", "host", "portal", "network", "gateway"]
ASKER = {"client": "client", "host_admin": "host", "cloud_admin": "portal", "network_admin": "network"}
ON = {"client": "client", "host": "host", "portal": "portal", "router": "network", "gateway": "gateway"}
NS = "{http://commonmark.org/xml/1.0}"


@pytest.fixture(autouse=True)
def own_config(tmp_path, monkeypatch):
    """No user configuration or reach from the environment leaks in."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for var in ("TRIAGE_REACH", "TRIAGE_COLOR", "TRIAGE_TECHNICIAN", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)


def run(*args, env=None, kb=True):
    return subprocess.run([BIN, *(["--kb", KB] if kb else []), *args], capture_output=True, text=True,
                          env=env)


def every_reach():
    """Every reach: each non-empty set of places, with and without admin
    rights on the client when the client is in it (they are rights there),
    and all."""
    out = []
    for n in range(1, len(PLACES) + 1):
        for places in itertools.combinations(PLACES, n):
            out.append(",".join(places))
            if "client" in places:
                out.append(",".join(places + ("admin",)))
    return out + ["all"]


def fixes_admin():
    return {f["id"]: f["admin"] for f in json.loads(run("kb", "list", "fixes", "--json").stdout)}


def askers():
    return {f["id"]: f["asker"] for f in json.loads(run("kb", "list", "facts", "--json").stdout)}


def drive(case, reach=None, extra=(), save=False, env=None):
    """Plays case through session --jsonl: the user answers from the case,
    a fix works when it addresses the case's cause. Returns every line."""
    argv = [BIN, "--kb", KB, "session", "--jsonl", *([] if save else ["--no-save"]), *extra]
    if reach:
        argv += ["--reach", reach]
    for k, v in case["reported"].items():
        argv += ["--fact", "%s=%s" % (k, v)]
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
    lines = []
    for _ in range(200):
        line = p.stdout.readline()
        if not line:
            break
        msg = json.loads(line)
        lines.append(msg)
        if msg["type"] == "question":
            p.stdin.write(json.dumps({"answer": case["facts"].get(msg["fact"], "unknown")}) + "\n")
        elif msg["type"] == "recommend":
            p.stdin.write(json.dumps({"result": "worked" if case["cause"] in msg["causes"] else "failed"}) + "\n")
        elif msg["type"] == "done":
            break
        p.stdin.flush()
    p.stdin.close()
    p.wait(timeout=10)
    return lines


def in_reach(reach, need):
    names = set(PLACES + ["admin"]) if reach == "all" else set(reach.split(","))
    return need <= names


def check_session(case, reach, admin, asker):
    lines = drive(case, reach)
    bad = []
    for i, msg in enumerate(lines):
        if msg["type"] == "question" and not in_reach(reach, {ASKER[asker[msg["fact"]]]}):
            bad.append("asked %s (%s)" % (msg["fact"], asker[msg["fact"]]))
        if msg["type"] == "recommend":
            need = {ON[c["on"]] for c in msg["commands"]} or {"client"}
            if admin[msg["fix"]] and "client" in need:
                need.add("admin")
            if not in_reach(reach, need):
                bad.append("offered %s needing %s" % (msg["fix"], sorted(need)))
        if msg["type"] == "handover":
            assert lines[i + 1] == {"type": "done", "status": "handover", "ruled_out": msg["ruled_out"]}
            assert msg["steps"] and all(s["fix"] and s["causes"] for s in msg["steps"])
    status = lines[-1]["status"]
    return bad, status, lines


def test_no_out_of_reach_question_or_fix_over_every_public_case_and_reach():
    admin, asker = fixes_admin(), askers()
    jobs = [(case, reach) for reach in every_reach() for case in CASES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda j: (j,) + check_session(j[0], j[1], admin, asker), jobs))
    offences = ["%s --reach %s: %s" % (j[0]["id"], j[1], b) for j, bad, _, _ in results for b in bad]
    assert offences == []
    assert {status for _, _, status, _ in results} <= {"resolved", "handover"}
    # a reach can only hand over: never exhausted, and all resolves every case
    assert all(status == "resolved" for (c, r), _, status, _ in results if r == "all")
    assert sum(status == "handover" for _, _, status, _ in results) > len(CASES)


def test_without_reach_or_with_all_the_sessions_are_the_same_bytes(monkeypatch):
    def raw(case, *extra, env=None):
        argv = [BIN, "--kb", KB, "session", "--jsonl", "--no-save", *extra]
        argv += ["--fact=%s=%s" % kv for kv in case["reported"].items()]
        script = [json.dumps({"answer": "unknown"})] * 40
        return subprocess.run(argv, input="\n".join(script) + "\n", capture_output=True, text=True,
                              env=env).stdout
    for case in CASES[:6]:
        plain = raw(case)
        assert '"reach"' not in plain and "handover" not in plain
        assert raw(case, "--reach", "all") == plain
        assert raw(case, "--reach", "client,all") == plain
        assert raw(case, env=dict(os.environ, TRIAGE_REACH="all")) == plain


def test_a_limited_reach_says_so_in_the_ranking_and_asks_only_in_reach():
    lines = drive(CASES[0], "client")
    rankings = [m for m in lines if m["type"] == "ranking"]
    assert rankings and all(m["reach"] == "client" for m in rankings)
    handover = [m for m in lines if m["type"] == "handover"][0]
    assert handover["reach"] == "client"
    assert handover["steps"][0]["fix"] == "renew_rdp_certificate"
    assert handover["steps"][0]["needs"] == ["host"]


def session_proc(*args):
    return subprocess.Popen([BIN, "--kb", KB, "session", "--jsonl", "--no-save", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, bufsize=1)


def reply(p, obj):
    p.stdin.write(json.dumps(obj) + "\n")
    p.stdin.flush()
    return json.loads(p.stdout.readline()), json.loads(p.stdout.readline())


def test_changing_reach_mid_session_replans_and_widening_restores_the_plan():
    facts = ["--fact=error_code=0x904", "--fact=connection_path=lan", "--fact=host_kind=server"]
    p = session_proc(*facts)
    first = json.loads(p.stdout.readline()), json.loads(p.stdout.readline())
    assert first[1]["type"] == "question"
    narrow = reply(p, {"reach": "client"})
    assert narrow[0]["reach"] == "client"
    assert narrow[1]["type"] in ("question", "recommend", "done")
    if narrow[1]["type"] == "question":
        assert askers()[narrow[1]["fact"]] == "client"
    wide = reply(p, {"reach": "all"})
    assert wide == first     # the same ranking and action as before: nothing was lost
    err = reply(p, {"reach": "client,hots"})
    assert err[0] == {"type": "error", "message": "unknown reach 'hots' (a reach is some of all, client, "
                      "host, portal, network, gateway, admin, separated by commas)"}
    assert err[1] == first[1]
    err = reply(p, {"reach": 3})
    assert err[0] == {"type": "error", "message": "\"reach\" must be a string such as \"client,host\""}
    p.stdin.close()
    p.wait(timeout=10)


def facts_of(lines, case):
    """The facts a driven session knows: reported, then every answer."""
    known = dict(case["reported"])
    for m in lines:
        if m["type"] == "question":
            known[m["fact"]] = case["facts"].get(m["fact"], "unknown")
    return known


def test_widening_a_handed_over_session_brings_the_held_back_steps_back_in_order(tmp_path):
    for case in CASES:
        lines = drive(case, "client", save=True)
        if lines[-1]["status"] != "handover":
            continue
        handover = [m for m in lines if m["type"] == "handover"][0]
        sid = [m["session"] for m in lines if m["type"] == "ranking"][0]
        known = facts_of(lines, case)
        failed = [m["fix"] for m in lines if m["type"] == "recommend"]
        # the next tier's plan is what a session with everything in reach plans here
        argv = ["diagnose", "--json", "--all"] + ["--fact=%s=%s" % kv for kv in known.items()
                                                  if kv[1] != "unknown"]
        if not failed:
            plan = json.loads(run(*argv).stdout)["fixes"]
            assert [s["fix"] for s in handover["steps"]] == [f["fix"] for f in plan], case["id"]
        # resumed with a wider reach it continues where it stopped: no hand-over, the same
        # decision as a session that reached everything all along
        p = subprocess.Popen([BIN, "--kb", KB, "session", "--jsonl", "--resume", str(sid), "--reach", "all"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        out, _ = p.communicate('{"command":"quit"}\n', timeout=10)
        resumed = [json.loads(x) for x in out.splitlines()]
        assert resumed[0]["type"] == "ranking" and "reach" not in resumed[0]
        assert resumed[1]["type"] in ("question", "recommend"), (case["id"], resumed[1])
        db = sqlite3.connect(os.environ["TRIAGE_SESSIONS"])
        assert db.execute("SELECT reach, ending FROM session WHERE id = ?", (sid,)).fetchone() == \
            ("", "handover")
        db.close()


def md_tree(md):
    xml = subprocess.run(["cmark", "--to", "xml"], input=md.encode(), capture_output=True,
                         check=True).stdout
    return ET.fromstring(xml)


def md_text(node):
    t = node.tag.replace(NS, "")
    if t in ("text", "code"):
        return node.text or ""
    if t in ("softbreak", "linebreak"):
        return " "
    return "".join(md_text(c) for c in node)


def sections(md):
    """Level-2 sections: {heading: [block nodes]}; no raw HTML anywhere."""
    root = md_tree(md)
    assert not any(n.tag.replace(NS, "") in ("html_block", "html_inline") for n in root.iter())
    out, cur = {}, None
    for block in root:
        if block.tag == NS + "heading" and block.get("level") == "2":
            cur = md_text(block)
            out[cur] = []
        elif cur:
            out[cur].append(block)
    return out


def test_the_hand_over_note_lists_exactly_the_facts_failed_fixes_and_plan():
    seen = 0
    for case in CASES:
        lines = drive(case, "client")
        if lines[-1]["status"] != "handover":
            continue
        seen += 1
        h = [m for m in lines if m["type"] == "handover"][0]
        known = facts_of(lines, case)
        failed = [m["fix"] for m in lines if m["type"] == "recommend"]
        # JSON: the facts with their origin, the failed fixes, the plan
        assert {f["fact"]: f["value"] for f in h["facts"] if f["origin"] != "rule"} == known
        for f in h["facts"]:
            assert f["origin"] == ("given" if f["fact"] in case["reported"] else
                                   "rule" if "rule" in f else "answer")
        assert h["failed"] == failed
        assert [c["id"] for c in h["ranking"]] == [c["id"] for c in
                                                    [m for m in lines if m["type"] == "ranking"][-1]["causes"]]
        # Markdown: the same, section by section
        s = sections(h["markdown"])
        assert list(s) == ["Facts", "Fixes that failed", "Most likely causes", "Next steps for the next tier"] + \
            (["Ruled out by what is known"] if h["ruled_out"] else [])
        ruled = [md_text(li) for li in s["Ruled out by what is known"][1]] if h["ruled_out"] else []
        assert [x.split()[0] for x in ruled] == [r["fix"] for r in h["ruled_out"]]
        items = [md_text(li) for li in s["Facts"][0]] if s["Facts"][0].tag == NS + "list" else []
        assert sorted(i.split(":")[0] for i in items) == sorted(f["fact"] for f in h["facts"])
        for f in h["facts"]:
            line = [i for i in items if i.startswith(f["fact"] + ":")][0]
            origin = {"given": "given at the start", "answer": "answered", "rule": "derived by rule"}[f["origin"]]
            assert origin in line
            assert "unknown (could not tell)" in line if f["value"] == "unknown" else "(%s)" % f["value"] in line
        failed_md = [md_text(li) for li in s["Fixes that failed"][0]] if failed else []
        assert [re.search(r"\((\w+)\)$", x).group(1) for x in failed_md] == failed
        if not failed:
            assert md_text(s["Fixes that failed"][0]) == "None."
        steps = [md_text(b) for b in s["Next steps for the next tier"] if b.tag == NS + "heading"
                 and b.get("level") == "3"]
        assert steps == ["Step %d" % (i + 1) for i in range(len(h["steps"]))]
        fix_lines = [md_text(b) for b in s["Next steps for the next tier"] if b.tag == NS + "paragraph"
                     and md_text(b).startswith("Fix ")]
        assert [x.split()[1].rstrip(";") for x in fix_lines] == [st["fix"] for st in h["steps"]]
    assert seen >= 10


def test_export_handover_of_a_saved_session_is_the_note_it_ended_with(tmp_path):
    env = dict(os.environ, TRIAGE_TECHNICIAN="Ann Example")
    lines = drive(CASES[0], "client", save=True, env=env)
    h = [m for m in lines if m["type"] == "handover"][0]
    sid = [m["session"] for m in lines if m["type"] == "ranking"][0]
    r = run("export", "handover", str(sid), env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("# Hand-over: Troubleshooting session %d: " % sid)
    assert r.stdout.split("\n", 1)[1] == h["markdown"].split("\n", 1)[1]
    assert "**Handed over by:** Ann Example\n" in r.stdout
    assert "**Reach of this session:** client.\n" in r.stdout
    # the recorded reach is used; --reach shows the note for another one
    wide = run("--reach", "all", "export", "handover", str(sid), env=env).stdout
    assert "**Reach of this session:** everything.\n" in wide
    assert "**Status:** in progress" in wide
    report = run("export", "session", str(sid), env=env).stdout
    assert "**Status:** handed over: nothing left in reach is worth doing first" in report
    assert "None within this session's reach: hand the problem over" in report
    assert run("export", "handover", "99").stderr == "triage: no saved session 99\n"
    assert run("export", "handover", "x").stderr.startswith("triage: export handover: 'x' is not a session ID\n")


def test_bad_reach_is_one_line_naming_what_is_wrong():
    r = run("--reach", "client,hots", "diagnose")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == ("triage: --reach: unknown reach 'hots' (a reach is some of all, client, host, portal, "
                        "network, gateway, admin, separated by commas)\n")
    r = run("--reach", "", "diagnose")
    assert r.stderr == "triage: --reach: reach needs a value\n"
    r = run("--reach", "client,,host", "diagnose")
    assert r.stderr == ("triage: --reach: an empty name in the reach list (a reach is some of all, client, "
                        "host, portal, network, gateway, admin, separated by commas)\n")
    r = run("diagnose", env=dict(os.environ, TRIAGE_REACH="nobody"))
    assert (r.returncode, r.stderr) == (1, "triage: TRIAGE_REACH: unknown reach 'nobody' (a reach is some of "
                                           "all, client, host, portal, network, gateway, admin, separated by "
                                           "commas)\n")
    assert run("--reach").stderr == "triage: --reach needs a value\n"


def config_of(out):
    """`triage config` output as {key: (value, from)}."""
    values, src = {}, None
    for line in out.splitlines():
        if line.startswith("# from: "):
            src = line[len("# from: "):]
        elif line.startswith("# technician = "):
            values["technician"] = (None, src)
        elif line and not line.startswith("#"):
            k, v = line.split(" = ", 1)
            values[k] = (v, src)
    return values


def write_config(tmp_path, text):
    d = tmp_path / "config" / "triage"
    d.mkdir(parents=True, exist_ok=True)
    (d / "config").write_text(text)
    return str(d / "config")


def test_config_precedence_flag_environment_file_builtin(tmp_path):
    env = dict(os.environ)
    env.pop("TRIAGE_KB", None)
    builtin = config_of(run("config", env=env, kb=False).stdout)
    assert builtin["reach"] == ("all", "built-in")
    assert builtin["color"] == ("auto", "built-in")
    assert builtin["technician"] == (None, "built-in")
    assert builtin["kb"][1] == "built-in"
    path = write_config(tmp_path, "# the help desk's defaults\n\nkb = ~/kb/desk.sqlite\n"
                        "reach = host , client\ncolor=never\n  technician =  Ann Example  \n")
    home = os.environ["HOME"]
    f = config_of(run("config", env=env, kb=False).stdout)
    assert f == {"kb": (home + "/kb/desk.sqlite", path + " line 3"), "reach": ("client,host", path + " line 4"),
                 "color": ("never", path + " line 5"), "technician": ("Ann Example", path + " line 6")}
    env.update(TRIAGE_KB="/srv/kb.sqlite", TRIAGE_REACH="portal", TRIAGE_COLOR="always",
               TRIAGE_TECHNICIAN="Bo")
    e = config_of(run("config", env=env, kb=False).stdout)
    assert e == {"kb": ("/srv/kb.sqlite", "TRIAGE_KB"), "reach": ("portal", "TRIAGE_REACH"),
                 "color": ("always", "TRIAGE_COLOR"), "technician": ("Bo", "TRIAGE_TECHNICIAN")}
    fl = config_of(run("--kb", "/x.sqlite", "--reach", "network,admin", "--color=never", "--technician", "Cy",
                       "config", env=env, kb=False).stdout)
    assert fl == {"kb": ("/x.sqlite", "--kb"), "reach": ("network,admin", "--reach"),
                  "color": ("never", "--color"), "technician": ("Cy", "--technician")}
    # the file's reach is the sessions' reach when nothing else says
    env.pop("TRIAGE_REACH")
    env["TRIAGE_KB"] = KB
    lines = drive(CASES[0], env=env)
    assert all(m.get("reach") == "client,host" for m in lines if m["type"] == "ranking")


def test_config_relative_kb_is_beside_the_file_and_no_color_yields_to_it(tmp_path):
    path = write_config(tmp_path, "kb = desk.sqlite\n")
    env = dict(os.environ, NO_COLOR="1")
    env.pop("TRIAGE_KB", None)
    c = config_of(run("config", env=env, kb=False).stdout)
    assert c["kb"] == (str(Path(path).parent / "desk.sqlite"), path + " line 1")
    assert c["color"] == ("never", "NO_COLOR")
    write_config(tmp_path, "color = always\n")
    assert config_of(run("config", env=env, kb=False).stdout)["color"] == ("always", path + " line 1")


@pytest.mark.parametrize("text,line,message", [
    ("reach client\n", 1, "expected key = value (keys: kb, reach, color, technician)"),
    ("# ok\nbogus = 1\n", 2, "unknown key 'bogus' (kb, reach, color, technician)"),
    ("reach = client\nreach = host\n", 2, "reach is set twice (first on line 1)"),
    ("reach = clients\n", 1, "unknown reach 'clients' (a reach is some of all, client, host, portal, "
                             "network, gateway, admin, separated by commas)"),
    ("color = sometimes\n", 1, "color is auto, always or never, not 'sometimes'"),
    ("technician =\n", 1, "technician needs a value"),
    ("technician = A\x1b[31mB\n", 1, "technician contains a control character U+001B at byte 1"),
])
def test_bad_config_file_is_one_line_naming_file_and_line(tmp_path, text, line, message):
    path = write_config(tmp_path, text)
    for args in (["config"], ["diagnose"], ["--version"]):
        r = run(*args)
        assert (r.returncode, r.stdout) == (1, "")
        assert r.stderr == "triage: %s line %d: %s\n" % (path, line, message)
    # a bad line is reported even when a flag overrides its key
    r = run("--reach", "all", "--color", "auto", "--technician", "Z", "config")
    assert r.stderr == "triage: %s line %d: %s\n" % (path, line, message)


def test_unreadable_config_file_is_an_error_and_help_needs_none(tmp_path):
    path = write_config(tmp_path, "reach = client\n")
    os.chmod(path, 0)
    try:
        if os.geteuid() != 0:
            r = run("config")
            assert r.stderr == "triage: %s: cannot read the configuration: Permission denied\n" % path
        assert run("--help").returncode == 0
    finally:
        os.chmod(path, 0o644)


def test_shell_reach_command_replans_and_hands_over(tmp_path):
    case = CASES[0]
    answers = ["connection_path", "lan", "server", "yes", "before", "no", "none"]
    script = "\n".join(answers + ["reach", "handover", "reach client,host", "quit"]) + "\n"
    r = subprocess.run([BIN, "--kb", KB, "--reach", "client", "ask", "--fact", "error_code=0x904"],
                       input=script, capture_output=True, text=True)
    out = r.stdout
    assert r.returncode == 0, r.stderr
    assert "The best next step is out of your reach (client): hand the problem over." in out
    assert "Your reach: client. reach LIST changes it" in out
    assert "# Hand-over: Troubleshooting session" in out
    assert "Your reach is now client,host." in out
    assert out.rindex("Try this fix: renew_rdp_certificate") > out.index("Your reach is now client,host.")
    bad = subprocess.run([BIN, "--kb", KB, "ask"], input="reach everyone\n", capture_output=True, text=True)
    assert "unknown reach 'everyone'" in bad.stderr


def test_the_reach_heads_the_prompt_on_a_terminal(tmp_path):
    import pexpect
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "TERM": "xterm",
           "LANG": "C.UTF-8", "TRIAGE_SESSIONS": str(tmp_path / "s.sqlite"), "TRIAGE_KB": KB,
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "NO_COLOR": "1"}
    p = pexpect.spawn(BIN, ["--reach", "client", "ask", "--fact", "error_code=0x904"], env=env,
                      dimensions=(40, 100), encoding="utf-8", timeout=20)
    p.expect(r"Your reach: client \(reach LIST changes it\)")
    p.expect(r"\r\n\[client\] ([a-z_]+)\? ")
    assert askers()[p.match.group(1)] == "client"
    p.send("reach all\r")
    p.expect(r"Your reach is now all\.")
    p.expect(r"\r\n([a-z_]+)\? ")        # the prompt alone: no reach shown for all
    p.sendeof()
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0
