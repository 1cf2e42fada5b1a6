#!/usr/bin/env python3
"""Builds tests/fixtures/corpus/*.jsonl from the labelled corpora in
../shared/corpora: a deterministic, evenly spread sample of each label,
each line keeping its public source (repo:path) for attribution.

Usage: python3 scripts/build_fixtures.py
The tests read only the fixtures written here, never ../shared.
"""

import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
OUT = ROOT / "tests" / "fixtures" / "corpus"
PER_LABEL = 700
FILES = ["path.jsonl", "url.jsonl", "sql.jsonl", "command.jsonl", "injection.jsonl", "secrets.jsonl", "pii.jsonl"]


def sources_table(name):
    """The corpus README's source table for one file (commit and licence per source)."""
    readme = (CORPORA / "README.md").read_text()
    section = readme.split(f"## {name}", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| `")]
    return table


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        rows = [json.loads(line) for line in (CORPORA / name).read_text().split("\n") if line.strip()]
        picked = []
        for label in ("attack", "benign"):
            subset = [r for r in rows if r["label"] == label]
            step = max(1, len(subset) / PER_LABEL)
            picked += [subset[int(i * step)] for i in range(min(PER_LABEL, len(subset)))]
        used = {r["source"] for r in picked}
        header = [
            f"# guard test fixture: {len(picked)} labelled values sampled from guard's measurement corpus {name}",
            "# (labels and rules: see tests/fixtures/corpus/README.md). Each line names its public source.",
            "# Sources (repo:path, commit, licence):",
        ]
        for row in sources_table(name):
            cells = [c.strip() for c in row.strip("|").split("|")]
            source = cells[0].strip("`")
            if any(u == source or u.startswith(source.split(" (")[0]) for u in used):
                header.append(f"#   {source} @ {cells[1]} ({cells[2]})")
        lines = header + [
            json.dumps({"value": r["value"], "label": r["label"], "source": r["source"], "note": r.get("note", "")},
                       ensure_ascii=True)
            for r in picked
        ]
        (OUT / name).write_text("\n".join(lines) + "\n")
        print(f"{name}: {len(picked)} lines, {len(header) - 3} sources")
    rules = (CORPORA / "README.md").read_text()
    sections = []
    for name in FILES:
        body = rules.split(f"## {name}", 1)[1].split("**dev sources**", 1)[0]
        sections.append(f"## {name}\n{body.strip()}\n")
    (OUT / "README.md").write_text(
        "# Corpus fixtures\n\nSampled by `scripts/build_fixtures.py` from labelled sets built from public payload "
        "lists (e.g. PayloadsAllTheThings) and public repositories; every line names its source, and each file's "
        "header lists the sources' commits and licences. Generated lines are CC0.\n\n"
        + "\n".join(sections)
    )


if __name__ == "__main__":
    main()
