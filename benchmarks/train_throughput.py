"""Training throughput of the encoder trainer on CPU: the tiny test encoder and the BERT-base
architecture of AraBERT v2 (random weights cost the same as trained ones), measured side by
side in one process on the same corpus sentences, batches as the trainer builds them
(length-grouped, dynamically padded), full fine-tuning with AdamW.

    .venv/bin/python benchmarks/train_throughput.py [--steps 12] [--batch-size 16]

Model FLOPs per step = 6 x (matmul weights) x (real tokens) + attention terms (12 L h n^2 per
sentence for forward + backward), the usual 3x-forward rule; utilisation is against the
machine's fp32 peak (2 cores, AVX2+FMA: ~190 GFLOP/s). Writes
benchmarks/results/train_throughput.md.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from khitab.data.corpus import load_corpus  # noqa: E402
from khitab.models.encoder import classification_model, load_tokenizer  # noqa: E402
from khitab.models.tiny import TINY_ARCHITECTURE, build_random_encoder  # noqa: E402
from khitab.training.encoder_trainer import epoch_batches, masked_bce  # noqa: E402

LABELS = ["threat", "sectarian", "denial"]
PEAK_GFLOPS = 190.0
BERT_BASE = {"vocab_size": 64000}  # BertConfig defaults otherwise: 12 layers, hidden 768, FFN 3072
RESULTS = ROOT / "benchmarks" / "results" / "train_throughput.md"


def matmul_weights(config) -> int:
    h, layers, ffn = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    return layers * (4 * h * h + 2 * h * ffn)


def measure(name: str, architecture: dict, texts: list[str], steps: int, batch_size: int, workdir: Path) -> dict:
    base = build_random_encoder(texts, workdir / name, 6000, 0, architecture)
    model = classification_model(str(base), LABELS)
    tokenizer = load_tokenizer(str(base))
    ids = tokenizer(texts, truncation=True, max_length=128)["input_ids"]
    batches = epoch_batches(ids, batch_size, seed=0, epoch=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    model.train()
    weights = matmul_weights(model.config)
    h, layers = model.config.hidden_size, model.config.num_hidden_layers
    timings, sentences, flops, tokens = [], 0, 0.0, 0
    for step, index in enumerate(batches[: steps + 2]):
        batch = tokenizer.pad({"input_ids": [ids[i] for i in index]}, return_tensors="pt")
        targets = torch.randint(0, 2, (len(index), len(LABELS))).float()
        started = time.perf_counter()
        logits = model(**batch).logits
        loss = masked_bce(logits, targets, torch.ones_like(targets), torch.ones(len(index)), torch.ones(len(LABELS)))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        elapsed = time.perf_counter() - started
        if step < 2:
            continue  # warm-up: allocator and kernels
        lengths = [len(ids[i]) for i in index]
        timings.append(elapsed)
        sentences += len(index)
        tokens += sum(lengths)
        flops += sum(6 * weights * n + 12 * layers * h * n * n for n in lengths)
    seconds = sum(timings)
    return {
        "model": name,
        "params_M": round(sum(p.numel() for p in model.parameters()) / 1e6, 1),
        "steps": len(timings),
        "batch": batch_size,
        "sentences_per_s": round(sentences / seconds, 1),
        "tokens_per_s": round(tokens / seconds),
        "s_per_step": round(float(np.mean(timings)), 3),
        "gflops_per_s": round(flops / seconds / 1e9, 1),
        "mfu_pct": round(100 * flops / seconds / 1e9 / PEAK_GFLOPS, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args()
    torch.manual_seed(0)
    texts = [ex.text for ex in load_corpus(ROOT / "data" / "authored", LABELS)]
    texts = [texts[i] for i in np.random.default_rng(0).permutation(len(texts))[:2000]]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [
            measure("tiny (2x64)", TINY_ARCHITECTURE, texts, args.steps * 10, args.batch_size, Path(tmp)),
            measure("BERT-base (12x768, AraBERT v2 shape)", BERT_BASE, texts, args.steps, args.batch_size, Path(tmp)),
        ]
    header = "| model | params (M) | steps | batch | sentences/s | tokens/s | s/step | GFLOP/s | MFU % |"
    lines = [
        "# Training throughput on CPU (torch fp32, full fine-tune, AdamW)",
        "",
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; peak taken as {PEAK_GFLOPS:.0f} GFLOP/s.",
        "Command: `.venv/bin/python benchmarks/train_throughput.py`",
        "",
        header,
        "|" + "---|" * 9,
        *(
            f"| {r['model']} | {r['params_M']} | {r['steps']} | {r['batch']} | {r['sentences_per_s']} | "
            f"{r['tokens_per_s']} | {r['s_per_step']} | {r['gflops_per_s']} | {r['mfu_pct']} |"
            for r in rows
        ),
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
