"""The shipped default beside an earlier default (or any bundle), side by side in one process on
the same mixed short sentences: sentences/s of each and their ratio. v6 runs two e5 encoders
where v5 ran one, v9 four, so this is the price of each real-text gain.

    .venv/bin/python benchmarks/default_versions.py --other /tmp/v6/bundles/default
    (an earlier default: git archive COMMIT bundles/default | tar -x -C /tmp/v6; v6: f3eff59)

Steady state: both models warmed up, interleaved rounds over slices, each model's fastest run per
slice summed, so other load on shared cores hits both alike. Writes
``benchmarks/results/default_versions.md``.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results" / "default_versions.md"


def main(argv: list[str] | None = None) -> int:
    from benchmarks.default_runtime import interleaved_fastest, mixed_short_sentences

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--other", type=Path, required=True, help="the bundle to compare with")
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--slice", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    from khitab import load_model
    from khitab.config import load_labels

    labels = load_labels(ROOT / "configs" / "labels.yaml").names
    models = {"shipped default": load_model(ROOT / "bundles" / "default", labels=labels),
              str(args.other): load_model(args.other, labels=labels)}
    sentences = mixed_short_sentences(args.sentences)
    for model in models.values():
        model.predict_proba(mixed_short_sentences(16, seed=1))
    slices = [sentences[i:i + args.slice] for i in range(0, len(sentences), args.slice)]
    fastest, _ = interleaved_fastest({name: model.predict_proba for name, model in models.items()},
                                     slices, args.rounds)
    rates = {name: len(sentences) / sum(fastest[name, i] for i in range(len(slices))) for name in models}
    base = rates["shipped default"]
    lines = [f"# Shipped default beside {args.other}", "",
             f"{len(sentences)} mixed short sentences, {args.threads} threads, "
             f"fastest of {args.rounds} rounds per slice.",
             "", "| model | members | sentences/s | ratio to the shipped default |", "|---|---|---|---|"]
    for name, model in models.items():
        kinds = "+".join(m.kind for m in getattr(model, "members", [model]))
        lines.append(f"| {name} | {kinds} | {rates[name]:.1f} | {rates[name] / base:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        RESULTS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
