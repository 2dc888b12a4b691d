#!/usr/bin/env python3
"""Generate troubleshooting cases for `triage kb test` (and oracle.py).

model: users sampled from the knowledge base's own likelihoods (one cause
       each, every fact drawn from P(value | cause)); a fair yardstick for
       comparing planner settings, optimistic about the knowledge base.
noisy: the public cases with answers made unknown (rate --unknown) and
       flipped to another value (rate --wrong): how the engine copes with
       people who cannot tell or are wrong.
Usage: make_cases.py model|noisy [--per-cause N] [--seed S] [--unknown R] [--wrong R]
                     [--root DIR] [--causes N]
--root DIR reads DIR/kb instead of the project's (e.g. a generated knowledge
base, tests/bench/gen_kb.py); --causes N samples users of N causes only.
"""
import argparse, glob, json, os, random, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_kb(root=ROOT):
    facts = {}
    for f in glob.glob(os.path.join(root, "kb/facts/*.json")):
        d = json.load(open(f))
        if d["values"]:
            facts[d["id"]] = [(v["value"], v["p"]) for v in d["values"]]
    causes = {}
    for f in glob.glob(os.path.join(root, "kb/causes/*.json")):
        d = json.load(open(f))
        causes[d["id"]] = {e["fact"]: e["p"] for e in d["evidence"]}
    return facts, causes


def likelihood(facts, stated, fact):
    named = stated.get(fact, {})
    rest = sum(p for v, p in facts[fact] if v not in named)
    left = 1 - sum(named.values())
    return [(v, named[v] if v in named else left * p / rest) for v, p in facts[fact]]


def model_cases(rng, per_cause, root=ROOT, ncauses=0):
    facts, causes = load_kb(root)
    chosen = sorted(causes)
    if ncauses:
        chosen = sorted(rng.sample(chosen, min(ncauses, len(chosen))))
    for cause in chosen:
        for i in range(per_cause):
            answers = {}
            for fact in sorted(facts):
                dist = likelihood(facts, causes[cause], fact)
                answers[fact] = rng.choices([v for v, _ in dist], [p for _, p in dist])[0]
            reported = {k: answers[k] for k in ("error_code", "extended_error") if k in answers}
            yield {"id": "model-%s-%d" % (cause, i), "cause": cause, "facts": answers, "reported": reported}


def noisy_cases(rng, per_case, unknown, wrong):
    facts, _ = load_kb()
    src = os.path.join(ROOT, "..", "shared", "eval", "cases-public.jsonl")
    for line in open(src):
        if not line.strip() or line.startswith("#"):
            continue
        case = json.loads(line)
        for i in range(per_case):
            answers = {}
            for k, v in sorted(case["facts"].items()):
                r = rng.random()
                if r < unknown and k not in case.get("reported", {}):
                    continue
                if r < unknown + wrong and k in facts and k not in case.get("reported", {}):
                    v = rng.choice([x for x, _ in facts[k] if x != v])
                answers[k] = v
            yield dict(case, id="%s-noisy-%d" % (case["id"], i), facts=answers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["model", "noisy"])
    ap.add_argument("--per-cause", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--unknown", type=float, default=0.3)
    ap.add_argument("--wrong", type=float, default=0.05)
    ap.add_argument("--root", default=ROOT)
    ap.add_argument("--causes", type=int, default=0)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    gen = model_cases(rng, a.per_cause, a.root, a.causes) if a.kind == "model" else \
        noisy_cases(rng, a.per_cause, a.unknown, a.wrong)
    for c in gen:
        sys.stdout.write(json.dumps(c, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
