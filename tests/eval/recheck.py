"""recheck.py: the noisy users of make_cases.py, replayed with the oracle's
own loop and counting (../shared/eval/oracle.py), except that a person asked
the same question a second time checks again and answers what is true: the
value of the public case the noisy user was drawn from. What it measures is
what asking a stated answer again (session.h, SESSION_RECHECK) is worth
when people do correct themselves, which the oracle, answering the same
every time, cannot show.

Usage: recheck.py --engine BIN [--kb KB] NOISY.jsonl [--against BIN]
"""
import argparse
import importlib.util
import json
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(ROOT, "..", "shared", "eval")


def load_oracle():
    spec = importlib.util.spec_from_file_location("oracle", os.path.join(SHARED, "oracle.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Rechecking(dict):
    """The noisy answers; a fact asked again answers its true value."""

    def __init__(self, noisy, true):
        super().__init__(noisy)
        self.true = true
        self.asked = set()

    def get(self, key, default=None):
        if key in self.asked and key in self.true:
            return self.true[key]
        self.asked.add(key)
        return super().get(key, default)


def true_facts():
    out = {}
    with open(os.path.join(SHARED, "cases-public.jsonl")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                case = json.loads(line)
                out[case["id"]] = case["facts"]
    return out


def replay(oracle, engine, kb, cases, truth):
    args = argparse.Namespace(engine=engine, kb=kb, reach=None, max_steps=30, timeout=10.0)
    results = []
    for case in cases:
        base = case["id"].split("-noisy-")[0]
        case = dict(case, facts=Rechecking(case["facts"], truth[base]))
        results.append(oracle.run_case(case, args))
    return results


def summary(results):
    return {"cases": len(results), "resolved": sum(r["resolved"] for r in results),
            "mean_effort": round(statistics.mean(r["effort"] for r in results), 2),
            "mean_questions": round(statistics.mean(r["questions"] for r in results), 2),
            "mean_fixes_tried": round(statistics.mean(r["fixes"] for r in results), 2)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", required=True)
    ap.add_argument("--against", help="a second engine to compare, case by case")
    ap.add_argument("--kb")
    ap.add_argument("cases")
    a = ap.parse_args()
    oracle, truth = load_oracle(), true_facts()
    with open(a.cases) as f:
        cases = [json.loads(l) for l in f if l.strip() and not l.startswith("#")]
    mine = replay(oracle, a.engine, a.kb, cases, truth)
    print(json.dumps(dict(summary(mine), engine=a.engine)))
    if a.against:
        other = replay(oracle, a.against, a.kb, cases, truth)
        print(json.dumps(dict(summary(other), engine=a.against)))
        diff = [x["effort"] - y["effort"] for x, y in zip(mine, other)]
        sd = statistics.stdev(diff) / len(diff) ** 0.5 if len(diff) > 1 else 0
        print(json.dumps({"paired_difference": round(statistics.mean(diff), 2), "standard_error": round(sd, 2),
                          "rescued": sum(x["resolved"] and not y["resolved"] for x, y in zip(mine, other)),
                          "lost": sum(y["resolved"] and not x["resolved"] for x, y in zip(mine, other))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
