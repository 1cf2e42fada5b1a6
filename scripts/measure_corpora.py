#!/usr/bin/env python3
"""Measures guard's validators on the labelled corpora in ../shared/corpora.

Usage: python3 scripts/measure_corpora.py [--show N]
Builds the `guard` CLI, runs each corpus through its validator and prints the
miss rate (attacks allowed) and false-positive rate (benign refused), with a
few examples of each. A development aid: the tests carry their own fixtures.
"""

import collections
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
RUNS = [
    ("path.jsonl", ["--validator", "path"]),
    ("url.jsonl", ["--validator", "url", "--schemes", "http,https"]),
    ("sql.jsonl", ["--validator", "sql", "--dialect", "any"]),
    ("command.jsonl", ["--validator", "command"]),
]


def main():
    show = int(sys.argv[sys.argv.index("--show") + 1]) if "--show" in sys.argv else 5
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "guard-runtime", "--features", "cli",
                    "--bin", "guard"], cwd=ROOT, check=True)
    guard = ROOT / "target" / "release" / "guard"
    for name, args in RUNS:
        rows = [json.loads(line) for line in (CORPORA / name).read_text().splitlines() if line.strip()]
        stdin = "\n".join(json.dumps({"value": r["value"]}) for r in rows) + "\n"
        out = subprocess.run([guard, "check", *args], input=stdin, capture_output=True, text=True, check=True)
        verdicts = [json.loads(line) for line in out.stdout.splitlines()]
        assert len(verdicts) == len(rows), (name, len(verdicts), len(rows))
        attacks = [(r, v) for r, v in zip(rows, verdicts) if r["label"] == "attack"]
        benign = [(r, v) for r, v in zip(rows, verdicts) if r["label"] == "benign"]
        missed = [(r, v) for r, v in attacks if v["allowed"]]
        false_pos = [(r, v) for r, v in benign if not v["allowed"]]
        print(f"{name}: miss {len(missed)}/{len(attacks)} = {100 * len(missed) / max(1, len(attacks)):.2f}%, "
              f"false positives {len(false_pos)}/{len(benign)} = {100 * len(false_pos) / max(1, len(benign)):.2f}%")
        notes = collections.Counter(r.get("note", "") for r, _ in missed)
        if missed:
            print("  missed by note:", dict(notes.most_common(8)))
        for r, _ in missed[:show]:
            print("   MISS", json.dumps(r["value"])[:160], "|", r.get("note", ""))
        reasons = collections.Counter(v["reason"] for _, v in false_pos)
        if false_pos:
            print("  false positives by reason:", dict(reasons.most_common(8)))
        for r, v in false_pos[:show]:
            print("   FP  ", v["reason"], json.dumps(r["value"])[:160])


if __name__ == "__main__":
    main()
