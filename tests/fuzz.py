#!/usr/bin/env python3
"""Fuzz triage's two input surfaces under the sanitizer build (`make fuzz`).

session: random, malformed and hostile JSON Lines (bad bytes, deep nesting,
         duplicate keys, huge numbers, overlong lines, control characters)
         into `session --jsonl`: every output line must be JSON, every
         session must end with done, exit 0, no sanitizer report.
kbbuild: random byte flips, cuts and inserts in kb/ and rules/ files, then
         `kb build`: it builds, or refuses with one stderr line per error
         (several end with "kb build: N errors; nothing written") and writes
         no file; never crashes, never a sanitizer report.
Usage: fuzz.py BINARY KB [--runs N] [--seed S]
"""
import argparse, glob, json, os, random, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sanitizer_report(stderr):
    return b"AddressSanitizer" in stderr or b"runtime error" in stderr or b"LeakSanitizer" in stderr


def session_line(rng):
    facts = ["host_kind", "port_3389_open", "connection_path", "failure_stage", "host_name", "nosuch"]
    vals = ["yes", "no", "unknown", "azure_vm", "lan", "", "x" * 300, "\u00e9\u4e2d", "\x1b[31m",
            "worked", "failed", "skipped"]
    r = rng.random()
    if r < 0.15:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 80))).replace(b"\n", b" ")
    if r < 0.25:
        return b"[" * rng.randrange(1, 5000)
    if r < 0.3:
        return rng.choice([b'{"answer": 1e999999}', b'{"answer":"yes","answer":"no"}', b'{}', b'null'])
    if r < 0.55:
        return json.dumps({"answer": rng.choice(vals)}).encode()
    if r < 0.7:
        return json.dumps({"result": rng.choice(vals)}).encode()
    if r < 0.85:
        return json.dumps({"fact": rng.choice(facts), "value": rng.choice(vals)}).encode()
    if r < 0.95:
        return json.dumps({"command": rng.choice(["back", "back", "quit", "nope"])}).encode()
    return b"x" * rng.randrange(60000, 70000)


def fuzz_session(binary, kb, rng, runs):
    bad = 0
    for i in range(runs):
        data = b"\n".join(session_line(rng) for _ in range(rng.randrange(5, 80))) + b"\n"
        p = subprocess.run([binary, "--kb", kb, "session", "--jsonl"], input=data,
                           capture_output=True, timeout=120)
        lines = p.stdout.splitlines()
        try:
            msgs = [json.loads(l) for l in lines]
            ended = msgs[-1].get("type") == "done"
        except (ValueError, IndexError):
            ended = False
        if p.returncode != 0 or sanitizer_report(p.stderr) or not ended:
            bad += 1
            print("session run %d: exit %d, ended %s\n%s" % (i, p.returncode, ended, p.stderr[-600:].decode(errors="replace")))
    print("session: %d runs, %d bad" % (runs, bad))
    return bad


def fuzz_kbbuild(binary, rng, runs):
    base = tempfile.mkdtemp()
    shutil.copytree(os.path.join(ROOT, "kb"), base + "/kb")
    shutil.copytree(os.path.join(ROOT, "rules"), base + "/rules")
    files = sorted(glob.glob(base + "/kb/*/*.json") + glob.glob(base + "/rules/*.lua") +
                   [base + "/kb/kb.json", base + "/kb/sources.json"])
    bad = built = refused = 0
    out = base + "/out.sqlite"
    for i in range(runs):
        f = rng.choice(files)
        orig = open(f, "rb").read()
        data = bytearray(orig)
        for _ in range(rng.randrange(1, 4)):
            k = rng.randrange(len(data))
            op = rng.random()
            if op < 0.4:
                data[k] = rng.randrange(256)
            elif op < 0.7:
                del data[k:k + rng.randrange(1, 20)]
            else:
                data[k:k] = rng.choice([b'"', b'{', b'}', b'1e308', b'-1', b'\\u0000',
                                        b'while true do end ', b'nil', b'0.999999'])
        open(f, "wb").write(bytes(data))
        if os.path.exists(out):
            os.remove(out)
        p = subprocess.run([binary, "kb", "build", "-o", out, base], capture_output=True, timeout=60)
        lines = p.stderr.decode(errors="replace").strip().splitlines()
        several = len(lines) > 2 and lines[-1] == "triage: kb build: %d errors; nothing written" % (len(lines) - 1)
        if sanitizer_report(p.stderr) or p.returncode not in (0, 1) or \
           (p.returncode == 1 and ((len(lines) != 1 and not several) or os.path.exists(out))):
            bad += 1
            print("kb build run %d on %s: exit %d\n%s" % (i, os.path.relpath(f, base), p.returncode,
                                                         p.stderr[-600:].decode(errors="replace")))
        elif p.returncode == 0:
            built += 1
        else:
            refused += 1
        open(f, "wb").write(orig)
    shutil.rmtree(base)
    print("kb build: %d mutations, %d built, %d refused with their errors, %d bad" % (runs, built, refused, bad))
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("kb")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    bad = fuzz_session(a.binary, a.kb, rng, a.runs) + fuzz_kbbuild(a.binary, rng, a.runs)
    print("%d passed, %d failed" % (2 * a.runs - bad, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
