#!/usr/bin/env python3
"""A help desk simulated, to measure `triage kb learn` (README, "Learning from outcomes").

A world has its own causes' frequencies and P(answer | cause); the engine decides from
the knowledge base. Simulated users (one true cause each, drawn from the world) answer
from the world through `triage session --jsonl` (saved to a session file of the run),
with unknowns and a few wrong answers, and report a fix worked exactly when it addresses
their cause with the probability the knowledge base's link gives (drawn once per user and
fix), so the sessions agree with the knowledge base's model of its fixes. A user whose cause
the knowledge base lacks stops after the step limit and ends the session "outside" with a note.

Then: `sessions export`, `kb learn` on the first N sessions (N = 0, 50, 200, 1000), and
the mean effort that ../shared/eval/oracle.py measures (questions + 3 x fixes, unresolved =
3 x 30; a fix works when it addresses the cause) on fresh users of the same world, the same
users for every N, and on the 27 public cases, with each learned knowledge base, and with
the world's own numbers as a knowledge base (row "world": the best learning could reach).

worlds:  shifted  network causes twice as common, certificate causes a third as common,
                  a few causes showing some symptoms the other way round, 3% of users
                  with a cause the knowledge base lacks
         concentrated  five seed-chosen causes 70% of the tickets, the rest in the knowledge
                  base's proportions; symptoms reversed and users outside as in shifted
         same     the knowledge base's own numbers (learning must not hurt)
Usage: sim.py [--world shifted|concentrated|same] [--sessions 1000] [--eval 1000] [--seed 1]
              [--steps 0,50,200,1000] [--out DIR] [--bin build/triage] [--kb build/kb.sqlite]
              [--weight N] [--reuse]
Deterministic for a seed (the engine is deterministic; every draw comes from the seed).
"""
import argparse, json, math, os, random, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "eval"))
import make_cases  # noqa: E402  (the knowledge base's completed likelihoods)

ORACLE = os.path.join(ROOT, "..", "shared", "eval", "oracle.py")
PUBLIC = os.path.join(ROOT, "..", "shared", "eval", "cases-public.jsonl")
MAX_STEPS = 30
UNKNOWN, WRONG = 0.15, 0.03
NETWORK = ["port_blocked_on_path", "host_unreachable", "unstable_network", "vpn_mtu_fragmentation",
           "udp_transport_dropped", "nat_idle_timeout", "azure_nsg_blocking", "hostname_resolution_bug",
           "nic_offload_issue", "windows_firewall_blocking"]
RARER = ["expired_rdp_certificate", "corrupt_machinekeys", "rd_gateway_cert_untrusted"]
LINKS = {}   # fix -> {cause: P(it resolves | cause)}, the knowledge base's and the world's
OUTSIDE = [("switch_port_fault", "replaced the faulty switch port", {"host_pingable": "no", "other_clients_connect": "no"}),
           ("proxy_interference", "proxy software on the client removed", {"client_connects_elsewhere": "no"})]


def run(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


class World:
    """Priors and completed likelihoods; the shifted world changes both, by seed."""

    def __init__(self, root, kind, rng):
        facts, stated = make_cases.load_kb(root)
        self.facts = facts
        self.prior = {c["id"]: c["prior"] for c in
                      json.loads(run([ARGS.bin, "--kb", ARGS.kb, "kb", "list", "causes", "--json"]).stdout)}
        self.lk = {c: {f: make_cases.likelihood(facts, stated[c], f) for f in facts} for c in stated}
        self.outside = 0.0
        self.changed = []
        if kind == "concentrated":   # five seed-chosen causes are 70% of the tickets
            few = rng.sample(sorted(self.prior), 5)
            many = sum(p for c, p in self.prior.items() if c not in few)
            top = sum(self.prior[c] for c in few)
            self.prior = {c: (0.7 * p / top if c in few else 0.3 * p / many) for c, p in self.prior.items()}
            self.few = few
        if kind == "shifted":
            for c in NETWORK:
                self.prior[c] *= 2
            for c in RARER:
                self.prior[c] /= 3
        if kind in ("shifted", "concentrated"):
            # some causes show one of their stated symptoms the other way round
            pairs = sorted((c, f) for c in stated for f in stated[c] if len(facts[f]) == 2)
            for c, f in rng.sample(pairs, 8):
                self.lk[c][f] = [(v, p) for (v, _), (_, p) in zip(self.lk[c][f], reversed(self.lk[c][f]))]
                self.changed.append("%s/%s" % (c, f))
            self.outside = 0.03
        total = sum(self.prior.values())
        self.prior = {c: p / total for c, p in sorted(self.prior.items())}

    def user(self, rng, seed, noisy=True):
        """A user: a true cause and the answers they give (unknown when absent)."""
        if rng.random() < self.outside:
            name, note, sure = OUTSIDE[rng.randrange(len(OUTSIDE))]
            cause = rng.choices(sorted(self.prior), [self.prior[c] for c in sorted(self.prior)])[0]
            base = self.sample(cause, rng, noisy)
            base.update(sure)
            return {"cause": name, "note": note, "facts": base, "seed": seed}
        cause = rng.choices(sorted(self.prior), [self.prior[c] for c in sorted(self.prior)])[0]
        return {"cause": cause, "facts": self.sample(cause, rng, noisy), "seed": seed}

    def sample(self, cause, rng, noisy):
        answers = {}
        for f in sorted(self.facts):
            dist = self.lk[cause][f]
            v = rng.choices([v for v, _ in dist], [p for _, p in dist])[0]
            r = rng.random()
            if noisy and f not in ("error_code", "extended_error"):
                if r < UNKNOWN:
                    continue
                if r < UNKNOWN + WRONG:
                    v = rng.choice([x for x, _ in self.facts[f] if x != v])
            answers[f] = v
        return answers


def world_kb(world, tree, work):
    """The world's own numbers as a knowledge base: what learning could reach at best."""
    out = os.path.join(work, "world-tree")
    shutil.copytree(tree, out)
    total = sum(json.load(open(os.path.join(tree, "kb", "causes", c + ".json")))["prior"] for c in world.prior)
    for c in world.prior:
        path = os.path.join(out, "kb", "causes", c + ".json")
        rec = json.load(open(path))
        rec["prior"] = round(world.prior[c] * total, 4)
        for ev in rec["evidence"]:
            if "%s/%s" % (c, ev["fact"]) in world.changed:
                ev["p"] = {v: round(p, 4) for v, p in world.lk[c][ev["fact"]]}
        with open(path, "w") as f:
            json.dump(rec, f, indent=2)
    kb = os.path.join(work, "world.sqlite")
    run([ARGS.bin, "kb", "build", "-o", kb, out])
    return kb


def reported(facts):
    return {k: facts[k] for k in ("error_code", "extended_error") if k in facts}


def works(user, fix):
    """Whether fix works for user: with the probability the knowledge base's link gives it
    for their cause (the world's fixes are the knowledge base's), drawn once per user and fix
    so that every knowledge base meets the same outcomes."""
    p = LINKS.get(fix, {}).get(user["cause"], 0.0)
    return random.Random("%s/%s" % (user["seed"], fix)).random() < p


def session(user, env, kb, save=True):
    """One help-desk session through JSON Lines (saved in env's session file when save):
    returns (status, questions, fixes tried, session id)."""
    argv = [ARGS.bin, "--kb", kb, "session", "--jsonl"] + ([] if save else ["--no-save"])
    for k, v in reported(user["facts"]).items():
        argv += ["--fact", "%s=%s" % (k, v)]
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True, bufsize=1, env=env)
    steps, sid, status, questions, fixes = 0, None, None, 0, 0
    for line in p.stdout:
        msg = json.loads(line)
        kind = msg.get("type")
        if kind == "ranking":
            sid = msg.get("session", sid)
            continue
        if kind == "done":
            status = msg["status"]
            break
        if kind not in ("question", "recommend"):
            continue
        if steps >= MAX_STEPS:
            end = {"command": "end", "ending": "outside", "note": user["note"]} if "note" in user \
                else {"command": "end", "ending": "abandoned"}
            p.stdin.write(json.dumps(end) + "\n")
            steps += 1
            continue
        steps += 1
        if kind == "question":
            questions += 1
            p.stdin.write(json.dumps({"answer": user["facts"].get(msg["fact"], "unknown")}) + "\n")
        else:
            fixes += 1
            p.stdin.write(json.dumps({"result": "worked" if works(user, msg["fix"]) else "failed"}) + "\n")
    p.stdin.close()
    p.wait()
    return status, questions, fixes, sid


def train_one(user, env):
    status, _, _, sid = session(user, env, ARGS.kb)
    if status == "exhausted" and sid:   # nothing left to try: the technician says how it ended
        if "note" in user:
            run([ARGS.bin, "sessions", "end", str(sid), "outside", "--note", user["note"]], env=env)
        else:
            run([ARGS.bin, "sessions", "end", str(sid), "abandoned"], env=env)
    return status


def efforts(kb, cases, env):
    """Each fresh user's effort from the oracle (questions + 3 x fixes when resolved,
    3 x the step limit when not; a fix works when it addresses the cause), in case order."""
    out = run([sys.executable, ORACLE, "--engine", ARGS.bin, "--kb", kb, "--max-steps", str(MAX_STEPS), cases],
              env=env)
    return [int(l.split("effort=")[1].split()[0]) for l in out.stdout.splitlines()
            if "effort=" in l and not l.startswith("summary")]


def oracle(kb, cases, env):
    out = run([sys.executable, ORACLE, "--engine", ARGS.bin, "--kb", kb, "--json", "--verbose", cases], env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", default="shifted", choices=["shifted", "concentrated", "same"])
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--eval", type=int, default=1000)
    ap.add_argument("--steps", default="0,50,200,1000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--weight", default=None)
    ap.add_argument("--reuse", action="store_true", help="keep the sessions of an earlier run of the same world and seed")
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "learn-bench"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "triage"))
    ap.add_argument("--kb", default=os.path.join(ROOT, "build", "kb.sqlite"))
    ARGS = ap.parse_args()
    ARGS.bin, ARGS.kb = os.path.abspath(ARGS.bin), os.path.abspath(ARGS.kb)
    work = os.path.join(ARGS.out, "%s-seed%d" % (ARGS.world, ARGS.seed))
    export = os.path.join(work, "sessions.jsonl")
    reuse = ARGS.reuse and os.path.exists(export)
    if not reuse:
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
    for stale in ("world-tree", "tree"):
        shutil.rmtree(os.path.join(work, stale), ignore_errors=True)
    shutil.copy(ARGS.bin, os.path.join(work, "triage"))   # a rebuild meanwhile must not change the run
    ARGS.bin = os.path.join(work, "triage")
    tree = os.path.join(work, "tree")
    run([ARGS.bin, "--kb", ARGS.kb, "kb", "dump", tree])
    rng = random.Random(ARGS.seed)
    world = World(tree, ARGS.world, rng)
    fixes = {}
    for path in sorted(os.listdir(os.path.join(tree, "kb", "fixes"))):
        fx = json.load(open(os.path.join(tree, "kb", "fixes", path)))
        fixes[fx["id"]] = fx
    for fid in fixes:   # a fix resolves what the fixes it includes do, at least as often (model.c)
        LINKS[fid], todo, seen = {}, [fid], {fid}
        while todo:
            for r in fixes[todo[0]]["resolves"]:
                LINKS[fid][r["cause"]] = max(LINKS[fid].get(r["cause"], 0), r["p"])
            for inc in fixes[todo.pop(0)].get("includes", []):
                if inc not in seen:
                    seen.add(inc)
                    todo.append(inc)
    env = dict(os.environ, TRIAGE_SESSIONS=os.path.join(work, "train.sqlite"), TRIAGE_KB=ARGS.kb)
    env.pop("NO_COLOR", None)

    t0 = time.time()
    users = [world.user(random.Random("%d-train-%d" % (ARGS.seed, i)), "%d-train-%d" % (ARGS.seed, i))
             for i in range(ARGS.sessions)]
    statuses = [] if reuse else [train_one(u, env) for u in users]
    t_train = time.time() - t0
    if not reuse:
        run([ARGS.bin, "--kb", ARGS.kb, "sessions", "export", "--keep-text", "-o", export], env=env)
    lines = sorted(open(export).read().splitlines(), key=lambda l: json.loads(l)["session"])

    fresh_users = [world.user(random.Random("%d-eval-%d" % (ARGS.seed, i)), "%d-eval-%d" % (ARGS.seed, i))
                   for i in range(ARGS.eval)]
    fresh_users = [u for u in fresh_users if "note" not in u]   # measured on what the knowledge base can fix
    cases = os.path.join(work, "fresh.jsonl")
    with open(cases, "w") as f:
        for u in fresh_users:
            f.write(json.dumps({"id": u["seed"], "cause": u["cause"], "facts": u["facts"],
                                "reported": reported(u["facts"])}) + "\n")
    eval_env = dict(env, TRIAGE_SESSIONS=os.path.join(work, "eval.sqlite"))
    rows, base = [], None
    for n in [int(x) for x in ARGS.steps.split(",")] + [-1]:
        kb = world_kb(world, tree, work) if n < 0 else ARGS.kb
        t1 = time.time()
        if n > 0:
            part = os.path.join(work, "sessions-%d.jsonl" % n)
            with open(part, "w") as f:
                f.write("\n".join(lines[:n]) + "\n")
            kb = os.path.join(work, "learned-%d.sqlite" % n)
            if os.path.exists(kb):   # --reuse: learn again (kb learn never overwrites)
                os.remove(kb)
            argv = [ARGS.bin, "--kb", ARGS.kb, "kb", "learn", part, "-o", kb]
            if ARGS.weight:
                argv += ["--weight", ARGS.weight]
            with open(os.path.join(work, "learn-%d.txt" % n), "w") as f:
                f.write(run(argv, env=env).stdout)
        t_learn = time.time() - t1
        fresh = efforts(kb, cases, eval_env)
        public = oracle(kb, PUBLIC, eval_env)
        if base is None:
            base = fresh
        diff = [a - b for a, b in zip(fresh, base)]
        se = statistics.stdev(diff) / math.sqrt(len(diff)) if n else 0.0
        rows.append({"n": n if n >= 0 else "world", "fresh_effort": round(statistics.mean(fresh), 2),
                     "vs_n0": round(statistics.mean(fresh) / statistics.mean(base) - 1, 4),
                     "diff_se": round(se, 3), "resolved": sum(1 for e in fresh if e < 3 * MAX_STEPS),
                     "cases": len(fresh), "public_effort": public["mean_effort"],
                     "public_resolved": public["resolved"], "learn_seconds": round(t_learn, 2)})
        print(json.dumps(rows[-1]), flush=True)
    summary = {"world": ARGS.world, "seed": ARGS.seed, "sessions": ARGS.sessions,
               "train_seconds": round(t_train, 1), "train_status": {s: statuses.count(s) for s in sorted(set(map(str, statuses)))},
               "changed_symptoms": world.changed, "rows": rows}
    with open(os.path.join(work, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k != "rows"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
