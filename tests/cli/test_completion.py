"""Shell completion: `triage completion bash|zsh|fish` and the helper the
scripts call, `triage __complete WORD...`. bash's completion function is run
with COMP_WORDS/COMP_CWORD/COMP_LINE set as bash sets them; real bash and
zsh are then driven in a pseudo-terminal (pexpect) and fish through its own
`complete -C`. Ids are checked against what `kb list --json` says, so the
candidates come from the knowledge base in effect.
Run: TRIAGE_BIN=... TRIAGE_KB=... python3 -m pytest tests/cli/test_completion.py
"""
import json
import os
import re
import subprocess
from pathlib import Path

import pexpect

from test_kb import small_kb

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TRIAGE_BIN", str(ROOT / "build" / "triage"))
KB = os.environ.get("TRIAGE_KB", str(ROOT / "build" / "kb.sqlite"))
BINDIR = str(Path(BIN).resolve().parent)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]")


def environment(tmp_path, **extra):
    """triage on PATH by its own name, the knowledge base, a private HOME."""
    env = {"PATH": BINDIR + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": str(tmp_path), "TERM": "xterm", "LANG": "C.UTF-8", "TRIAGE_KB": KB,
           "TRIAGE_SESSIONS": str(tmp_path / "sessions.sqlite")}
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def run(*args, env):
    return subprocess.run([BIN, *args], env=env, capture_output=True, text=True, timeout=30)


def script(shell, env):
    r = run("completion", shell, env=env)
    assert r.returncode == 0 and r.stderr == ""
    return r.stdout


def ids(kind, env):
    return [r["id"] for r in json.loads(run("kb", "list", kind, "--json", env=env).stdout)]


def values(fact, env):
    return json.loads(run("kb", "show", fact, "--json", env=env).stdout)["values"]


def bash_complete(tmp_path, line, env=None):
    """COMPREPLY for the cursor at the end of line, calling _triage as bash
    does: COMP_WORDS split at blanks and at '=' (COMP_WORDBREAKS), $2 the
    text readline completes (after the last blank or '=')."""
    env = env or environment(tmp_path)
    words = re.findall(r"=|[^\s=]+", line) + ([""] if line.endswith(" ") else [])
    cur = re.split(r"[\s=]", line)[-1]
    prog = ('source <(triage completion bash)\n'
            'COMP_LINE=$1 COMP_POINT=${#1} COMP_CWORD=$(($# - 2)); shift\n'
            'COMP_WORDS=("$@")\n'
            '_triage triage "$CUR" "$PREV"\n'
            'printf "%s\\n" "${COMPREPLY[@]}"\n')
    r = subprocess.run(["bash", "-c", prog, "bash", line, *words], capture_output=True, text=True,
                       env=dict(env, CUR=cur, PREV=words[-2]), cwd=tmp_path, timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    return [w for w in r.stdout.splitlines() if w]


# ---- the command ----

def test_completion_needs_one_known_shell(tmp_path):
    env = environment(tmp_path)
    r = run("completion", env=env)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "triage: completion: name one shell: bash, zsh or fish\n" \
                       "usage: triage completion bash|zsh|fish\n"
    r = run("completion", "tcsh", env=env)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "triage: completion: unknown shell 'tcsh' (bash, zsh or fish)\n" \
                       "usage: triage completion bash|zsh|fish\n"


def test_scripts_are_valid_shell(tmp_path):
    env = environment(tmp_path)
    for shell, check in [("bash", ["bash", "-n"]), ("zsh", ["zsh", "-n"]),
                         ("fish", ["fish", "--no-execute"])]:
        path = tmp_path / ("script." + shell)
        path.write_text(script(shell, env))
        r = subprocess.run(check + [str(path)], capture_output=True, text=True, env=env)
        assert (r.returncode, r.stderr) == (0, ""), shell


def test_the_helper_is_hidden_from_help_and_completion(tmp_path):
    env = environment(tmp_path)
    assert "__complete" not in run("--help", env=env).stdout
    assert "__complete" not in bash_complete(tmp_path, "triage ")
    assert "__complete" not in bash_complete(tmp_path, "triage _")


# ---- bash, as bash calls it ----

def test_bash_completes_commands_and_subcommands(tmp_path):
    help_block = run("--help", env=environment(tmp_path)).stdout.split("commands:\n")[1].split("\n\n")[0]
    first = sorted({line.split()[0] for line in help_block.splitlines()})
    assert sorted(bash_complete(tmp_path, "triage ")) == sorted(first + ["help"])
    assert bash_complete(tmp_path, "triage kb ") == ["build", "check", "dump", "learn", "list", "show", "test",
                                                     "add", "edit", "rm", "revert", "log", "lint", "new"]
    assert bash_complete(tmp_path, "triage kb new ") == ["rule"]
    assert bash_complete(tmp_path, "triage ex") == ["export"]
    assert bash_complete(tmp_path, "triage export ") == ["guide", "session", "coverage", "handover"]
    assert bash_complete(tmp_path, "triage help kb s") == ["show"]
    assert bash_complete(tmp_path, "triage kb list ") == ["facts", "causes", "fixes", "rules", "sources"]
    assert bash_complete(tmp_path, "triage completion ") == ["bash", "zsh", "fish"]
    assert bash_complete(tmp_path, "triage nonsense ") == []


def test_bash_completes_options_of_the_command_and_global_ones(tmp_path):
    assert bash_complete(tmp_path, "triage diagnose --") == \
        ["--fact", "--all", "--json", "--kb", "--reach", "--color", "--technician", "--exact", "--help",
         "--version"]
    assert bash_complete(tmp_path, "triage kb test --") == \
        ["--depth", "--max-steps", "--verbose", "--changed", "--before", "--sessions", "--json", "--kb", "--reach",
         "--color", "--technician", "--exact",
         "--help", "--version"]
    # no command yet: the default command's options (ask)
    assert bash_complete(tmp_path, "triage --res") == ["--resume"]
    assert bash_complete(tmp_path, "triage --re") == ["--resume", "--reach"]


def test_bash_kb_show_lists_every_record(tmp_path):
    env = environment(tmp_path)
    every = [i for kind in ["facts", "causes", "fixes", "rules", "sources"] for i in ids(kind, env)]
    assert sorted(bash_complete(tmp_path, "triage kb show ")) == sorted(every)
    renew = [i for i in every if i.startswith("renew")]
    assert renew and bash_complete(tmp_path, "triage kb show renew") == renew
    assert bash_complete(tmp_path, "triage kb show renew_rdp_certificate ") == []


def test_bash_fact_lists_facts_then_values(tmp_path):
    env = environment(tmp_path)
    assert bash_complete(tmp_path, "triage --fact ") == [f + "=" for f in ids("facts", env)]
    hosts = values("host_kind", env)
    assert len(hosts) > 2
    assert bash_complete(tmp_path, "triage --fact host_kind=") == hosts
    assert bash_complete(tmp_path, "triage diagnose --fact host_kind=az") == \
        [v for v in hosts if v.startswith("az")]
    assert bash_complete(tmp_path, "triage diagnose --fact=host_kind=az") == \
        [v for v in hosts if v.startswith("az")]
    assert bash_complete(tmp_path, "triage --fact no_such_fact=") == []
    assert bash_complete(tmp_path, "triage export guide --cause expired_") == \
        [c for c in ids("causes", env) if c.startswith("expired_")]


def test_bash_export_session_lists_saved_sessions(tmp_path):
    env = environment(tmp_path)
    assert bash_complete(tmp_path, "triage export session ", env) == []
    assert not (tmp_path / "sessions.sqlite").exists()   # completing creates nothing
    for host in ["server", "azure_vm"]:
        r = subprocess.run([BIN, "ask", "--fact", "host_kind=" + host], input="quit\n", env=env,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
    assert bash_complete(tmp_path, "triage export session ", env) == ["2", "1"]
    assert bash_complete(tmp_path, "triage ask --resume ", env) == ["2", "1"]
    assert bash_complete(tmp_path, "triage ask --resume=", env) == ["2", "1"]
    helper = run("__complete", "export", "session", "", env=env).stdout
    assert helper == "2\thost_kind=azure_vm\n1\thost_kind=server\n"


def test_bash_uses_the_knowledge_base_in_effect(tmp_path):
    tiny = small_kb(tmp_path)
    assert bash_complete(tmp_path, f"triage --kb {tiny} kb show ") == ["seen", "only_cause", "only_fix", "doc"]
    assert bash_complete(tmp_path, f"triage kb show --kb={tiny} ") == ["seen", "only_cause", "only_fix", "doc"]
    assert bash_complete(tmp_path, "triage kb show ", environment(tmp_path, TRIAGE_KB=tiny)) == \
        ["seen", "only_cause", "only_fix", "doc"]
    assert bash_complete(tmp_path, f"triage --kb {tiny} --fact seen=") == ["yes", "no"]
    # no knowledge base at all: commands still complete, ids do not, nothing on stderr
    none = environment(tmp_path, TRIAGE_KB=str(tmp_path / "missing.sqlite"))
    assert bash_complete(tmp_path, "triage kb show ", none) == []
    assert "diagnose" in bash_complete(tmp_path, "triage ", none)


def test_bash_completes_file_names_where_a_file_goes(tmp_path):
    (tmp_path / "cases.jsonl").write_text("")
    (tmp_path / "cabinet").mkdir()
    assert bash_complete(tmp_path, "triage kb test ca") == ["cabinet", "cases.jsonl"]
    assert bash_complete(tmp_path, "triage kb build -o cas") == ["cases.jsonl"]
    assert bash_complete(tmp_path, "triage --kb cas") == ["cases.jsonl"]


# ---- the real shells ----

def interactive(tmp_path, argv, setup):
    child = pexpect.spawn(argv[0], argv[1:], env=environment(tmp_path, PS1="READY> ", PROMPT="READY> "),
                          cwd=str(tmp_path), encoding="utf-8", timeout=15, dimensions=(40, 200))
    for line in setup:
        child.sendline(line)
    child.sendline("echo SET''UP")
    child.expect("SETUP")
    return child


def typed(child, text, expect):
    """Types text (with tabs), waits for expect on the screen, clears the line."""
    child.send(text)
    child.expect(expect)
    child.send("\x03")


def test_real_bash_completes_after_the_equals_sign(tmp_path):
    child = interactive(tmp_path, ["bash", "--norc", "--noprofile", "-i"],
                        ["source <(triage completion bash)"])
    typed(child, "triage --fact host_kind=azu\t", "host_kind=azure_vm ")
    typed(child, "triage kb show renew_rdp_c\t", "renew_rdp_certificate ")
    typed(child, "triage --fact host_ki\t", "host_kind=(?! )")
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_real_zsh_completes_ids_and_values(tmp_path):
    child = interactive(tmp_path, ["zsh", "-f", "-i"],
                        ["autoload -Uz compinit && compinit -u -D",
                         "source <(triage completion zsh)"])
    typed(child, "triage kb show renew_rdp_c\t", "renew_rdp_certificate")
    typed(child, "triage --fact host_kind=azu\t", "host_kind=azure_vm")
    typed(child, "triage kb lis\t", "kb list")
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_fish_completes_with_descriptions(tmp_path):
    env = environment(tmp_path)
    prog = ("triage completion fish | source\n"
            "complete -C 'triage kb show renew_rdp_c'\n"
            "complete -C 'triage --fact host_kind=azu'\n"
            "complete -C 'triage kb lis'\n")
    r = subprocess.run(["fish", "--no-config", "-c", prog], env=env, capture_output=True, text=True,
                       cwd=tmp_path, timeout=30)
    assert r.returncode == 0, r.stderr
    title = json.loads(run("kb", "show", "renew_rdp_certificate", "--json", env=env).stdout)["title"]
    hosts = json.loads(run("kb", "show", "host_kind", "--json", env=env).stdout)["choices"]
    azure = [v["text"] for v in hosts if v["value"] == "azure_vm"]
    assert r.stdout.splitlines() == [
        "renew_rdp_certificate\t" + title,
        "host_kind=azure_vm\t" + azure[0],
        "list\tlist the records of one kind",
    ]
