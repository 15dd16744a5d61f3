"""`khitab train`: one config in, one model bundle out, every model kind on equal terms."""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import yaml

from khitab.config import ConfigError, EnsembleConfig, ThresholdConfig, TrainConfig, load_labels, load_train_config
from khitab.data.dataset import LabeledSet, TrainingData, assemble
from khitab.defaults import default_train_config_path, shipped_bundle_path
from khitab.evaluation.calibration import fit_temperatures, refitted_temperatures
from khitab.evaluation.metrics import dataset_metrics
from khitab.evaluation.thresholds import tune_thresholds
from khitab.models.base import SentenceClassifier
from khitab.models.bundle import MANIFEST, load_model, save_bundle
from khitab.models.embed_linear import EmbedLinearClassifier, fit_embed_linear
from khitab.models.encoder import EncoderClassifier
from khitab.models.ensemble import EnsembleClassifier, label_weights
from khitab.models.tfidf import TfidfClassifier, fit_tfidf
from khitab.training.distributed import is_main_process
from khitab.training.encoder_trainer import fit_encoder

BUNDLE_DIR = "bundle"
Log = Callable[[str], None]


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
    model.thresholds = dev_thresholds(model, data, labels, config.thresholds)
    model.metadata = {
        "training": {**training_record(config, data), **model.metadata},
        "metrics": evaluate_splits(model, data, labels),
    }
    path = save_bundle(model, bundle_path(config))
    log(f"saved {path}")
    return path


def dev_thresholds(model: SentenceClassifier, data: TrainingData, labels: list[str],
                   config: ThresholdConfig) -> dict[str, float]:
    """Each label's threshold tuned on dev; a label of ``config.real_dev_labels`` on dev's
    real-text rows alone (all of dev when it has none)."""
    targets, known = data.dev.matrices(labels)
    probs = model.predict_proba(data.dev.texts)
    thresholds = tune_thresholds(probs, targets, known, labels, config)
    real_ids = {ex.id for ex in data.real_dev.examples}
    real_rows = np.array([ex.id in real_ids for ex in data.dev.examples], dtype=bool)
    if config.real_dev_labels and real_rows.any():
        only_real = known & real_rows[:, None]
        real_tuned = tune_thresholds(probs, targets, only_real, labels, config)
        thresholds.update({label: real_tuned[label] for label in config.real_dev_labels})
    return thresholds


def check_label_names(config: TrainConfig, labels: list[str]) -> None:
    """Label names a config refers to must be labels of the labels config."""
    for field, named in (("optim.pos_weight", config.optim.pos_weight),
                         ("thresholds.real_dev_labels", config.thresholds.real_dev_labels)):
        unknown = sorted(set(named) - set(labels))
        if unknown:
            raise ConfigError(f"{field}: unknown label(s) {unknown}; labels are {labels}")
    if isinstance(config.model, EnsembleConfig):
        weights = [member.weight for member in config.model.members]
        for i, weight in enumerate(weights):
            unknown = sorted(set(weight) - set(labels)) if isinstance(weight, dict) else []
            if unknown:
                raise ConfigError(f"model.members[{i}].weight: unknown label(s) {unknown}; labels are {labels}")
        try:
            label_weights(weights, labels)
        except ValueError as exc:
            raise ConfigError(f"model.{exc}") from None


def default_bundle(log: Log = print, config_path: Path | None = None) -> Path:
    """The shipped default bundle; without one (or given ``config_path``), the bundle that
    config trains, built first if it does not exist yet."""
    shipped = shipped_bundle_path()
    if config_path is None and (shipped / MANIFEST).is_file():
        return shipped
    return ensure_bundle(config_path or default_train_config_path(), log)


def ensure_bundle(config_path: Path, log: Log = print) -> Path:
    """The bundle the config at ``config_path`` trains, trained first when it does not exist."""
    config = load_train_config(config_path)
    path = bundle_path(config)
    if not (path / MANIFEST).is_file():
        log(f"No default model at {path}; building it from {config_path} (seconds)...")
        train(config, log=log)
    return path


def fit_model(config: TrainConfig, data: TrainingData, labels: list[str], log: Log) -> SentenceClassifier:
    return FITTERS[config.model.kind](config, data, labels, log)


def _fit_tfidf(config: TrainConfig, data: TrainingData, labels: list[str], log: Log) -> TfidfClassifier:
    targets, known = data.train.matrices(labels)
    return fit_tfidf(
        data.train.texts, targets, known, labels, config.model, config.name,
        sample_weight=np.asarray(data.train.weights), seed=config.seed,
    )


def _fit_embed_linear(config: TrainConfig, data: TrainingData, labels: list[str], log: Log) -> EmbedLinearClassifier:
    return fit_embed_linear(config.model, data, labels, config.name, seed=config.seed)


def _fit_ensemble(config: TrainConfig, data: TrainingData, labels: list[str], log: Log) -> EnsembleClassifier:
    return build_ensemble(config.model, labels, config.name, dev=data.dev)


# How each model kind (khitab.models.kinds.MODEL_KINDS) is fitted. The encoder's loop and the
# ensemble's member calibration use evaluation code, so they live here, not on the classes.
FITTERS: dict[str, Callable[[TrainConfig, TrainingData, list[str], Log], SentenceClassifier]] = {
    TfidfClassifier.kind: _fit_tfidf,
    EncoderClassifier.kind: fit_encoder,
    EmbedLinearClassifier.kind: _fit_embed_linear,
    EnsembleClassifier.kind: _fit_ensemble,
}


def build_ensemble(
    config: EnsembleConfig, labels: Sequence[str], name: str, dev: LabeledSet | None = None
) -> EnsembleClassifier:
    """Load the member bundles; with ``config.calibrate_members``, give each member the
    temperatures that fit it best on ``dev``, leaving its bundle untouched."""
    members = [load_model(m.bundle, labels=list(labels)) for m in config.members]
    if config.calibrate_members:
        if dev is None or not len(dev):
            raise ConfigError("model.calibrate_members needs dev data to fit the temperatures on")
        for member in members:
            member.temperature = dev_temperatures(member, dev)
    return EnsembleClassifier(
        labels=list(labels), name=name, members=members, weights=[m.weight for m in config.members]
    )


def dev_temperatures(member: SentenceClassifier, dev: LabeledSet) -> dict[str, float]:
    """The member's temperature per label refitted on ``dev``; a label dev cannot fit keeps its own."""
    targets, known = dev.matrices(member.labels)
    fits = fit_temperatures(np.asarray(member.logits(dev.texts)), targets, known, member.labels, member.temperature)
    return refitted_temperatures(fits, member.temperature)


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
