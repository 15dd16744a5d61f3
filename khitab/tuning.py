"""Re-fitting a saved bundle on labeled data: thresholds (``khitab thresholds``) and temperatures
(``khitab calibrate``). These load, score and save bundles, so they sit above training and
evaluation, whose pure tuning and calibration math they use."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from khitab.config import ThresholdConfig
from khitab.data.dataset import label_matrices
from khitab.defaults import shipped_bundle_path
from khitab.errors import BundleError, OptionError
from khitab.evaluation.calibration import (
    TemperatureFit,
    at_bound,
    fit_temperatures,
    refitted_temperatures,
    remap_threshold,
)
from khitab.evaluation.datasets import EvalDataset
from khitab.evaluation.evaluate import score_dataset
from khitab.evaluation.thresholds import ThresholdChange, describe_change, threshold_changes
from khitab.models.base import SentenceClassifier
from khitab.models.bundle import MANIFEST, copy_bundle, kept_card, load_model, save_bundle

Log = Callable[[str], None]


def writable_bundle(path: Path, output: Path | None, remedy: str = "give --output DIR to save a copy") -> Path:
    """Where a re-fitted ``path`` is saved: a new copy at ``output``, else ``path`` itself,
    except the shipped default, which a command never rewrites in place (``remedy`` says what
    to do instead)."""
    if output is not None:
        return copy_bundle(path, output)
    if Path(path).resolve() == shipped_bundle_path().resolve():
        raise OptionError(f"{path} is the shipped default and stays as it is: {remedy}")
    return Path(path)


def retune_bundle(
    path: Path | str,
    datasets: Sequence[EvalDataset],
    config: ThresholdConfig,
    log: Log = lambda _: None,
    model: SentenceClassifier | None = None,
) -> list[ThresholdChange]:
    """Tune each label's threshold on ``datasets`` (pooled) with ``config``'s strategy and save
    them into the bundle at ``path`` (``model``: that bundle, when the caller has loaded it
    already). Scores, temperatures and weights stay as they are. A label the data does not
    carry with both classes keeps its threshold."""
    path = _bundle_dir(path, "thresholds are")
    model = model or load_model(path)
    card = kept_card(path, model)
    scored = [score_dataset(model, dataset) for dataset in datasets]
    changes = threshold_changes(scored, model.labels, model.thresholds, config)
    for change in changes:
        log(describe_change(change))
    model.thresholds = {**model.thresholds, **{c.label: c.after for c in changes}}
    model.metadata = {
        **model.metadata,
        "thresholds": {
            "data": [dataset.origin for dataset in datasets],
            "strategy": config.model_dump(),
            "changes": [asdict(change) for change in changes],
        },
    }
    save_bundle(model, path, card=card)
    return changes


def calibrate_bundle(path: Path | str, dataset: EvalDataset, log: Log = lambda _: None) -> list[TemperatureFit]:
    """Fit a temperature per label on ``dataset`` and save it into the bundle at ``path``,
    thresholds remapped so every decision stays as it was."""
    path = _bundle_dir(path, "temperature is")
    model = load_model(path)
    labels = [label for label in dataset.labels if label in model.labels]
    if not labels:
        raise BundleError(f"{dataset.origin}: no label in common with model {path}")
    columns = [model.labels.index(label) for label in labels]
    logits = np.asarray(model.logits(dataset.texts), dtype=np.float64)[:, columns]
    targets, known = label_matrices(dataset.examples, labels)
    fits = fit_temperatures(logits, targets, known, labels, model.temperature)
    card = kept_card(path, model)
    thresholds = dict(model.thresholds)
    for fit in fits:
        old = float(model.temperature.get(fit.label, 1.0))
        if fit.temperature is None:
            log(f"{fit.label}: kept temperature {old:.3f} (needs both classes in the data)")
            continue
        thresholds[fit.label] = remap_threshold(float(thresholds.get(fit.label, 0.5)), old, fit.temperature)
        log(
            f"{fit.label}: temperature {old:.3f} -> {fit.temperature:.3f}, NLL {fit.nll_before:.4f} -> "
            f"{fit.nll_after:.4f}, ECE {fit.ece_before:.4f} -> {fit.ece_after:.4f} (n={fit.n})"
            + (" at the search bound: the data barely constrains it" if at_bound(fit.temperature) else "")
        )
    model.thresholds, model.temperature = thresholds, refitted_temperatures(fits, model.temperature)
    model.metadata = {
        **model.metadata,
        "calibration": {
            "data": dataset.origin,
            "fits": [asdict(fit) for fit in fits],
        },
    }
    save_bundle(model, path, card=card)
    return fits


def _bundle_dir(path: Path | str, what: str) -> Path:
    """``path``, checked to be a khitab bundle (``what``: what is saved into it, for the error)."""
    path = Path(path)
    if not (path / MANIFEST).is_file():
        raise BundleError(f"{path}: {what} saved into a khitab bundle ({MANIFEST}); this is not one")
    return path
