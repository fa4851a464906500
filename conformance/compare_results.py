"""Compares conformance results with the checked-in expectation (conformance/results.json).

Both files are {library: {check: "pass"|"fail"}}. A check that is "pass" in the expectation and is
not "pass" now (or is missing now) is a regression: print the diff and exit 1. Checks that now pass
but are expected to fail, and checks that are new, are reported so the expectation can be updated
(`--update` rewrites it with the actual results); they do not fail the run.

`--partial` compares only the libraries present in ACTUAL (a run restricted to some libraries).

Usage: compare_results.py EXPECTED_JSON ACTUAL_JSON [--update] [--partial]
"""

import json
import sys


def main() -> int:
    expected_path, actual_path = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv[3:]
    partial = "--partial" in sys.argv[3:]
    with open(expected_path) as f:
        expected = json.load(f)
    with open(actual_path) as f:
        actual = json.load(f)
    if partial:
        expected_all, expected = expected, {k: v for k, v in expected.items() if k in actual}

    regressions, improvements, new = [], [], []
    for library in sorted(set(expected) | set(actual)):
        want, got = expected.get(library, {}), actual.get(library, {})
        for check in sorted(set(want) | set(got)):
            before, now = want.get(check), got.get(check, "missing")
            name = f"{library} :: {check}"
            if before == "pass" and now != "pass":
                regressions.append(f"  - {name}: expected pass, now {now}")
            elif before is None and now == "pass":
                new.append(f"  + {name}: pass (not in the expectation)")
            elif before != "pass" and now == "pass":
                improvements.append(f"  + {name}: expected {before}, now pass")

    total = sum(len(v) for v in actual.values())
    passed = sum(r == "pass" for v in actual.values() for r in v.values())
    print(f"conformance: {passed} of {total} checks pass")
    for library in sorted(actual):
        failing = sorted(c for c, r in actual[library].items() if r != "pass")
        if failing:
            print(f"  {library}: failing: {', '.join(failing)}")
    if improvements or new:
        print("newly passing or new checks (update conformance/results.json with --update):")
        print("\n".join(improvements + new))
    if update:
        merged = {**expected_all, **actual} if partial else actual
        with open(expected_path, "w") as f:
            json.dump(merged, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"wrote {expected_path}")
        return 0
    if regressions:
        print("REGRESSIONS against conformance/results.json:")
        print("\n".join(regressions))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
