#!/usr/bin/env python3
"""The per-label mixing search behind the default's member weights (MODEL_CARD.md, "v6").

  .venv/bin/python scripts/mix_search.py logits OUT_DIR NAME=BUNDLE [NAME=BUNDLE ...]
      each member's raw logits on real:dev, corpus:dev and context:dev, cached in OUT_DIR
      (dev only: the search never reads a test split)
  .venv/bin/python scripts/mix_search.py search OUT_DIR NAME,NAME,... [--baseline NAME,NAME]
        [--step 4] [--corpus-loss 0.005] [--context-loss 0.01]
        [--real-threshold LABEL]
      for each label on its own, every mix of the members on a grid of 1/STEP (each member
      calibrated and the threshold tuned on the trainer's own pooled dev: configs/default.yaml's
      real dev plus its corpus slices' dev, exactly the rows `khitab train` uses; or on real dev
      alone for a --real-threshold label), ranked by real-dev (out-of-sample F1 + PR-AUC) / 2
      among the mixes that lose at most the given F1 on corpus:dev and context:dev against the
      baseline's equal mix
  .venv/bin/python scripts/mix_search.py score OUT_DIR MIX [MIX ...]
      one whole model per MIX, its three labels' mixes split by "/" in label order, e.g. v6:
      t4:1,t7:1,e2:1,e7:1/t4:1,t7:1,e2:2/t4:1,e2:2,e7:1; prints real-dev macro-F1, mean PR-AUC and
      each label's real-dev F1 / PR-AUC and authored dev F1 (the model card's candidate table),
      and each label's out-of-sample real-dev F1 ("cv": threshold tuned on random halves of real
      dev, scored on the other half); --real-threshold LABEL tunes that label's threshold on
      real dev alone, as thresholds.real_dev_labels does in training
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from khitab.data.external import LABELS  # noqa: E402  (after the sys.path line above)

SETS = ("real:dev", "corpus:dev", "context:dev", "pooled")
# The rows the trainer fits temperatures and thresholds on (configs/default.yaml's data.dev:
# real dev plus the dev rows of its 12 corpus slices), so a mix scores here as it will ship.
POOLED_CONFIG = ROOT / "configs" / "default.yaml"


def cache_logits(out: Path, members: list[str]) -> None:
    from khitab.config import load_train_config
    from khitab.data.dataset import assemble, label_matrices
    from khitab.evaluation.datasets import load_dataset
    from khitab.models.bundle import load_model

    roots = load_train_config(ROOT / "configs" / "baseline.yaml").source_roots()
    out.mkdir(parents=True, exist_ok=True)
    examples = {spec: load_dataset(spec, LABELS, roots).examples for spec in SETS if spec != "pooled"}
    examples["pooled"] = assemble(load_train_config(POOLED_CONFIG).data, LABELS).dev.examples
    for spec, rows in examples.items():
        targets, known = label_matrices(rows, LABELS)
        keep = np.array([not ex.borderline for ex in rows])
        np.savez(out / f"gold_{spec.replace(':', '_')}.npz", targets=targets, known=known & keep[:, None])
    for name, bundle in (m.split("=", 1) for m in members):
        model = load_model(Path(bundle), labels=list(LABELS))
        for spec, rows in examples.items():
            np.save(out / f"{name}_{spec.replace(':', '_')}.npy", np.asarray(model.logits([ex.text for ex in rows])))
        print("cached", name, flush=True)


class Cache:
    """Cached logits and gold; each member's probabilities after its pooled-dev temperatures."""

    def __init__(self, folder: Path):
        self.folder, self.probs = folder, {}
        self.gold = {s: np.load(folder / f"gold_{s.replace(':', '_')}.npz") for s in SETS}

    def member(self, name: str, spec: str) -> np.ndarray:
        if name not in self.probs:
            from khitab.evaluation.calibration import fit_temperatures, refitted_temperatures, sigmoid

            logits = {s: np.load(self.folder / f"{name}_{s.replace(':', '_')}.npy") for s in SETS}
            pooled = self.gold["pooled"]
            fits = fit_temperatures(logits["pooled"], pooled["targets"], pooled["known"], LABELS, {})
            fitted = refitted_temperatures(fits, {})
            temps = np.array([fitted.get(label, 1.0) for label in LABELS])
            self.probs[name] = {s: sigmoid(logits[s] / temps) for s in SETS}
        return self.probs[name][spec]

    def label_scores(self, names: list[str], weights: np.ndarray, j: int,
                     real_threshold: bool = False) -> dict[str, tuple[float, float]]:
        """(F1 at the threshold tuned on pooled dev, or on its real rows alone with
        ``real_threshold``; PR-AUC) of label ``j`` per dev set for one mix."""
        from khitab.config import ThresholdConfig
        from khitab.evaluation.thresholds import tune_one

        mixed, y, rows = self.mixed(names, weights, j)
        tuned_on = "real:dev" if real_threshold else "pooled"
        threshold = tune_one(mixed[tuned_on][rows[tuned_on]], y[tuned_on], ThresholdConfig())
        return {s: (f1_score(y[s], mixed[s][rows[s]] >= threshold), average_precision_score(y[s], mixed[s][rows[s]]))
                for s in SETS if s != "pooled"}

    def mixed(self, names: list[str], weights: np.ndarray, j: int) -> tuple[dict, dict, dict]:
        """Label ``j``'s mixed probabilities, known-row targets and known-row masks per set."""
        w = weights / weights.sum()
        mixed = {s: sum(wi * self.member(n, s)[:, j] for wi, n in zip(w, names)) for s in SETS}
        rows = {s: self.gold[s]["known"][:, j] for s in SETS}
        y = {s: self.gold[s]["targets"][rows[s], j] for s in SETS}
        return mixed, y, rows

    def cv_f1(self, names: list[str], weights: np.ndarray, j: int, real_threshold: bool = False,
              repeats: int = 10, seed: int = 0) -> float:
        """Label ``j``'s real-dev F1 out of sample: real dev cut in random halves ``repeats``
        times, the threshold tuned on one half (with pooled dev's authored rows unless
        ``real_threshold``) and scored on the other. The full-dev F1 reads the threshold off the
        rows it scores, which flatters whichever mix happens to fit them."""
        from khitab.config import ThresholdConfig
        from khitab.evaluation.thresholds import tune_one

        mixed, _, _ = self.mixed(names, weights, j)
        pooled, real = self.gold["pooled"], self.gold["real:dev"]
        n_real = len(real["targets"])
        authored = len(pooled["targets"]) - n_real
        if not np.array_equal(pooled["targets"][authored:], real["targets"]):
            raise SystemExit("the cache's pooled dev does not end with its real dev rows")
        scores = mixed["pooled"]
        targets, known = pooled["targets"][:, j], pooled["known"][:, j]
        authored_rows = np.flatnonzero(known[:authored])
        real_rows = authored + np.flatnonzero(known[authored:])
        rng, got = np.random.default_rng(seed), []
        for _ in range(repeats):
            order = rng.permutation(real_rows)
            halves = order[: len(order) // 2], order[len(order) // 2:]
            for fit, held in (halves, halves[::-1]):
                fit = fit if real_threshold else np.concatenate([authored_rows, fit])
                threshold = tune_one(scores[fit], targets[fit], ThresholdConfig())
                got.append(f1_score(targets[held], scores[held] >= threshold))
        return float(np.mean(got))


def search(cache: Cache, names: list[str], baseline: list[str], step: int, corpus_loss: float,
           context_loss: float, top: int = 6, real_thresholds: set[str] = frozenset()) -> None:
    grid = [c for c in itertools.product(range(step + 1), repeat=len(names)) if sum(c) == step]
    for j, label in enumerate(LABELS):
        on_real = label in real_thresholds
        base = cache.label_scores(baseline, np.ones(len(baseline)), j)
        feasible = []
        for mix in grid:
            weights = np.array(mix, float)
            got = cache.label_scores(names, weights, j, on_real)
            if (got["corpus:dev"][0] >= base["corpus:dev"][0] - corpus_loss
                    and got["context:dev"][0] >= base["context:dev"][0] - context_loss):
                cv = cache.cv_f1(names, weights, j, on_real)
                feasible.append(((cv + got["real:dev"][1]) / 2, mix, got, cv))
        feasible.sort(key=lambda r: -r[0])
        print(f"== {label}: baseline real:dev F1 {base['real:dev'][0]:.3f} PR-AUC {base['real:dev'][1]:.3f}, "
              f"corpus:dev F1 {base['corpus:dev'][0]:.3f}, context:dev F1 {base['context:dev'][0]:.3f}; "
              f"{len(feasible)} of {len(grid)} mixes within the allowed loss"
              + ("; threshold on real dev" if on_real else ""))
        for value, mix, got, cv in feasible[:top]:
            print(f"   {dict(zip(names, mix))}  score {value:.3f}  real:dev cv F1 {cv:.3f} F1 {got['real:dev'][0]:.3f} "
                  f"PR-AUC {got['real:dev'][1]:.3f}  corpus:dev F1 {got['corpus:dev'][0]:.3f}  "
                  f"context:dev F1 {got['context:dev'][0]:.3f}")


def parse_model(text: str) -> list[tuple[list[str], np.ndarray]]:
    """``"t4:1,e2:1/t9:1,e8:2/e8:1"`` -> one (member names, weights) per label, in label order."""
    parts = text.split("/")
    if len(parts) != len(LABELS):
        raise SystemExit(f"{text}: needs {len(LABELS)} mixes separated by '/', one per label ({', '.join(LABELS)})")
    mixes = []
    for part in parts:
        pairs = [item.split(":") for item in part.split(",")]
        mixes.append(([name for name, _ in pairs], np.array([float(w) for _, w in pairs])))
    return mixes


def score_models(cache: Cache, models: list[str], real_thresholds: set[str] = frozenset()) -> None:
    for text in models:
        mixes = parse_model(text)
        on_real = [label in real_thresholds for label in LABELS]
        got = [cache.label_scores(names, weights, j, on_real[j]) for j, (names, weights) in enumerate(mixes)]
        cv = [cache.cv_f1(names, weights, j, on_real[j]) for j, (names, weights) in enumerate(mixes)]
        f1 = np.mean([g["real:dev"][0] for g in got])
        pr_auc = np.mean([g["real:dev"][1] for g in got])
        per_label = "  ".join(f"{label} {g['real:dev'][0]:.3f}/{g['real:dev'][1]:.3f} cv {c:.3f} "
                              f"(corpus {g['corpus:dev'][0]:.3f}, context {g['context:dev'][0]:.3f})"
                              for label, g, c in zip(LABELS, got, cv))
        print(f"{text}\n   real:dev macro-F1 {f1:.3f} (cv {np.mean(cv):.3f})  mean PR-AUC {pr_auc:.3f}  {per_label}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cached = sub.add_parser("logits")
    cached.add_argument("out", type=Path)
    cached.add_argument("members", nargs="+", help="NAME=BUNDLE")
    found = sub.add_parser("search")
    found.add_argument("out", type=Path)
    found.add_argument("members", help="NAME,NAME,... (cached)")
    found.add_argument("--baseline", default="t4,e2", help="the members of the model to protect, mixed equally")
    found.add_argument("--step", type=int, default=4)
    found.add_argument("--corpus-loss", type=float, default=0.005)
    found.add_argument("--context-loss", type=float, default=0.01)
    found.add_argument("--real-threshold", action="append", default=[], choices=LABELS)
    scored = sub.add_parser("score")
    scored.add_argument("out", type=Path)
    scored.add_argument("models", nargs="+", help="MIX/MIX/MIX, a mix being NAME:WEIGHT,...")
    scored.add_argument("--real-threshold", action="append", default=[], choices=LABELS,
                        help="tune this label's threshold on real dev alone (thresholds.real_dev_labels)")
    args = parser.parse_args(argv)
    if args.command == "logits":
        cache_logits(args.out, args.members)
    elif args.command == "score":
        score_models(Cache(args.out), args.models, set(args.real_threshold))
    else:
        search(Cache(args.out), args.members.split(","), args.baseline.split(","), args.step,
               args.corpus_loss, args.context_loss, real_thresholds=set(args.real_threshold))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
