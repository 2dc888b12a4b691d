#!/usr/bin/env python3
"""Every path through CLIPS's auto.clp, replayed in triage (issue 9, item 3).

    auto_replay.py [--bin build/triage] [--work DIR] [--json]

1. Enumerates every path through auto.clp (clips-common's engine-trouble
   diagnoser): CLIPS runs `clips -f2 run.clp` with a scripted answer sequence
   on stdin; the prompts it prints say which questions it asked, and a
   depth-first search over the answers finds every distinct answer sequence
   and the repair it ends with.
2. Builds the triage port in tests/bench/auto/ (kb/ + rules/) and replays each
   path in `session --jsonl`: questions auto.clp asked on the path get the
   path's answer, questions it never asked there get "unknown", fixes are
   reported `failed` until the path's repair is recommended.
3. Prints per path, and on average, the questions each asked and the time
   each took, and whether triage reached the same repair. Exit status 1 if
   any path did not.

The repairs are mapped to the port's fixes by their text (REPAIRS below).
"""
import argparse, gzip, json, os, re, shutil, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
AUTO_DIR = os.path.join(HERE, "auto")
AUTO_CLP = "/usr/share/doc/clips-common/examples/auto.clp.gz"

# auto.clp's repair texts -> the port's fix ids
REPAIRS = {
    "No repair needed.": "no_repair_needed",
    "Clean the fuel line.": "clean_fuel_line",
    "Point gap adjustment.": "adjust_point_gap",
    "Timing adjustment.": "adjust_timing",
    "Add gas.": "add_gas",
    "Charge the battery.": "charge_battery",
    "Replace the points.": "replace_points",
    "Clean the points.": "clean_points",
    "Repair the distributor lead wire.": "repair_distributor_lead_wire",
    "Replace the ignition coil.": "replace_ignition_coil",
    "Take your car to a mechanic.": "take_to_mechanic",
}
# auto.clp's questions -> the port's fact ids
QUESTIONS = {
    "Does the engine start": "engine_starts",
    "Does the engine run normally": "runs_normally",
    "Does the engine rotate": "engine_rotates",
    "Is the engine sluggish": "engine_sluggish",
    "Does the engine misfire": "engine_misfires",
    "Does the engine knock": "engine_knocks",
    "Is the output of the engine low": "engine_output_low",
    "Does the tank have any gas in it": "tank_has_gas",
    "Is the battery charged": "battery_has_charge",
    "What is the surface state of the points": "point_surface_state",
    "Is the conductivity test for the ignition coil positive": "conductivity_test_positive",
}
PROMPT = re.compile(r"([A-Z][^?\n]*?) \(([a-z/]+)\)\? ")
PAD = ["yes", "normal"] * 20   # valid for any question within two tokens


class ClipsMissing(Exception):
    pass


def need_clips():
    if not shutil.which("clips") or not os.path.exists(AUTO_CLP):
        raise ClipsMissing("CLIPS and its examples are needed (Debian packages clips and clips-common): run make deps")


def clips_once(work, answers):
    """Run auto.clp with these answers then padding; ([(question, answer)], repair, seconds)."""
    tokens = list(answers) + PAD
    t = time.perf_counter()
    p = subprocess.run(["clips", "-f2", "run.clp"], cwd=work, input="\n".join(tokens) + "\n",
                       capture_output=True, text=True, timeout=30)
    secs = time.perf_counter() - t
    m = re.search(r"Suggested Repair:\s*(.*?)\s*$", p.stdout, re.S)
    if p.returncode or not m:
        raise RuntimeError("auto.clp run failed (exit %d): %s" % (p.returncode, (p.stdout + p.stderr)[-300:]))
    asked, k = [], 0
    prompts = PROMPT.findall(p.stdout)
    i = 0
    while i < len(prompts):   # each prompt read one token; a rejected token repeats the prompt
        q, allowed = prompts[i]
        tok = tokens[k]
        k += 1
        if tok in allowed.split("/"):
            asked.append((q, tok))
        elif i + 1 >= len(prompts) or prompts[i + 1][0] != q:
            raise RuntimeError("unexpected transcript: %r" % p.stdout[-300:])
        i += 1
    return asked, m.group(1).strip(), secs


def clips_paths(work):
    """Every distinct path: list of {"answers": [(question, answer)], "repair": text, "seconds": s}."""
    need_clips()
    with gzip.open(AUTO_CLP, "rt") as f:
        src = f.read()
    with open(os.path.join(work, "auto.clp"), "w") as f:
        f.write(src)
    with open(os.path.join(work, "run.clp"), "w") as f:
        f.write('(load* "auto.clp")\n(reset)\n(run)\n(exit)\n')
    paths, seen = [], set()

    def explore(prefix):
        asked, repair, secs = clips_once(work, prefix)
        key = tuple(asked)
        if key not in seen:
            seen.add(key)
            paths.append({"answers": asked, "repair": repair, "seconds": secs})
        for i in range(len(prefix), len(asked)):
            q, a = asked[i]
            allowed = ["normal", "burned", "contaminated"] if "points" in q else ["yes", "no"]
            for alt in allowed:
                if alt != a:
                    explore([x for _, x in asked[:i]] + [alt])

    explore([])
    return paths


class Jsonl:
    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def action(self):
        while True:
            ln = self.p.stdout.readline()
            if not ln:
                raise RuntimeError("triage ended early: %s" % self.p.stderr.read())
            msg = json.loads(ln)
            if msg["type"] == "error":
                raise RuntimeError("triage error: %s" % msg["message"])
            if msg["type"] != "ranking":
                return msg

    def send(self, obj):
        self.p.stdin.write(json.dumps(obj) + "\n")
        self.p.stdin.flush()

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)
        self.p.stdout.close()
        self.p.stderr.close()


def build_port(triage, work):
    kb = os.path.join(work, "auto.sqlite")
    if os.path.exists(kb):
        os.remove(kb)
    p = subprocess.run([triage, "kb", "build", "-o", kb, AUTO_DIR], capture_output=True, text=True, timeout=120)
    if p.returncode:
        raise RuntimeError("kb build of %s failed: %s" % (AUTO_DIR, p.stderr.strip()))
    return kb


def replay(triage, kb, path, max_steps=40):
    """One path in triage: {"questions", "off_path", "wrong_fixes", "reached", "seconds"}."""
    answers = {QUESTIONS[q]: a for q, a in path["answers"]}
    want = REPAIRS[path["repair"]]
    t = time.perf_counter()
    s = Jsonl([triage, "--kb", kb, "session", "--jsonl"])
    res = {"questions": 0, "off_path": [], "wrong_fixes": [], "reached": False, "asked": []}
    try:
        msg = s.action()
        for _ in range(max_steps):
            if msg["type"] == "question":
                res["questions"] += 1
                res["asked"].append(msg["fact"])
                if msg["fact"] in answers:
                    s.send({"answer": answers[msg["fact"]]})
                else:
                    res["off_path"].append(msg["fact"])
                    s.send({"answer": "unknown"})
            elif msg["type"] == "recommend":
                if msg["fix"] == want:
                    res["reached"] = True
                    s.send({"result": "worked"})
                    msg = s.action()
                    break
                res["wrong_fixes"].append(msg["fix"])
                s.send({"result": "failed"})
            else:
                break
            msg = s.action()
        res["end"] = msg["type"] + ("" if msg["type"] != "done" else ":" + msg.get("status", ""))
    finally:
        s.close()
    res["seconds"] = time.perf_counter() - t
    return res


def run(triage, work):
    """Enumerate, build, replay: (paths, results)."""
    os.makedirs(work, exist_ok=True)
    paths = clips_paths(work)
    kb = build_port(triage, work)
    return paths, [replay(triage, kb, p) for p in paths]


def main():
    ap = argparse.ArgumentParser(description="Replay every path of CLIPS's auto.clp in triage.")
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(os.path.dirname(HERE)), "build", "triage"))
    ap.add_argument("--work", help="scratch directory (default: a temporary one)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="auto-replay-")
    try:
        paths, results = run(os.path.abspath(args.bin), work)
    except ClipsMissing as e:
        sys.exit("auto_replay: %s" % e)
    if args.json:
        print(json.dumps([{"path": p, "triage": r} for p, r in zip(paths, results)], indent=1))
        return 0 if all(r["reached"] for r in results) else 1
    print("auto.clp (CLIPS %s) vs its triage port (tests/bench/auto), every path:" % "6.30")
    print("  %-3s %-33s %7s %8s %8s %9s  %-40s %s" % ("#", "repair (auto.clp's text)", "Q CLIPS", "Q triage",
                                                    "CLIPS ms", "triage ms", "triage outcome", "auto.clp's answers"))
    for i, (p, r) in enumerate(zip(paths, results), 1):
        ans = " ".join("%s=%s" % (QUESTIONS[q].replace("engine_", "").replace("_", "-"), a) for q, a in p["answers"])
        out = "same repair" if r["reached"] else "DIFFERENT (%s)" % r["end"]
        if r["wrong_fixes"]:
            out += ", %d wrong fix%s first" % (len(r["wrong_fixes"]), "es" if len(r["wrong_fixes"]) > 1 else "")
        if r["off_path"]:
            out += ", %d off-path question%s" % (len(r["off_path"]), "s" if len(r["off_path"]) > 1 else "")
        print("  %-3d %-33s %7d %8d %8.1f %9.1f  %-40s %s" % (i, p["repair"], len(p["answers"]), r["questions"],
                                                           1000 * p["seconds"], 1000 * r["seconds"], out, ans))
    n = len(paths)
    print("  %d paths; triage reached auto.clp's repair on %d. Mean questions: CLIPS %.2f, triage %.2f; "
          "mean wrong fixes before it (triage) %.2f; mean time per path (process start to the repair, with the "
          "knowledge base load): CLIPS %.1f ms, triage %.1f ms" % (
              n, sum(r["reached"] for r in results), statistics.mean(len(p["answers"]) for p in paths),
              statistics.mean(r["questions"] for r in results), statistics.mean(len(r["wrong_fixes"]) for r in results),
              1000 * statistics.mean(p["seconds"] for p in paths), 1000 * statistics.mean(r["seconds"] for r in results)))
    return 0 if all(r["reached"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
