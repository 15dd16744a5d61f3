"""`khitab evaluate`: score datasets with a model and measure it, the same way for every model.

``evaluate(model, datasets, ...)`` returns the ``metrics.json`` object (schema in README.md)
and, given ``output_dir``, writes it with ``report.html``, ``report.md``, ``plots/`` and
``predictions.jsonl``.
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from khitab.data.dataset import known_rows, label_matrices
from khitab.evaluation.bootstrap import DEFAULT_RESAMPLES, LEVEL, label_intervals, paired_difference, resample_counts
from khitab.evaluation.datasets import BREAKDOWN_FIELDS, EvalDataError, EvalDataset
from khitab.evaluation.metrics import dataset_metrics
from khitab.extras import require
from khitab.models.base import SentenceClassifier, flagged_labels, split_documents

UNITS = ("sentence", "document")


@dataclass
class Scored:
    """One model's probabilities on one dataset, restricted to the labels both share.

    ``evidence[i][j]`` is, with ``unit="document"``, the sentence of row ``i`` that gave label
    ``j`` its (maximum) score; with ``unit="sentence"`` it is None.
    """

    dataset: EvalDataset
    labels: list[str]
    probs: np.ndarray
    targets: np.ndarray
    known: np.ndarray
    thresholds: np.ndarray
    evidence: list[list[str]] | None = None

    def column(self, label: str) -> int:
        return self.labels.index(label)

    def label_view(self, label: str) -> tuple[np.ndarray, np.ndarray, float]:
        """``label``'s targets, probabilities and threshold over the rows where it is known."""
        j = self.column(label)
        y, p = known_rows(self.targets, self.probs, self.known, j)
        return y, p, float(self.thresholds[j])


def score_dataset(model: SentenceClassifier, dataset: EvalDataset, unit: str = "sentence") -> Scored:
    """Score every row: as one unit, or (``document``) sentence by sentence, maximum per label."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; expected one of {UNITS}")
    labels = [label for label in dataset.labels if label in model.labels]
    if not labels:
        raise EvalDataError(
            [f"{dataset.origin}: no label in common with model {model.name} (it scores {', '.join(model.labels)})"]
        )
    columns = [model.labels.index(label) for label in labels]
    thresholds = model.threshold_vector()[columns]
    targets, known = label_matrices(dataset.examples, labels)
    if unit == "sentence":
        probs = model.predict_proba(dataset.texts)[:, columns]
        return Scored(dataset, labels, probs, targets, known, thresholds)
    split = split_documents(dataset.texts, whole_if_empty=True)
    per_document = split.regroup(model.predict_proba(split.sentences)[:, columns])
    probs = np.zeros((len(dataset), len(labels)))
    evidence = []
    for i, (spans, sentence_probs) in enumerate(zip(split.spans, per_document)):
        best = np.argmax(sentence_probs, axis=0)  # per label: the sentence that gives the maximum
        probs[i] = sentence_probs[best, np.arange(len(labels))]
        evidence.append([spans[k].text for k in best])
    return Scored(dataset, labels, probs, targets, known, thresholds, evidence)


def describe_model(model: SentenceClassifier, path: Path | str | None = None) -> dict[str, Any]:
    return {
        "name": model.name,
        "kind": model.kind,
        "version": model.version,
        "path": str(path) if path is not None else None,
        "labels": list(model.labels),
        "thresholds": {label: float(t) for label, t in zip(model.labels, model.threshold_vector())},
        "temperature": {label: float(t) for label, t in zip(model.labels, model.temperature_vector())},
    }


def confusion_counts(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, int]:
    """tp / fp / fn / tn of the flags at ``threshold``."""
    from sklearn.metrics import confusion_matrix

    tn, fp, fn, tp = confusion_matrix(np.asarray(y, dtype=bool), np.asarray(scores) >= threshold,
                                      labels=[False, True]).ravel()
    return {"tp": int(tp), "fp": int(fp), "fn": int(fn), "tn": int(tn)}


def measure(scored: Scored, resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> dict[str, Any]:
    """The metrics.json entry of one dataset: per-label metrics with bootstrap intervals and
    confusion counts, macro/micro F1, and breakdowns by dialect/source/register/corpus slice."""
    base = dataset_metrics(scored.probs, scored.targets, scored.known, scored.labels, scored.thresholds)
    for label, entry in base["labels"].items():
        y, p, t = scored.label_view(label)
        if resamples > 0:
            entry.update(label_intervals(y, p, t, resample_counts(len(y), resamples, seed)))
        else:
            entry.update({"f1_ci": None, "pr_auc_ci": None})
        entry["confusion"] = confusion_counts(y, p, t)
    dataset = scored.dataset
    result = {
        "source": dataset.origin,
        "n": base["n"],
        "n_borderline_excluded": dataset.n_borderline,
        "labels": base["labels"],
        "macro_f1": base["macro_f1"],
        "micro_f1": base["micro_f1"],
    }
    breakdown = breakdowns(scored)
    if breakdown:
        result["breakdown"] = breakdown
    return result


def breakdowns(scored: Scored) -> dict[str, dict[str, Any]]:
    """Metrics per value of each group column that has at least two distinct values; a group's
    macro-F1 averages the labels that have positives in it."""
    result = {}
    for name in BREAKDOWN_FIELDS:
        values = np.asarray(scored.dataset.group_values(name), dtype=object)
        distinct = sorted({v for v in values if v})
        if len(distinct) < 2:
            continue
        groups = {}
        for value in distinct + (["(none)"] if (values == "").any() else []):
            rows = values == ("" if value == "(none)" else value)
            metrics = dataset_metrics(
                scored.probs[rows], scored.targets[rows], scored.known[rows], scored.labels, scored.thresholds
            )
            # F1 is undefined for a label with no positives in the group (a slice written for one
            # label often has none of another), so the group's macro-F1 leaves it out
            defined = [m["f1"] for m in metrics["labels"].values() if m["n_pos"] > 0]
            metrics["macro_f1"] = float(np.mean(defined)) if defined else None
            groups[value] = metrics
        result[name] = groups
    return result


def compare_scores(
    mine: Scored, other: Scored, mine_metrics: dict, other_metrics: dict, resamples: int, seed: int
) -> dict[str, Any]:
    """Differences (this model - other) per shared label, with paired-bootstrap 95 % intervals;
    ``exceeds_ci`` is true when the interval of the difference excludes 0."""
    differences = {}
    for label in mine.labels:
        if label not in other.labels or label not in mine_metrics["labels"]:
            continue
        j, k = mine.column(label), other.column(label)
        y, p, t = mine.label_view(label)
        other_p = other.probs[mine.known[:, j], k]  # the other model on the same rows
        counts = resample_counts(len(y), resamples, seed) if resamples > 0 else None
        intervals = (
            paired_difference(y, p, t, other_p, float(other.thresholds[k]), counts)
            if counts is not None
            else {"f1": None, "pr_auc": None}
        )
        entry = {}
        for metric in ("f1", "pr_auc", "roc_auc"):
            a, b = mine_metrics["labels"][label][metric], other_metrics["labels"][label][metric]
            diff = None if a is None or b is None else a - b
            item = {"model": a, "other": b, "diff": diff}
            if metric in intervals:
                ci = intervals[metric]
                item["ci"] = ci
                item["exceeds_ci"] = None if ci is None else bool(ci[0] > 0 or ci[1] < 0)
            entry[metric] = item
        differences[label] = entry
    return differences


def evaluate(
    model: SentenceClassifier,
    datasets: Sequence[EvalDataset] | Mapping[str, EvalDataset],
    *,
    unit: str = "sentence",
    compare: SentenceClassifier | None = None,
    output_dir: Path | None = None,
    model_path: Path | str | None = None,
    compare_path: Path | str | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    top_k: int = 10,
    log: Callable[[str], None] = lambda _: None,
    faithfulness: int = 0,
    explain_errors: bool = False,
) -> dict[str, Any]:
    """Measure ``model`` on each dataset (and against ``compare``); write the reports to
    ``output_dir`` when given. Returns the metrics.json object. ``faithfulness`` > 0: ERASER
    faithfulness of the cues of up to that many flagged positives per dataset; ``explain_errors``:
    the report's error lists mark their cue words (both cost model calls)."""
    sets = list(datasets.values()) if isinstance(datasets, Mapping) else list(datasets)
    names = [d.name for d in sets]
    if not sets:
        raise EvalDataError(["no dataset to evaluate: give --data or --seed-gold"])
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise EvalDataError([f"dataset name {duplicates[0]!r} given twice; name them with NAME=PATH"])
    scored, other_scored = {}, {}
    for dataset in sets:
        log(f"scoring {dataset.name}: {len(dataset)} rows ({unit})")
        scored[dataset.name] = score_dataset(model, dataset, unit)
        if compare is not None:
            other_scored[dataset.name] = score_dataset(compare, dataset, unit)
    metrics: dict[str, Any] = {
        "model": describe_model(model, model_path),
        "unit": unit,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "bootstrap": {"resamples": resamples, "level": LEVEL, "seed": seed},
        "datasets": {name: measure(s, resamples, seed) for name, s in scored.items()},
    }
    if compare is not None:
        other_metrics = {name: measure(s, 0) for name, s in other_scored.items()}
        metrics["compare"] = {
            "model": describe_model(compare, compare_path),
            "datasets": {
                name: {
                    **other_metrics[name],
                    "differences": compare_scores(
                        scored[name], other_scored[name], metrics["datasets"][name], other_metrics[name],
                        resamples, seed,
                    ),
                }
                for name in scored
            },
        }
    error_cues = {}
    if faithfulness or explain_errors:
        from khitab.evaluation.explained import error_pairs, explain_pairs, faithfulness_of

        for name, s in scored.items():
            if faithfulness:
                log(f"faithfulness of cues on {name}: up to {faithfulness} flagged positives")
                metrics["datasets"][name]["faithfulness"] = faithfulness_of(model, s, faithfulness, seed)
            if explain_errors and output_dir is not None:
                error_cues[name] = explain_pairs(model, s, error_pairs(s, top_k))
    metrics = json_ready(metrics)
    if output_dir is not None:
        write_outputs(Path(output_dir), metrics, scored, other_scored, top_k, error_cues)
        log(f"wrote {Path(output_dir) / 'metrics.json'}, report.html, report.md")
    return metrics


def json_ready(value: Any) -> Any:
    """JSON-ready: numpy scalars to Python, floats rounded to 6 places, NaN to None."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else round(float(value), 6)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def write_outputs(
    directory: Path, metrics: dict, scored: Mapping[str, Scored], other_scored: Mapping[str, Scored], top_k: int,
    error_cues: Mapping[str, Any] | None = None,
) -> None:
    require("report", "matplotlib")
    from khitab.evaluation.report import write_reports

    directory.mkdir(parents=True, exist_ok=True)
    (directory / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    with (directory / "predictions.jsonl").open("w", encoding="utf-8") as handle:
        for name, s in scored.items():
            for row in prediction_rows(s):
                handle.write(json.dumps({"dataset": name, **row}, ensure_ascii=False) + "\n")
    write_reports(directory, metrics, scored, other_scored, top_k, error_cues)


def prediction_rows(scored: Scored) -> list[dict[str, Any]]:
    rows = []
    for i, example in enumerate(scored.dataset.examples):
        rows.append(
            {
                "id": example.id,
                "where": scored.dataset.where[i] if i < len(scored.dataset.where) else example.id,
                "text": example.text,
                "scores": {label: round(float(scored.probs[i, j]), 6) for j, label in enumerate(scored.labels)},
                "gold": {label: example.labels.get(label) for label in scored.labels},
                "flagged": flagged_labels(scored.labels, scored.probs[i], scored.thresholds),
            }
        )
    return rows


def row_verdicts(scored: Scored) -> list[str]:
    """One line per row: right when every known label is decided as gold, else wrong (with ✗)."""
    lines = []
    for i, example in enumerate(scored.dataset.examples):
        parts, right = [], True
        for j, label in enumerate(scored.labels):
            if not scored.known[i, j]:
                continue
            p, t, y = scored.probs[i, j], scored.thresholds[j], int(scored.targets[i, j])
            ok = (p >= t) == bool(y)
            right &= ok
            parts.append(f"{label} {p:.3f}{'≥' if p >= t else '<'}{t:.3f} gold {y}{'' if ok else ' ✗'}")
        text = example.text if len(example.text) <= 60 else example.text[:59] + "…"
        lines.append(f"{scored.dataset.where[i]}  {'right' if right else 'WRONG'}  {'; '.join(parts)}  | {text}")
    return lines
