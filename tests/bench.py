#!/usr/bin/env python3
"""Speed and memory of triage, for the README (`make bench`).

Measures, on the built binary and knowledge base:
  - kb build: compiling kb/ and rules/ into SQLite;
  - diagnose: one process start, KB load, rules and a plan;
  - a JSON Lines session: the latency of one answer -> ranking + action;
  - the public cases through ../shared/eval/oracle.py;
  - peak memory (max RSS) of a session process.
Timings are the median of several runs on this machine; nothing asserts.
Usage: bench.py BINARY KB
"""
import json, os, statistics, subprocess, sys, tempfile, time

BIN, KB = sys.argv[1], sys.argv[2]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "eval")


def median_time(fn, runs=7):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def run(*args, **kw):
    subprocess.run([BIN, "--kb", KB, *args], check=True, stdout=subprocess.DEVNULL, **kw)


def kb_build():
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([BIN, "kb", "build", "-o", os.path.join(d, "kb.sqlite"), ROOT],
                       check=True, stdout=subprocess.DEVNULL)


def session_latency(steps=40):
    """Median seconds from sending a reply to reading the next action."""
    p = subprocess.Popen([BIN, "--kb", KB, "session", "--jsonl"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True, bufsize=1)
    lat = []
    msg = None
    for _ in range(2):
        msg = json.loads(p.stdout.readline())
    for _ in range(steps):
        if msg["type"] == "done":
            break
        reply = {"answer": "unknown"} if msg["type"] == "question" else {"result": "failed"}
        t = time.perf_counter()
        p.stdin.write(json.dumps(reply) + "\n")
        p.stdin.flush()
        while True:
            msg = json.loads(p.stdout.readline())
            if msg["type"] not in ("ranking", "error"):
                break
        lat.append(time.perf_counter() - t)
    p.stdin.close()
    _, _, usage = os.wait4(p.pid, 0)
    p.returncode = 0
    return statistics.median(lat), max(lat), len(lat), usage.ru_maxrss


def main():
    print("triage bench: %s, %s" % (BIN, KB))
    print("  kb build (kb/ + rules/ -> SQLite):   %7.1f ms" % (1000 * median_time(kb_build, 5)))
    print("  diagnose, no facts (start to exit):  %7.1f ms" % (1000 * median_time(lambda: run("diagnose"))))
    print("  diagnose, 6 facts:                   %7.1f ms" % (1000 * median_time(lambda: run(
        "diagnose", "--fact", "port_3389_open=yes", "--fact", "host_kind=server", "--fact", "connection_path=lan",
        "--fact", "failure_stage=before_credentials", "--fact", "worked_before=yes", "--fact", "rdp_cert_expired=yes"))))
    med, worst, n, rss = session_latency()
    print("  session step (reply -> next action):  %6.2f ms median, %.2f ms worst, over %d steps" % (1000 * med, 1000 * worst, n))
    t = time.perf_counter()
    out = subprocess.run(["/usr/bin/python3", os.path.join(SHARED, "oracle.py"), "--engine", BIN, "--kb", KB,
                          "--json", os.path.join(SHARED, "cases-public.jsonl")], check=True,
                         capture_output=True, text=True).stdout
    summary = json.loads(out.strip().splitlines()[-1])
    print("  public cases via oracle.py:          %7.2f s for %d cases (mean effort %.2f)" % (
        time.perf_counter() - t, summary["cases"], summary["mean_effort"]))
    print("  peak memory of a session process:    %7.1f MiB (max RSS)" % (rss / 1024))


if __name__ == "__main__":
    main()
