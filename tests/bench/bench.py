#!/usr/bin/env python3
"""Speed and memory of triage by knowledge-base size, with CLIPS side by side (`make bench`).

    bench.py --bin build/triage --kb build/kb.sqlite --cache build/bench [SIZE...]

SIZE is rdp (the repo's own kb/ + rules/), small, medium or large
(tests/bench/gen_kb.py); default all. For each size it prints:
  - kb build: wall time (and CPU) of `triage kb build` and the file's size;
  - start: process start to the first action (question or recommend) of
    `session --jsonl`;
  - step: the time from writing a reply to reading the next action, median and
    worst, over 16 steps: questions answered as a user with a hidden true
    cause would (a value drawn from that cause's likelihoods), every fix
    reported `failed`;
  - RSS: the session process's peak resident memory (os.wait4 ru_maxrss);
  - kb show: wall time of `triage kb show CAUSE` (process start to exit);
  - react: with half the facts given on the command line, the time from
    volunteering one new fact to the next action, median of 5 facts;
and for generated sizes the same rules as a CLIPS program (`clips -f2`):
load of the rules, bload of the bsave'd image, and the reaction to one new
fact (assert + run) after half the facts are in, with triage/CLIPS ratios.
For rdp it also keeps the older figures: diagnose, and the public cases
through ../shared/eval/oracle.py.

Every timed run has a deadline (--timeout, TIMEOUT=; --build-timeout for kb
build and CLIPS load); past it the process is killed and the figure reads
"timeout". Every process runs with its address space capped at MEM_LIMIT=
MiB (default 4096). Generated trees are cached in CACHE/SIZE-GENHASH/ (made again only
when gen_kb.py changes), built files in there as kb-BINHASH.sqlite with the
build's figures (built again when the triage binary changes). Nothing asserts.
"""
import argparse, glob, hashlib, json, os, random, select, shutil, signal, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gen_kb  # noqa: E402

ALL_SIZES = ("rdp", "small", "medium", "large")
STEPS = 16
CLIPS = shutil.which("clips")


class Timeout(Exception):
    pass


MEM_LIMIT_MIB = int(os.environ.get("MEM_LIMIT") or 4096)


def limit_memory():
    """In the child: cap the address space (MEM_LIMIT= MiB, default 4096), so
    a dense model of a large knowledge base fails instead of exhausting a
    shared machine."""
    import resource
    lim = MEM_LIMIT_MIB << 20
    resource.setrlimit(resource.RLIMIT_AS, (lim, lim))


def sha(path, n=16):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:n]


def run_cpu(argv, timeout, cwd=None):
    """Run argv to exit: (wall seconds, CPU seconds of the child from wait4,
    exit status, stdout, stderr). Past the deadline the process group is
    killed and Timeout raised."""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         start_new_session=True, cwd=cwd, preexec_fn=limit_memory)
    out, err = b"", b""
    deadline = t + timeout
    fds = {p.stdout.fileno(): [], p.stderr.fileno(): []}
    while fds:
        left = deadline - time.perf_counter()
        if left <= 0:
            os.killpg(p.pid, signal.SIGKILL)
            os.wait4(p.pid, 0)
            raise Timeout()
        r, _, _ = select.select(list(fds), [], [], left)
        for fd in r:
            b = os.read(fd, 1 << 16)
            if b:
                fds[fd].append(b)
            else:
                parts = fds.pop(fd)
                if fd == p.stdout.fileno():
                    out = b"".join(parts)
                else:
                    err = b"".join(parts)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t, ru.ru_utime + ru.ru_stime, p.returncode, out, err


class Session:
    """A `session --jsonl` process read line by line with deadlines."""

    def __init__(self, argv):
        self.t0 = time.perf_counter()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  start_new_session=True, preexec_fn=limit_memory)
        self.buf = b""
        self.rss = None

    def line(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise Timeout()
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                b = os.read(self.p.stdout.fileno(), 1 << 20)
                if not b:
                    raise EOFError("the session ended without a line (memory cap MEM_LIMIT=%d MiB)" % MEM_LIMIT_MIB)
                self.buf += b
        i = self.buf.index(b"\n")
        ln, self.buf = self.buf[:i], self.buf[i + 1:]
        return ln

    def action(self, timeout):
        """The next non-ranking line, parsed (rankings are skipped unparsed:
        with 10k causes each is hundreds of kilobytes)."""
        deadline = time.perf_counter() + timeout
        while True:
            ln = self.line(deadline)
            if b'"type":"ranking"' in ln[:40]:
                continue
            msg = json.loads(ln)
            if msg.get("type") == "error":
                raise RuntimeError("engine error line: %s" % msg.get("message"))
            return msg

    def send(self, obj):
        self.p.stdin.write((json.dumps(obj) + "\n").encode())
        self.p.stdin.flush()

    def close(self, kill=False):
        """End the process; its peak RSS in KiB (a lower bound if killed)."""
        try:
            if kill:
                os.killpg(self.p.pid, signal.SIGKILL)
            else:
                self.p.stdin.close()
        except (OSError, BrokenPipeError):
            pass
        deadline = time.perf_counter() + 30
        while True:
            pid, _, ru = os.wait4(self.p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                os.killpg(self.p.pid, signal.SIGKILL)
            time.sleep(0.01)
        self.p.returncode = 0
        for f in (self.p.stdin, self.p.stdout):
            try:
                f.close()
            except (OSError, BrokenPipeError):
                pass
        self.rss = ru.ru_maxrss
        return self.rss


# ---- knowledge bases ----

def manifest_from_tree(root):
    """What the simulated user needs, read from a kb/ tree (the rdp size)."""
    facts, causes = {}, {}
    for p in sorted(glob.glob(os.path.join(root, "kb", "facts", "*.json"))):
        r = json.load(open(p))
        if r["values"]:
            facts[r["id"]] = [[v["value"] for v in r["values"]], [v["p"] for v in r["values"]]]
    for p in sorted(glob.glob(os.path.join(root, "kb", "causes", "*.json"))):
        r = json.load(open(p))
        causes[r["id"]] = {e["fact"]: e["p"] for e in r["evidence"]}
    truth = "expired_rdp_certificate" if "expired_rdp_certificate" in causes else sorted(causes)[0]
    return {"facts": facts, "true_causes": {truth: causes[truth]}, "show": truth, "half": [], "new": []}


def answer(man, truth, fact, choices, rng):
    """A plausible answer from the hidden true cause: its likelihoods where it
    states evidence (the rest shared in proportion to the defaults), else the
    fact's default likelihoods."""
    if fact not in man["facts"]:
        return "unknown"
    values, defp = man["facts"][fact]
    ev = man["true_causes"][truth].get(fact)
    if ev is None:
        w = list(defp)
    else:
        named = dict([ev]) if isinstance(ev, list) else dict(ev)
        rest = 1 - sum(named.values())
        others = sum(p for v, p in zip(values, defp) if v not in named) or 1
        w = [named[v] if v in named else rest * p / others for v, p in zip(values, defp)]
    v = rng.choices(values, w)[0]
    return v if v in choices else "unknown"


def prepare(size, args, log):
    """(tree dir, built sqlite or None, build figures, manifest) for a size."""
    binhash = sha(args.bin)
    if size == "rdp":
        tree = ROOT
        d = os.path.join(args.cache, "rdp")
        os.makedirs(d, exist_ok=True)
        out = os.path.join(d, "kb.sqlite")
        fig = build(tree, out, args, log, runs=5)
        return tree, out if fig.get("wall") else None, fig, manifest_from_tree(ROOT)
    gh = gen_kb.generator_hash()
    d = os.path.join(args.cache, "%s-%s" % (size, gh))
    tree = os.path.join(d, "tree")
    if not os.path.exists(os.path.join(tree, "bench.json")):
        for old in glob.glob(os.path.join(args.cache, size + "-*")):
            shutil.rmtree(old, ignore_errors=True)
        os.makedirs(d, exist_ok=True)
        log("  generating %s ..." % size)
        t = time.perf_counter()
        gen_kb.generate(tree, *gen_kb.SIZES[size], seed=1, size=size)
        log("  generated in %.1f s" % (time.perf_counter() - t))
    man = json.load(open(os.path.join(tree, "bench.json")))
    out = os.path.join(d, "kb-%s.sqlite" % binhash)
    figfile = out + ".json"
    fig = json.load(open(figfile)) if os.path.exists(figfile) else None
    if fig and (fig.get("wall") or fig.get("timeout", 0) >= args.build_timeout) and (fig.get("wall") is None or os.path.exists(out)):
        fig["cached"] = True
    else:
        for old in glob.glob(os.path.join(d, "kb-*.sqlite*")):
            os.remove(old)
        log("  building %s (timeout %d s) ..." % (size, args.build_timeout))
        fig = build(tree, out, args, log)
        json.dump(fig, open(figfile, "w"))
    return tree, out if fig.get("wall") else None, fig, man


def build(tree, out, args, log, runs=1):
    walls, cpus = [], []
    for _ in range(runs):
        if os.path.exists(out):
            os.remove(out)
        try:
            wall, cpu, rc, _, err = run_cpu([args.bin, "kb", "build", "-o", out, tree], args.build_timeout)
        except Timeout:
            for f in glob.glob(out + ".tmp*"):
                os.remove(f)
            return {"timeout": args.build_timeout}
        if rc != 0:
            return {"error": err.decode(errors="replace").strip()}
        walls.append(wall)
        cpus.append(cpu)
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "bytes": os.path.getsize(out)}


# ---- triage measurements ----

def measure_session(args, kb, man, log):
    """Start to first action, per-step latency, peak RSS."""
    res = {}
    truth = sorted(man["true_causes"])[0]
    rng = random.Random("bench/" + truth)
    s = Session([args.bin, "--kb", kb, "session", "--jsonl"])
    lat, kinds = [], {"question": 0, "recommend": 0}
    try:
        msg = s.action(args.timeout)
        res["start"] = time.perf_counter() - s.t0
        for _ in range(STEPS):
            if msg["type"] not in ("question", "recommend"):
                break
            kinds[msg["type"]] += 1
            if msg["type"] == "question":
                reply = {"answer": answer(man, truth, msg["fact"], msg["choices"], rng)}
            else:
                reply = {"result": "failed"}
            t = time.perf_counter()
            s.send(reply)
            msg = s.action(args.timeout)
            lat.append(time.perf_counter() - t)
        res["end"] = msg["type"] if msg["type"] == "done" else "step %d" % STEPS
        killed = False
    except Timeout:
        res["timeout_at"] = "start" if "start" not in res else "step %d" % (len(lat) + 1)
        killed = True
    except (EOFError, RuntimeError) as e:
        res["error"] = str(e)
        killed = True
    res["rss_kib"] = s.close(kill=killed)
    res["rss_lower_bound"] = killed
    res["steps"] = lat
    res["answered"], res["failed"] = kinds["question"], kinds["recommend"]
    return res


def measure_show(args, kb, man):
    try:
        times = []
        for _ in range(3):
            wall, _, rc, _, err = run_cpu([args.bin, "--kb", kb, "kb", "show", man["show"]], args.timeout)
            if rc:
                return {"error": err.decode(errors="replace").strip()}
            times.append(wall)
        return {"wall": statistics.median(times)}
    except Timeout:
        return {"timeout": args.timeout}


def measure_react(args, kb, man):
    """Half the facts on the command line; then volunteer new facts one by one."""
    argv = [args.bin, "--kb", kb, "session", "--jsonl"]
    for f, v in man["half"]:
        argv += ["--fact", "%s=%s" % (f, v)]
    s = Session(argv)
    res = {"react": []}
    try:
        s.action(args.timeout)
        res["start"] = time.perf_counter() - s.t0
        for f, v, _ in man["new"]:
            t = time.perf_counter()
            s.send({"fact": f, "value": v})
            s.action(args.timeout)
            res["react"].append(time.perf_counter() - t)
        s.close()
    except Timeout:
        res["timeout_at"] = "start" if "start" not in res else "fact %d" % (len(res["react"]) + 1)
        s.close(kill=True)
    except (EOFError, RuntimeError) as e:
        res["error"] = str(e)
        s.close(kill=True)
    return res


# ---- CLIPS ----

def clips_run(script, cwd, timeout):
    """Run `clips -f2 script` (stdin /dev/null); (wall, lines printed)."""
    wall, cpu, rc, out, err = run_cpu([CLIPS, "-f2", script], timeout, cwd=cwd)
    text = out.decode(errors="replace")
    if "[" in text and "ERROR" in text.upper():
        raise RuntimeError("CLIPS reported an error: %s" % text.strip()[:300])
    return wall, cpu, text


def figure(text, key):
    for ln in text.splitlines():
        parts = ln.split()
        if parts and parts[0] == key:
            return [float(x) for x in parts[1:]]
    raise RuntimeError("no '%s' line in CLIPS output: %s" % (key, text.strip()[:300]))


def measure_clips(args, tree, man, log):
    if not CLIPS:
        return {"error": "clips is not installed (run make deps)"}
    d = os.path.join(tree, "clips")
    res = {}
    prelude = "(defglobal ?*t0* = 0.0 ?*n* = 0)\n"
    with open(os.path.join(d, "load.clp"), "w") as f:
        f.write(prelude + "(bind ?*t0* (time))\n(load* \"rules.clp\")\n(printout t \"load \" (- (time) ?*t0*) crlf)\n"
                "(bsave \"rules.bin\")\n(exit)\n")
    with open(os.path.join(d, "bload.clp"), "w") as f:
        f.write(prelude + "(bind ?*t0* (time))\n(bload \"rules.bin\")\n(printout t \"bload \" (- (time) ?*t0*) crlf)\n(exit)\n")
    with open(os.path.join(d, "react.clp"), "w") as f:
        f.write(prelude + "(bload \"rules.bin\")\n(reset)\n(load-facts \"half.fct\")\n(run)\n")
        for fact, v, _ in man["new"]:
            f.write("(bind ?*n* (length$ (get-fact-list)))\n(bind ?*t0* (time))\n(assert (val %s %s))\n(run)\n"
                    "(printout t \"react \" (- (time) ?*t0*) \" \" (- (length$ (get-fact-list)) ?*n*) crlf)\n" % (fact, v))
        f.write("(exit)\n")
    with open(os.path.join(d, "empty.clp"), "w") as f:
        f.write("(exit)\n")
    try:
        res["process"] = statistics.median(clips_run("empty.clp", d, args.timeout)[0] for _ in range(3))
        wall, cpu, text = clips_run("load.clp", d, args.build_timeout)
        res["load"], res["load_wall"] = figure(text, "load")[0], wall
        runs = [clips_run("bload.clp", d, args.timeout) for _ in range(3)]
        res["bload"] = statistics.median(figure(t, "bload")[0] for _, _, t in runs)
        res["bload_wall"] = statistics.median(w for w, _, _ in runs)
        wall, cpu, text = clips_run("react.clp", d, args.timeout)
        reacts = [[float(x) for x in ln.split()[1:]] for ln in text.splitlines() if ln.startswith("react ")]
        res["react"] = [r[0] for r in reacts]
        res["react_facts"] = [int(r[1]) for r in reacts]
    except Timeout:
        res["timeout"] = True
    except RuntimeError as e:
        res["error"] = str(e)
    return res


# ---- the rdp extras (the older bench.py figures) ----

def rdp_extras(args, kb):
    res = {}
    med = lambda argv: statistics.median(run_cpu(argv, args.timeout)[0] for _ in range(7))
    res["diagnose"] = med([args.bin, "--kb", kb, "diagnose"])
    res["diagnose6"] = med([args.bin, "--kb", kb, "diagnose", "--fact", "port_3389_open=yes", "--fact", "host_kind=server",
                            "--fact", "connection_path=lan", "--fact", "failure_stage=before_credentials",
                            "--fact", "worked_before=yes", "--fact", "rdp_cert_expired=yes"])
    shared = os.path.join(ROOT, "..", "shared", "eval")
    if os.path.exists(os.path.join(shared, "oracle.py")):
        t = time.perf_counter()
        out = subprocess.run(["/usr/bin/python3", os.path.join(shared, "oracle.py"), "--engine", args.bin, "--kb", kb,
                              "--json", os.path.join(shared, "cases-public.jsonl")], check=True,
                             capture_output=True, text=True, timeout=args.build_timeout).stdout
        summary = json.loads(out.strip().splitlines()[-1])
        res["oracle"] = time.perf_counter() - t
        res["oracle_cases"], res["oracle_effort"] = summary["cases"], summary["mean_effort"]
    return res


# ---- output ----

def ms(x):
    return "%.1f ms" % (1000 * x) if x < 10 else "%.1f s" % x


def fmt_secs(x):
    return "%.2f s" % x if x >= 1 else "%.0f ms" % (1000 * x) if x >= 0.01 else "%.2f ms" % (1000 * x)


def report(size, r, args):
    out = []
    p = lambda s: out.append(s)
    c = r.get("counts")
    p("== %s%s" % (size, "" if not c else ": %(causes)d causes, %(facts)d facts, %(fixes)d fixes, "
                   "%(evidence)d evidence rows, %(rules)d rules" % c))
    b = r["build"]
    if b.get("wall"):
        p("  kb build:                %s wall, %s CPU, %.1f MiB%s" % (fmt_secs(b["wall"]), fmt_secs(b["cpu"]),
                                                                    b["bytes"] / 1048576, " (cached)" if b.get("cached") else ""))
    else:
        p("  kb build:                %s" % ("timeout (> %d s)%s" % (b["timeout"], " (cached)" if b.get("cached") else "")
                                            if "timeout" in b else "error: " + b.get("error", "?")))
    s = r.get("session")
    if s:
        p("  start to first action:   %s" % (fmt_secs(s["start"]) if "start" in s else "timeout (> %d s)" % args.timeout))
        if s["steps"]:
            p("  step (reply -> action):  %s median, %s worst, over %d steps (%d answers, %d failed fixes)%s" % (
                fmt_secs(statistics.median(s["steps"])), fmt_secs(max(s["steps"])), len(s["steps"]),
                s["answered"], s["failed"], "" if "timeout_at" not in s else "; then timeout at %s (> %d s)" % (
                    s["timeout_at"], args.timeout)))
        elif "start" in s:
            p("  step (reply -> action):  timeout at %s (> %d s)" % (s.get("timeout_at"), args.timeout))
        if s.get("error"):
            p("  session error:           %s" % s["error"])
        p("  peak RSS of the session: %.1f MiB%s" % (s["rss_kib"] / 1024, " (at least: killed at the timeout)"
                                                       if s["rss_lower_bound"] else ""))
    sh = r.get("show")
    if sh:
        p("  kb show CAUSE:           %s" % (fmt_secs(sh["wall"]) if "wall" in sh else "timeout (> %d s)" % args.timeout
                                            if "timeout" in sh else "error: " + sh["error"]))
    x = r.get("extras")
    if x:
        p("  diagnose, no facts:      %s (process start to exit)" % fmt_secs(x["diagnose"]))
        p("  diagnose, 6 facts:       %s" % fmt_secs(x["diagnose6"]))
        if "oracle" in x:
            p("  public cases, oracle.py: %s for %d cases (mean effort %.2f)" % (
                fmt_secs(x["oracle"]), x["oracle_cases"], x["oracle_effort"]))
    rt = r.get("react")
    if rt:
        if rt["react"]:
            p("  react, half the facts in: start %s; one new fact -> next action %s median of %d" % (
                fmt_secs(rt["start"]), fmt_secs(statistics.median(rt["react"])), len(rt["react"])))
        else:
            p("  react, half the facts in: timeout at %s (> %d s)" % (rt.get("timeout_at", "?"), args.timeout)
              if "timeout_at" in rt else "  react: error: %s" % rt.get("error"))
    cl = r.get("clips")
    if cl:
        if "error" in cl:
            p("  CLIPS: error: %s" % cl["error"])
        else:
            if "load" in cl:
                p("  CLIPS load of the rules: %s (in CLIPS; process with bsave and exit %s); empty clips process %s" % (
                    fmt_secs(cl["load"]), fmt_secs(cl["load_wall"]), fmt_secs(cl["process"])))
            if "bload" in cl:
                p("  CLIPS bload:             %s (in CLIPS; process start to exit %s)" % (
                    fmt_secs(cl["bload"]), fmt_secs(cl["bload_wall"])))
            if cl.get("react"):
                p("  CLIPS react, 1 new fact: %s median of %d (facts asserted: %s)" % (
                    fmt_secs(statistics.median(cl["react"])), len(cl["react"]), ", ".join(map(str, cl["react_facts"]))))
            if cl.get("timeout"):
                p("  CLIPS: timeout")
        rat = ratios(r)
        if rat:
            p("  triage / CLIPS:          " + "; ".join("%s %s" % (k, v) for k, v in rat))
    return "\n".join(out)


def ratios(r):
    cl, out = r.get("clips") or {}, []
    b, s, rt = r["build"], r.get("session") or {}, r.get("react") or {}
    # against CLIPS's own timing of load* and bload: its process time adds
    # the bsave and, at 100k rules, minutes of teardown at exit
    if b.get("wall") and cl.get("load"):
        out.append(("kb build / load", "%.1fx" % (b["wall"] / cl["load"])))
    elif "timeout" in b and cl.get("load"):
        out.append(("kb build / load", "> %.1fx (timeout)" % (b["timeout"] / cl["load"])))
    if cl.get("bload"):
        if "start" in s:
            out.append(("start / bload", "%.0fx" % (s["start"] / cl["bload"])))
        elif "timeout_at" in s:
            out.append(("start / bload", "> %.0fx (timeout)" % (r["timeout"] / cl["bload"])))
    if cl.get("react"):
        if rt.get("react"):
            out.append(("react", "%.0fx" % (statistics.median(rt["react"]) / statistics.median(cl["react"]))))
        elif "timeout_at" in rt:
            out.append(("react", "timeout"))
    return out


def cell_session(r):
    s = r.get("session")
    if not s:
        return "", "", ""
    start = fmt_secs(s["start"]) if "start" in s else "timeout (> %d s)" % r["timeout"]
    if s["steps"]:
        step = "%s / %s (%d%s)" % (fmt_secs(statistics.median(s["steps"])), fmt_secs(max(s["steps"])), len(s["steps"]),
                                  "; then timeout" if "timeout_at" in s else "")
    else:
        step = "timeout" if "start" in s and "timeout_at" in s else "-"
    rss = "%s%.0f MiB" % (">= " if s["rss_lower_bound"] else "", s["rss_kib"] / 1024)
    return start, step, rss


def markdown(results):
    """The results as one Markdown table (for the README)."""
    rows = ["| size | kb build (file) | start to first action | step median / worst (steps) | peak RSS | kb show "
            "| react to one fact | CLIPS load / bload / react | triage / CLIPS |",
            "|---|---|---|---|---|---|---|---|---|"]
    for size, r in results.items():
        b = r["build"]
        build = ("%s (%.1f MiB)" % (fmt_secs(b["wall"]), b["bytes"] / 1048576) if b.get("wall")
                 else "timeout (> %d s)" % b["timeout"] if "timeout" in b else "error")
        start, step, rss = cell_session(r)
        sh = r.get("show") or {}
        show = fmt_secs(sh["wall"]) if "wall" in sh else "timeout" if "timeout" in sh else ""
        rt = r.get("react") or {}
        react = fmt_secs(statistics.median(rt["react"])) if rt.get("react") else "timeout" if "timeout_at" in rt else ""
        cl = r.get("clips") or {}
        clips = " / ".join(fmt_secs(cl[k]) if k in cl and not isinstance(cl[k], list) else
                           fmt_secs(statistics.median(cl[k])) if cl.get(k) else "-" for k in ("load", "bload", "react"))
        ratio = "; ".join("%s %s" % kv for kv in ratios(r)) if cl else ""
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            size, build, start, step, rss, show, react, clips if cl else "", ratio))
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "triage"))
    ap.add_argument("--kb", default=os.path.join(ROOT, "build", "kb.sqlite"), help="unused; kept for old callers")
    ap.add_argument("--cache", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--timeout", type=float, default=float(os.environ.get("TIMEOUT") or 60),
                    help="seconds allowed for each timed session run (default 60)")
    ap.add_argument("--build-timeout", type=float, default=float(os.environ.get("BUILD_TIMEOUT") or 900),
                    help="seconds allowed for kb build and the CLIPS load (default 900)")
    ap.add_argument("--json", help="also write every figure to this file")
    ap.add_argument("--no-clips", action="store_true", help="skip CLIPS (its load of 100k rules takes minutes)")
    ap.add_argument("sizes", nargs="*")
    args = ap.parse_args()
    sizes = [s for a in (args.sizes or ALL_SIZES) for s in a.split()]
    for s in sizes:
        if s not in ALL_SIZES:
            sys.exit("bench: unknown size '%s' (one of %s)" % (s, ", ".join(ALL_SIZES)))
    args.bin = os.path.abspath(args.bin)
    os.makedirs(args.cache, exist_ok=True)
    log = lambda m: print(m, file=sys.stderr, flush=True)
    print("triage bench: %s; timeouts %d s per session run, %d s per build or CLIPS load; CLIPS: %s" % (
        args.bin, args.timeout, args.build_timeout, CLIPS or "not installed"), flush=True)
    results = {}
    for size in sizes:
        log("[%s]" % size)
        tree, kb, fig, man = prepare(size, args, log)
        r = {"build": fig, "counts": man.get("counts"), "timeout": args.timeout}
        if kb:
            log("  session ...")
            r["session"] = measure_session(args, kb, man, log)
            log("  kb show ...")
            r["show"] = measure_show(args, kb, man)
            if size == "rdp":
                log("  diagnose, oracle ...")
                r["extras"] = rdp_extras(args, kb)
            else:
                log("  react ...")
                r["react"] = measure_react(args, kb, man)
        if size != "rdp" and not args.no_clips:
            log("  CLIPS ...")
            r["clips"] = measure_clips(args, tree, man, log)
        results[size] = r
        print(report(size, r, args), flush=True)
    print("\n" + markdown(results))
    if args.json:
        json.dump(results, open(args.json, "w"), indent=1)


if __name__ == "__main__":
    main()
