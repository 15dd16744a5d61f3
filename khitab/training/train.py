"""`khitab train`: one config in, one model bundle out, every model kind on equal terms."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from khitab.config import ConfigError, TrainConfig, load_labels
from khitab.data.dataset import LabeledSet, TrainingData, assemble
from khitab.evaluation.metrics import dataset_metrics
from khitab.evaluation.thresholds import tune_thresholds
from khitab.models.base import SentenceClassifier
from khitab.models.bundle import save_bundle
from khitab.models.tfidf import fit_tfidf
from khitab.training.distributed import is_main_process

BUNDLE_DIR = "bundle"


def bundle_path(config: TrainConfig) -> Path:
    """Where a run's final bundle lives: ``<output_dir>/bundle``."""
    return Path(config.output_dir) / BUNDLE_DIR


def train(config: TrainConfig, log: Callable[[str], None] = print) -> Path:
    """Train the model ``config`` describes, tune thresholds on dev, write the run folder
    (``config.yaml``, ``metrics.jsonl`` for encoders, checkpoints) and its final bundle."""
    labels = load_labels(config.labels).names
    check_label_names(config, labels)
    data = assemble(config.data, labels)
    for note in data.notes:
        log(f"note: {note}")
    run_dir = Path(config.output_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.yaml").write_text(
        yaml.safe_dump(json.loads(config.model_dump_json()), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    log(f"training {config.name} ({config.model.kind}) on {len(data.train)} sentences, dev {len(data.dev)}")
    model = fit_model(config, data, labels, log)
    if not is_main_process():
        return bundle_path(config)
    dev_targets, dev_known = data.dev.matrices(labels)
    dev_probs = model.predict_proba(data.dev.texts)
    model.thresholds = tune_thresholds(dev_probs, dev_targets, dev_known, labels, config.thresholds)
    model.metadata = {
        "training": {**training_record(config, data), **model.metadata},
        "metrics": evaluate_splits(model, data, labels),
    }
    path = save_bundle(model, bundle_path(config))
    log(f"saved {path}")
    return path


def check_label_names(config: TrainConfig, labels: list[str]) -> None:
    """Label names a config refers to must be labels of the labels config."""
    unknown = sorted(set(config.optim.pos_weight) - set(labels))
    if unknown:
        raise ConfigError(f"optim.pos_weight: unknown label(s) {unknown}; labels are {labels}")


def fit_model(config: TrainConfig, data: TrainingData, labels: list[str], log) -> SentenceClassifier:
    targets, known = data.train.matrices(labels)
    if config.model.kind == "tfidf":
        return fit_tfidf(
            data.train.texts, targets, known, labels, config.model, config.name,
            sample_weight=np.asarray(data.train.weights), seed=config.seed,
        )
    if config.model.kind == "ensemble":
        from khitab.models.ensemble import build_ensemble

        return build_ensemble(config.model, labels, config.name, dev=data.dev)
    if config.model.kind == "embed_linear":
        from khitab.models.embed_linear import fit_embed_linear

        return fit_embed_linear(config.model, data, labels, config.name, seed=config.seed)
    from khitab.training.encoder_trainer import fit_encoder

    return fit_encoder(config, data, labels, log)


def evaluate_splits(model: SentenceClassifier, data: TrainingData, labels: list[str]) -> dict:
    sets: dict[str, LabeledSet] = {"dev": data.dev, "test": data.test}
    sets.update({"real:dev": data.real_dev, "real:test": data.real_test})
    sets.update({f"external:{name}": rows for name, rows in data.external_eval.items()})
    results = {}
    for name, rows in sets.items():
        if len(rows):
            targets, known = rows.matrices(labels)
            results[name] = dataset_metrics(
                model.predict_proba(rows.texts), targets, known, labels, model.threshold_vector()
            )
    return results


def training_record(config: TrainConfig, data: TrainingData) -> dict:
    return {
        "config": json.loads(config.model_dump_json()),
        "data_hash": data.digest()[:16],
        "n_train": len(data.train),
        "n_dev": len(data.dev),
        "n_test": len(data.test),
        "notes": data.notes,
    }
