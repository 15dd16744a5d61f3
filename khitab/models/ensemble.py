"""Several trained bundles as one model: the weighted mean of their probabilities.

Members score the same sentences independently (a character n-gram model and a pretrained
encoder make different mistakes); the bundle stores each member as a sub-bundle, so loading
stays pickle-free and each member keeps its own preprocessing. A member's weight is one number
for every label or one per label (``{"threat": 1.0, "denial": 0.0, ...}``).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from khitab.models.base import SentenceClassifier, manifest_fields
from khitab.models.manifest import save_bundle

MEMBERS_DIR = "members"
EPS = 1e-7


def label_weights(weights: Sequence[float | Mapping[str, float]], labels: Sequence[str]) -> np.ndarray:
    """(members, labels): each label's member weights, summing to 1 over the members. A weight is
    one number for every label or a mapping that names each label; ``ValueError`` names the
    member whose mapping lacks a label, or the label whose weights are all 0."""
    rows = []
    for i, weight in enumerate(weights):
        if not isinstance(weight, Mapping):
            rows.append([float(weight)] * len(labels))
            continue
        missing = [label for label in labels if label not in weight]
        if missing:
            raise ValueError(f"members[{i}].weight: a per-label weight names every label {list(labels)}, "
                             f"not {sorted(weight)}")
        rows.append([float(weight[label]) for label in labels])
    matrix = np.asarray(rows, dtype=np.float64)
    for label, total in zip(labels, matrix.sum(axis=0)):
        if total <= 0:
            raise ValueError(f"members: every member's weight for {label!r} is 0")
    return matrix / matrix.sum(axis=0)


@dataclass
class EnsembleClassifier(SentenceClassifier):
    members: list[SentenceClassifier] = field(default_factory=list)
    weights: list[float | dict[str, float]] = field(default_factory=list)

    kind: ClassVar[str] = "ensemble"

    def member_probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(members, texts, labels), each member's columns reordered to our label order."""
        stacked = []
        for member in self.members:
            order = [member.labels.index(label) for label in self.labels]
            stacked.append(member.predict_proba(texts)[:, order])
        return np.stack(stacked)

    def use_backend(self, options) -> list[str]:
        """Every encoder member runs on ``options``; the other members keep their own scoring."""
        return [name for member in self.members for name in member.use_backend(options)]

    def weight_matrix(self) -> np.ndarray:
        """(members, labels): each label's member weights, summing to 1 over the members."""
        if len(self.weights) != len(self.members):
            raise ValueError(f"ensemble weights {self.weights} do not match its {len(self.members)} members")
        return label_weights(self.weights, self.labels)

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        mean = np.einsum("ml,mnl->nl", self.weight_matrix(), self.member_probabilities(texts))
        mean = np.clip(mean, EPS, 1 - EPS)
        return np.log(mean / (1 - mean))

    def save_weights(self, directory: Path) -> dict[str, Any]:
        names = []
        for i, member in enumerate(self.members):
            name = f"{MEMBERS_DIR}/{i}-{member.kind}"
            save_bundle(member, directory / name)
            names.append(name)
        weights = [{k: float(v) for k, v in w.items()} if isinstance(w, dict) else float(w) for w in self.weights]
        return {"ensemble": {"members": names, "weights": weights}}

    @classmethod
    def load(
        cls, directory: Path, manifest: dict[str, Any], load_bundle: Callable[[Path], SentenceClassifier]
    ) -> EnsembleClassifier:
        """``load_bundle`` loads each member (``khitab.models.bundle.load_model``: passed in
        because the loader knows every kind, this one included)."""
        spec = manifest["ensemble"]
        members = [load_bundle(directory / name) for name in spec["members"]]
        return cls(members=members, weights=list(spec["weights"]), **manifest_fields(manifest))
