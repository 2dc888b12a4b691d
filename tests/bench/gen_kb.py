#!/usr/bin/env python3
"""Synthetic knowledge bases for `make bench` and the scale tests (issue 9).

Writes DIR/kb (kb.json, sources.json, facts/, causes/, fixes/) and DIR/rules
in the text format of kb/README.md, every record valid for `triage kb build`,
plus, for the benchmark, DIR/clips/rules.clp (the same rules as a CLIPS
program), DIR/clips/half.fct (half the facts, for load-facts) and
DIR/bench.json (what a simulated user and the CLIPS comparison need, so the
bench never parses the tree).

Deterministic: the same size, counts and seed give the same bytes.

    gen_kb.py OUT --size small|medium|large [--seed N]
    gen_kb.py OUT --causes N --facts N --fixes N --evidence N --rules N [--seed N]

The shape (sizes named in issue 9):
  - facts have 2-4 values with default likelihoods; the fact ids are in a
    fixed order, and a rule that derives or hides a fact reads only facts
    earlier in that order, so derivations never form a cycle;
  - a cause names a handful of facts (evidence / causes of them, at least
    one), each with one telling value at likelihood 0.6-0.95;
  - fix i < causes resolves cause i (so every cause has a fix); beyond that
    a fix resolves a random cause; a fifth of all fixes resolve a second one;
    a fifth are medium risk and a tenth high risk, and those carry an undo;
  - a rule reads one or two facts and, when they hold given values, scales
    a cause that names one of them (55%), derives a later fact (20%) or
    hides a later fact (25%), like the rules in rules/.
"""
import argparse, hashlib, json, os, random, shutil, sys

SIZES = {
    # causes, facts, fixes, evidence rows, rules
    "small": (300, 400, 400, 3000, 1000),
    "medium": (1000, 2000, 2000, 20000, 10000),
    "large": (10000, 20000, 20000, 200000, 100000),
}
VALUE_SETS = {2: ("yes", "no"), 3: ("low", "normal", "high"), 4: ("none", "one", "several", "all")}
ASKERS = ("client", "host_admin", "cloud_admin", "network_admin")
SOURCE = "synthetic"
GENERATOR_VERSION = "1"   # bump when the output changes for the same arguments


def generator_hash():
    """What the cache depends on: this file's bytes."""
    with open(os.path.abspath(__file__), "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


def dump(path, obj):
    """One record per file, on one line: the C encoder is four times as fast
    as an indented dump, and `triage kb dump` gives the canonical layout."""
    with open(path, "w") as f:
        f.write(json.dumps(obj, ensure_ascii=False))
        f.write("\n")


def split_p(rng, n):
    """n default likelihoods summing to 1 (3 decimals, each >= 0.05)."""
    w = [rng.uniform(0.3, 1.0) for _ in range(n)]
    s = sum(w)
    p = [max(0.05, round(x / s, 3)) for x in w]
    p[-1] = round(1 - sum(p[:-1]), 3)
    if p[-1] < 0.05:   # rounding pushed the last one too low: even split
        p = [round(1 / n, 3)] * (n - 1)
        p.append(round(1 - sum(p), 3))
    return p


class Gen:
    def __init__(self, causes, facts, fixes, evidence, rules, seed, size):
        if min(causes, facts, fixes) < 1 or evidence < 0 or rules < 0:
            raise SystemExit("gen_kb: causes, facts and fixes must be at least 1; evidence and rules at least 0")
        if facts < 2 and rules:
            raise SystemExit("gen_kb: rules need at least 2 facts")
        self.nc, self.nf, self.nx, self.ne, self.nr = causes, facts, fixes, evidence, rules
        self.seed, self.size = seed, size
        self.rng = random.Random("%s/%d/%d/%d/%d/%d/%d" % (GENERATOR_VERSION, seed, causes, facts, fixes, evidence, rules))
        w = lambda n: len(str(n))
        self.fid = ["fact_%0*d" % (w(facts), i + 1) for i in range(facts)]
        self.cid = ["cause_%0*d" % (w(causes), i + 1) for i in range(causes)]
        self.xid = ["fix_%0*d" % (w(fixes), i + 1) for i in range(fixes)]
        self.rid = ["rule_%0*d" % (w(rules), i + 1) for i in range(rules)]

    # ---- the model ----
    def make(self):
        rng = self.rng
        self.values, self.defp = [], []
        for _ in range(self.nf):
            k = rng.choice((2, 2, 3, 4))
            self.values.append(VALUE_SETS[k])
            self.defp.append(split_p(rng, k))
        # evidence: per cause a handful of distinct facts, one telling value each
        per, extra = divmod(self.ne, self.nc)
        self.evidence = []          # per cause: [(fact index, value, p)]
        self.named_by = [[] for _ in range(self.nf)]   # per fact: causes naming it
        for c in range(self.nc):
            n = min(self.nf, per + (1 if c < extra else 0))
            rows = []
            for f in sorted(rng.sample(range(self.nf), n)):
                v = rng.randrange(len(self.values[f]))
                rows.append((f, v, round(rng.uniform(0.6, 0.95), 2)))
                self.named_by[f].append(c)
            self.evidence.append(rows)
        self.priors = [round(min(0.2, max(0.0005, rng.lognormvariate(-5, 1))), 4) for _ in range(self.nc)]
        # fixes
        self.resolves = []
        for x in range(self.nx):
            first = x if x < self.nc else rng.randrange(self.nc)
            res = [(first, round(rng.uniform(0.7, 0.95), 2))]
            if self.nc > 1 and rng.random() < 0.2:
                second = rng.randrange(self.nc - 1)
                second += second >= first
                res.append((second, round(rng.uniform(0.3, 0.8), 2)))
            self.resolves.append(res)
        if self.nx < self.nc:   # fewer fixes than causes: the rest go round the fixes
            for c in range(self.nx, self.nc):
                x = c % self.nx
                if all(r[0] != c for r in self.resolves[x]):
                    self.resolves[x].append((c, round(rng.uniform(0.7, 0.95), 2)))
        self.risk = [rng.choices(("low", "medium", "high"), (0.7, 0.2, 0.1))[0] for _ in range(self.nx)]
        self.fcost = [rng.choice((0.5, 1, 1, 2, 3, 5)) for _ in range(self.nf)]
        self.xcost = [rng.choice((5, 10, 15, 20, 30, 60)) for _ in range(self.nx)]
        # rules: (kind, reads [(fact, op, value)], target, extra)
        self.rules = []
        for _ in range(self.nr):
            kind = rng.choices(("scale", "derive", "hide"), (0.55, 0.2, 0.25))[0]
            if kind == "scale":
                a = rng.randrange(self.nf)
                b = rng.randrange(self.nf) if rng.random() < 0.5 else None
                if b == a:
                    b = None
                cands = self.named_by[a]
                cause = rng.choice(cands) if cands else rng.randrange(self.nc)
                reads = [a] + ([b] if b is not None else [])
                target, extra = cause, round(rng.choice((0.2, 0.5, 1.5, 2, 3, 5)) * rng.uniform(0.8, 1.2), 2)
            else:
                t = rng.randrange(1, self.nf)
                a = rng.randrange(t)
                reads = [a]
                if t > 1 and rng.random() < 0.5:
                    b = rng.randrange(t)
                    if b != a:
                        reads.append(b)
                target = t
                extra = rng.randrange(len(self.values[t])) if kind == "derive" else None
            conds = []
            for f in reads:
                op = "==" if rng.random() < 0.8 else "~="
                conds.append((f, op, rng.randrange(len(self.values[f]))))
            self.rules.append((kind, conds, target, extra))

    # ---- text ----
    def write_kb(self, out):
        kb, rules = os.path.join(out, "kb"), os.path.join(out, "rules")
        for sub in ("facts", "causes", "fixes"):
            os.makedirs(os.path.join(kb, sub))
        os.makedirs(rules)
        dump(os.path.join(kb, "kb.json"), {
            "id": "synthetic_%s" % (self.size or "custom"),
            "title": "Synthetic knowledge base (%d causes, %d facts, %d fixes, %d evidence rows, %d rules)" % (
                self.nc, self.nf, self.nx, self.ne, self.nr),
            "version": "%s.%d" % (GENERATOR_VERSION, self.seed),
            "summary": "Generated by tests/bench/gen_kb.py with seed %d for speed and memory measurements; "
                       "the records are random and mean nothing." % self.seed})
        dump(os.path.join(kb, "sources.json"), [{
            "id": SOURCE, "file": "tests/bench/gen_kb.py",
            "title": "The synthetic knowledge-base generator of the triage benchmark",
            "note": "Random records drawn from a fixed seed; their only use is measuring the engine at scale."}])
        cite = [{"source": SOURCE}]
        for f, fid in enumerate(self.fid):
            vals = self.values[f]
            dump(os.path.join(kb, "facts", fid + ".json"), {
                "id": fid,
                "text": "Synthetic question %d: which of %s holds?" % (f + 1, ", ".join(vals)),
                "help": "Read gauge %d; the answer is one of %s." % (f + 1, ", ".join(vals)),
                "check": [{"shell": "cmd", "on": "client", "text": "gauge %d" % (f + 1)}] if f % 3 == 0 else [],
                "asker": ASKERS[f % 4],
                "cost": self.fcost[f],
                "unknown_rate": (0.05, 0.1, 0.15)[f % 3],
                "values": [{"value": v, "text": "the gauge reads %s" % v, "p": p} for v, p in zip(vals, self.defp[f])],
                "sources": cite})
        for c, cid in enumerate(self.cid):
            dump(os.path.join(kb, "causes", cid + ".json"), {
                "id": cid,
                "title": "Synthetic cause %d" % (c + 1),
                "summary": "A random cause with %d signs." % len(self.evidence[c]),
                "prior": self.priors[c],
                "prior_why": "drawn from a log-normal distribution",
                "evidence": [{"fact": self.fid[f], "p": {self.values[f][v]: p},
                              "why": "sign %d of this cause" % (i + 1)} for i, (f, v, p) in enumerate(self.evidence[c])],
                "sources": cite})
        for x, xid in enumerate(self.xid):
            risk = self.risk[x]
            dump(os.path.join(kb, "fixes", xid + ".json"), {
                "id": xid,
                "title": "Synthetic fix %d" % (x + 1),
                "summary": "A random fix for %s." % ", ".join(self.cid[c] for c, _ in self.resolves[x]),
                "risk": risk,
                "cost": self.xcost[x],
                "minutes": self.xcost[x],
                "admin": x % 2 == 0,
                "reboot": risk == "high",
                "steps": ["Turn knob %d a quarter turn clockwise." % (x + 1), "Check the gauges again."],
                "commands": [{"shell": "powershell", "on": "host", "text": "Set-Knob -Id %d -Turn 0.25" % (x + 1)}],
                "undo": "" if risk == "low" else "Turn knob %d back a quarter turn (Set-Knob -Id %d -Turn -0.25)." % (x + 1, x + 1),
                "outcome": "The gauges read normal again.",
                "resolves": [{"cause": self.cid[c], "p": p, "why": "the knob governs this cause"} for c, p in self.resolves[x]],
                "sources": cite})
        for r, rid in enumerate(self.rid):
            with open(os.path.join(rules, rid + ".lua"), "w") as fh:
                fh.write(self.lua(r))

    def cond_text(self, conds):
        parts = []
        for f, op, v in conds:
            parts.append("%s is %s%s" % (self.fid[f], "" if op == "==" else "known and not ", self.values[f][v]))
        return " and ".join(parts)

    def lua(self, r):
        kind, conds, target, extra = self.rules[r]
        test = " and ".join(('f.%s == "%s"' % (self.fid[f], self.values[f][v])) if op == "==" else
                            ('f.%s and f.%s ~= "%s"' % (self.fid[f], self.fid[f], self.values[f][v]))
                            for f, op, v in conds)
        when = self.cond_text(conds)
        if kind == "scale":
            desc = "When %s, %s is %g times as likely" % (when, self.cid[target], extra)
            act = 'scale("%s", %g, "%s")' % (self.cid[target], extra, when)
        elif kind == "derive":
            val = self.values[target][extra]
            desc = "When %s, %s is %s" % (when, self.fid[target], val)
            act = 'derive("%s", "%s", "%s")' % (self.fid[target], val, when)
        else:
            desc = "When %s, do not ask %s" % (when, self.fid[target])
            act = 'hide("%s", "%s")' % (self.fid[target], when)
        reads = ", ".join('"%s"' % self.fid[f] for f, _, _ in conds)
        return ("-- Generated by tests/bench/gen_kb.py (seed %d): a synthetic %s rule.\n"
                "description = \"%s\"\nreads = {%s}\nsources = {\"%s\"}\n\n"
                "function run(f)\n  if %s then\n    %s\n  end\nend\n") % (
                    self.seed, kind, desc, reads, SOURCE, test, act)

    # ---- CLIPS ----
    def clips_rule(self, r):
        """The same rule as a CLIPS defrule over ordered facts (val FACT VALUE).
        Effects hold only while the facts read hold (logical), as triage
        recomputes a rule's effects when its reads change; a derivation
        sets only a fact with no value yet, as derive() does."""
        kind, conds, target, extra = self.rules[r]
        pats = []
        for i, (f, op, v) in enumerate(conds):
            val = self.values[f][v]
            pats.append("(val %s %s)" % (self.fid[f], val) if op == "==" else "(val %s ?v%d&~%s)" % (self.fid[f], i, val))
        lhs = "(logical %s)" % " ".join(pats)
        rid = self.rid[r]
        if kind == "scale":
            return "(defrule %s\n   %s\n   =>\n   (assert (scale %s %g %s)))\n" % (rid, lhs, self.cid[target], extra, rid)
        if kind == "derive":
            return "(defrule %s\n   %s\n   (not (val %s ?))\n   =>\n   (assert (val %s %s)))\n" % (
                rid, lhs, self.fid[target], self.fid[target], self.values[target][extra])
        return "(defrule %s\n   %s\n   =>\n   (assert (hidden %s %s)))\n" % (rid, lhs, self.fid[target], rid)

    def scenario(self):
        """Half the facts with values drawn from their defaults, then new facts
        to add one at a time (each read by at least one rule, if any is)."""
        rng = random.Random("scenario/%d" % self.seed)
        order = list(range(self.nf))
        rng.shuffle(order)
        half = sorted(order[: self.nf // 2])
        read_by = [0] * self.nf
        for _, conds, _, _ in self.rules:
            for f, _, _ in conds:
                read_by[f] += 1
        rest = [f for f in order[self.nf // 2:] if read_by[f]] or order[self.nf // 2:]
        pick = lambda f: rng.choices(self.values[f], self.defp[f])[0]
        return [(f, pick(f)) for f in half], [(f, pick(f), read_by[f]) for f in rest[:5]]

    def write_clips(self, out):
        d = os.path.join(out, "clips")
        os.makedirs(d)
        with open(os.path.join(d, "rules.clp"), "w") as fh:
            fh.write(";; Generated by tests/bench/gen_kb.py (seed %d): the rules of ../rules/ as CLIPS rules.\n" % self.seed)
            for r in range(self.nr):
                fh.write(self.clips_rule(r))
        half, new = self.scenario()
        with open(os.path.join(d, "half.fct"), "w") as fh:   # for (load-facts), which works after bload
            for f, v in half:
                fh.write("(val %s %s)\n" % (self.fid[f], v))
        return half, new

    def write_manifest(self, out, half, new):
        rng = random.Random("truth/%d" % self.seed)
        truth = rng.sample(range(self.nc), min(3, self.nc))
        dump(os.path.join(out, "bench.json"), {
            "generator": generator_hash(), "size": self.size, "seed": self.seed,
            "counts": {"causes": self.nc, "facts": self.nf, "fixes": self.nx, "evidence": self.ne, "rules": self.nr},
            "facts": {self.fid[f]: [list(self.values[f]), self.defp[f]] for f in range(self.nf)},
            "true_causes": {self.cid[c]: {self.fid[f]: [self.values[f][v], p] for f, v, p in self.evidence[c]}
                            for c in truth},
            "show": self.cid[self.nc // 2],
            "half": [[self.fid[f], v] for f, v in half],
            "new": [[self.fid[f], v, n] for f, v, n in new],
        })


def counts_for(args):
    if args.size:
        if args.size not in SIZES:
            raise SystemExit("gen_kb: unknown size '%s' (one of %s)" % (args.size, ", ".join(SIZES)))
        c = list(SIZES[args.size])
    else:
        c = [None] * 5
    for i, k in enumerate(("causes", "facts", "fixes", "evidence", "rules")):
        if getattr(args, k) is not None:
            c[i] = getattr(args, k)
    if None in c:
        raise SystemExit("gen_kb: give --size, or all of --causes --facts --fixes --evidence --rules")
    return c


def generate(out, causes, facts, fixes, evidence, rules, seed=1, size=None):
    """Write the tree to OUT (which must not exist yet, or is replaced)."""
    g = Gen(causes, facts, fixes, evidence, rules, seed, size)
    g.make()
    tmp = out.rstrip("/") + ".tmp%d" % os.getpid()
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    g.write_kb(tmp)
    half, new = g.write_clips(tmp)
    g.write_manifest(tmp, half, new)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)


def main():
    ap = argparse.ArgumentParser(description="Write a synthetic knowledge base (kb/ + rules/) to OUT.")
    ap.add_argument("out")
    ap.add_argument("--size", help="small, medium or large")
    for k in ("causes", "facts", "fixes", "evidence", "rules"):
        ap.add_argument("--" + k, type=int)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    c = counts_for(args)
    generate(args.out, *c, seed=args.seed, size=args.size)


if __name__ == "__main__":
    main()
