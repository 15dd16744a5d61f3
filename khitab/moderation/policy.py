"""Moderation policy: per-label thresholds for ``review`` and ``block``, and how sentence
scores roll up to one decision per document. Loaded from YAML (``configs/policy.yaml``),
validated strictly, checked against the model's labels when a ``Moderator`` is built.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Optional

import numpy as np
from pydantic import Field, model_validator

from khitab.config import ConfigError, StrictModel, read_yaml, validate
from khitab.defaults import project_root

ACTIONS = ("allow", "review", "block")  # in increasing severity


class PolicyError(ConfigError):
    """A policy that cannot be read, does not validate, or does not fit the model."""


class Rollup(StrictModel):
    """How one label's sentence scores become the document score compared to the thresholds.

    - ``max``: the ``min_sentences``-th highest sentence score, so the label acts only when at
      least ``min_sentences`` sentences reach the threshold (1: the highest score).
    - ``noisy_or``: ``1 - prod(1 - p)`` over the sentences: several moderate sentences add up.
    """

    rule: Literal["max", "noisy_or"] = "max"
    min_sentences: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _count_only_for_max(self) -> Rollup:
        if self.rule != "max" and self.min_sentences != 1:
            raise ValueError("min_sentences applies to rule 'max' only")
        return self

    def document_score(self, scores: np.ndarray) -> float:
        """One label's document score from its sentence scores (0.0 for no sentences)."""
        if scores.size == 0:
            return 0.0
        if self.rule == "noisy_or":
            return float(1.0 - np.prod(1.0 - np.clip(scores, 0.0, 1.0)))
        if scores.size < self.min_sentences:
            return 0.0
        return float(np.sort(scores)[::-1][self.min_sentences - 1])


class LabelPolicy(StrictModel):
    """Thresholds for one label. ``review`` absent: the model's own threshold for the label.
    ``block`` absent: the label never blocks on its own."""

    review: Optional[float] = Field(default=None, gt=0, le=1)
    block: Optional[float] = Field(default=None, gt=0, le=1)
    rollup: Optional[Rollup] = None

    @model_validator(mode="after")
    def _ordered(self) -> LabelPolicy:
        if self.review is not None and self.block is not None and self.block < self.review:
            raise ValueError(f"block ({self.block}) is below review ({self.review})")
        return self


class Policy(StrictModel):
    version: str = Field(min_length=1)
    description: str = ""
    rollup: Rollup = Rollup()  # the default for labels without their own
    labels: dict[str, LabelPolicy] = {}
    max_evidence: int = Field(default=5, ge=1)  # evidence sentences listed per triggered label
    # The most a label may do when every evidence sentence of it is someone else's words
    # (voice ``reported`` or ``quoted``): e.g. ``review`` queues a newsroom's wire copy about a
    # threat instead of blocking it. None: voice does not matter.
    reported_max_action: Optional[Literal["allow", "review", "block"]] = None
    min_arabic_ratio: float = Field(default=0.5, ge=0, le=1)  # below it: a ``language`` warning

    def check_labels(self, model_labels: Sequence[str]) -> None:
        unknown = sorted(set(self.labels) - set(model_labels))
        if unknown:
            raise PolicyError(
                f"policy {self.version!r} names labels the model does not score: {unknown} "
                f"(model labels: {list(model_labels)})"
            )

    def resolve(self, model_labels: Sequence[str], model_thresholds: dict[str, float]) -> list[ResolvedLabel]:
        """Effective thresholds and rollup for every model label, in the model's order."""
        self.check_labels(model_labels)
        resolved = []
        for label in model_labels:
            entry = self.labels.get(label, LabelPolicy())
            review = entry.review if entry.review is not None else float(model_thresholds.get(label, 0.5))
            if entry.block is not None and entry.block < review:
                raise PolicyError(
                    f"policy {self.version!r}: {label}: block ({entry.block}) is below the review threshold "
                    f"({review}, the model's own threshold)"
                )
            resolved.append(ResolvedLabel(label, review, entry.block, entry.rollup or self.rollup))
        return resolved


@dataclass(frozen=True, slots=True)
class ResolvedLabel:
    """One label's policy with the defaults filled in: where it reviews, blocks and how it rolls up."""

    name: str
    review: float
    block: float | None
    rollup: Rollup

    def action(self, document_score: float) -> str:
        if self.block is not None and document_score >= self.block:
            return "block"
        return "review" if document_score >= self.review else "allow"

    def to_dict(self) -> dict:
        return {"review": self.review, "block": self.block, "rollup": self.rollup.model_dump()}


def default_policy_path() -> Path:
    return project_root() / "configs" / "policy.yaml"


def load_policy(path: Path | str | None = None) -> Policy:
    """Read and validate a policy file (default ``configs/policy.yaml``)."""
    path = Path(path) if path is not None else default_policy_path()
    try:
        return validate(Policy, read_yaml(path), path)
    except ConfigError as exc:
        raise PolicyError(str(exc)) from exc
