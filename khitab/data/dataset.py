"""Assemble the training data a config asks for: corpus splits, seed gold, external sources."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from khitab.config import DataConfig
from khitab.data.context import context_composites
from khitab.data.corpus import load_corpus, load_seed_gold
from khitab.data.schema import Example
from khitab.data.splits import select


@dataclass
class LabeledSet:
    """Examples with their weights; ``targets``/``known`` are (n, labels) arrays."""

    examples: list[Example]
    weights: list[float] = field(default_factory=list)

    def __post_init__(self):
        if not self.weights:
            self.weights = [1.0] * len(self.examples)

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def texts(self) -> list[str]:
        return [ex.text for ex in self.examples]

    def matrices(self, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        return label_matrices(self.examples, labels)

    def extend(self, examples: list[Example], weight: float) -> None:
        self.examples.extend(examples)
        self.weights.extend([weight] * len(examples))


@dataclass
class TrainingData:
    train: LabeledSet
    dev: LabeledSet
    test: LabeledSet
    external_eval: dict[str, LabeledSet]
    notes: list[str]
    # real-text splits, when data.real_labels is set (khitab.data.real)
    real_dev: LabeledSet = field(default_factory=lambda: LabeledSet([]))
    real_test: LabeledSet = field(default_factory=lambda: LabeledSet([]))

    def digest(self) -> str:
        """SHA-256 of the training and dev rows (id, text, labels): what a model learned from."""
        digest = hashlib.sha256()
        for ex in self.train.examples + self.dev.examples:
            digest.update(json.dumps([ex.id, ex.text, ex.labels], ensure_ascii=False, sort_keys=True).encode())
        return digest.hexdigest()


def label_matrices(examples: Sequence[Example], labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """0/1 targets and a boolean mask of known labels, both (len(examples), len(labels))."""
    targets = np.zeros((len(examples), len(labels)), dtype=np.int64)
    known = np.zeros((len(examples), len(labels)), dtype=bool)
    for i, ex in enumerate(examples):
        for j, label in enumerate(labels):
            value = ex.labels.get(label)
            if value is not None:
                targets[i, j] = value
                known[i, j] = True
    return targets, known


def scorable(examples: Sequence[Example]) -> list[Example]:
    """Borderline rows are kept out of training and scoring (guidelines)."""
    return [ex for ex in examples if not ex.borderline]


def stable_sample(examples: list[Example], size: int | None) -> list[Example]:
    """At most ``size`` examples, chosen by a hash of their ids (the same rows on every run),
    in their original order."""
    if size is None or len(examples) <= size:
        return examples
    rank = sorted(range(len(examples)), key=lambda i: hashlib.sha256(examples[i].id.encode()).digest())
    return [examples[i] for i in sorted(rank[:size])]


def assemble(config: DataConfig, labels: Sequence[str]) -> TrainingData:
    notes: list[str] = []
    corpus: list[Example] = []
    if config.corpus is not None:
        if not config.corpus.exists():
            raise FileNotFoundError(f"{config.corpus}: corpus not found (data.corpus)")
        corpus = scorable(load_corpus(config.corpus, labels, config.corpus_slices))
    train = LabeledSet(select(corpus, "train"))
    if config.context_rate:
        composites = context_composites(train.examples, labels, config.context_rate)
        train.extend(composites, 1.0)
        notes.append(f"{len(composites)} context composites of corpus training rows (data.context_rate)")
    if config.contrast is not None:
        contrast = contrast_rows(config.contrast, labels)
        train.extend(contrast, config.contrast_weight)
        notes.append(f"{len(contrast)} contrast rows at weight {config.contrast_weight} (data.contrast)")
    dev = LabeledSet(select(corpus, "dev"))
    test = LabeledSet(select(corpus, "test"))
    if config.use_seed_gold or not corpus:
        if config.seed_gold is None or config.seed_text is None:
            raise FileNotFoundError("no corpus and no seed gold configured: nothing to train on")
        seed = scorable(load_seed_gold(config.seed_gold, config.seed_text, labels))
        train.extend(seed, 1.0)
        if not corpus:
            notes.append(f"no corpus: trained on the {len(seed)} seed gold sentences only (dev = train)")
            dev = LabeledSet(list(seed))
    external_eval: dict[str, LabeledSet] = {}
    if config.external:
        from khitab.data.external import load_source

        for spec in config.external:
            rows = load_source(spec.name, config.external_root)
            train.extend(stable_sample(select(rows, "train"), spec.max_rows), spec.weight)
            external_eval[spec.name] = LabeledSet(select(rows, "test"))
    real_dev, real_test = LabeledSet([]), LabeledSet([])
    if config.real_labels is not None:
        real_dev, real_test = add_real(config, labels, train, notes)
        if config.dev_from == "real":
            dev = LabeledSet(list(real_dev.examples))
        elif config.dev_from == "pooled":
            dev = LabeledSet(dev.examples + real_dev.examples)
    elif config.dev_from != "corpus":
        raise FileNotFoundError(f"data.dev_from: {config.dev_from} needs data.real_labels")
    return TrainingData(train, dev, test, external_eval, notes, real_dev, real_test)


def contrast_rows(path: Path, labels: Sequence[str]) -> list[Example]:
    """The authored contrast pairs (every row a training row: they have no dev or test)."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: contrast pairs not found (data.contrast)")
    return scorable(load_corpus(path, labels))


def add_real(config: DataConfig, labels: Sequence[str], train: LabeledSet,
             notes: list[str]) -> tuple[LabeledSet, LabeledSet]:
    """Add the real-text training rows to ``train``; return the real dev and test splits."""
    from khitab.data.real.corpus import load_real

    if config.external_root is None:
        raise FileNotFoundError("data.real_labels needs data.external_root (the texts live there)")
    rows = scorable(load_real(config.real_labels, config.external_root, labels))
    real_train = select(rows, "train")
    train.extend(real_train, config.real_weight)
    notes.append(f"{len(real_train)} real-text training rows at weight {config.real_weight} (data.real_labels)")
    return LabeledSet(select(rows, "dev")), LabeledSet(select(rows, "test"))


def known_rows(targets: np.ndarray, scores: np.ndarray, known: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Label ``j``'s targets and scores (probabilities or logits) over the rows where it is
    known: the slice every per-label metric, plot, threshold and temperature fit works on."""
    rows = known[:, j]
    return targets[rows, j], scores[rows, j]
