"""The moderation hook: text in, a decision with its evidence out.

    moderator = Moderator(load_model("bundles/x"), load_policy("configs/policy.yaml"))
    decision = moderator("...")              # == moderator.check(text)
    decisions = moderator.check_many(texts)  # one forward pass for all their sentences
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from khitab.explain import explain_documents, explain_documents_async
from khitab.explain.voice import Voice, sentence_voice
from khitab.models.base import (
    AsyncPredict,
    SentenceClassifier,
    SentenceScore,
    score_documents,
    score_documents_async,
)
from khitab.moderation.policy import ACTIONS, Policy, PolicyError, load_policy
from khitab.text.language import arabic_ratio
from khitab.text.split import Span

REPORTED_VOICES = ("reported", "quoted")  # someone else's words, which a policy may cap


@dataclass(frozen=True)
class Decision:
    """What to do with one text and why.

    ``action``: allow / review / block. ``labels``: the labels whose own action is the
    decision's action (empty for allow). ``label_actions`` and ``scores`` give every label's
    action and rolled-up document score. ``evidence``: output rows (the project's schema,
    offsets into the checked text) of the sentences behind each triggered label, each with
    the ``labels`` it supports. ``warnings``: e.g. ``{"code": "language", ...}`` for text that
    is not mainly Arabic (still scored)."""

    action: str
    labels: list[str]
    label_actions: dict[str, str]
    scores: dict[str, float]
    evidence: list[dict[str, Any]]
    model: str
    model_version: str
    policy_version: str
    doc_id: str = ""
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "action": self.action,
            "labels": list(self.labels),
            "label_actions": dict(self.label_actions),
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
            "evidence": [dict(e) for e in self.evidence],
            "warnings": [dict(w) for w in self.warnings],
            "model": self.model,
            "model_version": self.model_version,
            "policy_version": self.policy_version,
        }


def language_warning(text: str, min_ratio: float) -> dict[str, Any] | None:
    """A ``language`` warning when less than ``min_ratio`` of the letters are Arabic."""
    ratio = arabic_ratio(text)
    if ratio >= min_ratio or min_ratio == 0:
        return None
    return {
        "code": "language",
        "message": f"text is not mainly Arabic (Arabic share of letters {ratio:.2f} < {min_ratio:.2f}); "
        "scored anyway, scores may not be meaningful",
        "arabic_ratio": round(ratio, 4),
    }


class Moderator:
    """A model plus a policy. ``model`` and ``policy`` may be paths (a bundle folder, a YAML
    file); ``policy=None`` reads ``configs/policy.yaml``. A policy naming labels the model
    does not score is rejected here (``PolicyError``)."""

    def __init__(self, model: SentenceClassifier | str | Path, policy: Policy | str | Path | None = None):
        if not isinstance(model, SentenceClassifier):
            from khitab.models.bundle import load_model

            model = load_model(model)
        if not isinstance(policy, Policy):
            policy = load_policy(policy)
        self.model = model
        self.policy = policy
        self.rules = policy.resolve(list(model.labels), dict(model.thresholds))
        self._threshold_vector = model.threshold_vector()

    def __call__(self, text: str, doc_id: str = "") -> Decision:
        return self.check(text, doc_id)

    def check(self, text: str, doc_id: str = "", explain: bool = False) -> Decision:
        return self.check_many([text], [doc_id], explain=explain)[0]

    def check_many(self, texts: Sequence[str], doc_ids: Sequence[str] | None = None,
                   explain: bool = False) -> list[Decision]:
        """Decisions for ``texts``, in order; their sentences are scored in one call. With
        ``explain`` the flagged sentences get cues, voice, speaker (and sectarian targets),
        carried by the evidence rows; that costs two more model calls."""
        texts, ids = self._inputs(texts, doc_ids)
        scored = score_documents(texts, self.model.predict_proba, *self._scoring(), ids)
        explained = explain_documents(self.model, texts, scored) if explain else None
        return self.decide_all(texts, ids, scored, explained)

    async def check_many_async(self, texts: Sequence[str], doc_ids: Sequence[str] | None,
                               predict: AsyncPredict, explain: bool = False) -> list[Decision]:
        """``check_many`` with the sentences scored by an awaitable ``predict`` (the service's
        micro-batcher, which scores them together with other requests' sentences)."""
        texts, ids = self._inputs(texts, doc_ids)
        scored = await score_documents_async(texts, predict, *self._scoring(), ids)
        explained = await explain_documents_async(self.model.labels, predict, texts, scored) if explain else None
        return self.decide_all(texts, ids, scored, explained)

    @staticmethod
    def _inputs(texts: Sequence[str], doc_ids: Sequence[str] | None) -> tuple[list[str], list[str]]:
        texts = list(texts)
        ids = [""] * len(texts) if doc_ids is None else [str(d) for d in doc_ids]
        if len(ids) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(ids)} doc_ids")
        return texts, ids

    def _scoring(self) -> tuple[list[str], np.ndarray]:
        return [rule.name for rule in self.rules], self._threshold_vector

    def decide_all(self, texts: Sequence[str], doc_ids: Sequence[str], scored: Sequence[Sequence[SentenceScore]],
                   explained: Sequence[list[dict[str, Any]]] | None = None) -> list[Decision]:
        return [self.decide(text, sentences, doc_id, None if explained is None else explained[k])
                for k, (text, doc_id, sentences) in enumerate(zip(texts, doc_ids, scored))]

    def decide(self, text: str, sentences: Sequence[SentenceScore], doc_id: str = "",
               explained: list[dict[str, Any]] | None = None) -> Decision:
        """The decision for ``text`` from its scored sentences (output rows of the model's
        labels, offsets into ``text``), e.g. scored elsewhere in a larger batch. ``explained``:
        the same rows with explanations (``khitab.explain``); evidence rows then carry them."""
        probs = np.array([[s.scores[rule.name] for rule in self.rules] for s in sentences],
                         dtype=np.float64).reshape(len(sentences), len(self.rules))
        warnings = []
        if not sentences:
            warnings.append({"code": "empty", "message": "no sentence to score; allowed"})
        else:
            warning = language_warning(text, self.policy.min_arabic_ratio)
            if warning:
                warnings.append(warning)
        scores, label_actions, evidence_for = {}, {}, {}
        for j, rule in enumerate(self.rules):
            column = probs[:, j]
            scores[rule.name] = rule.rollup.document_score(column)
            label_actions[rule.name] = rule.action(scores[rule.name])
            if label_actions[rule.name] != "allow":
                evidence_for[rule.name] = self._evidence_indices(column, rule.review)
        voices = self._voices(text, sentences, explained, evidence_for)
        capped = cap_reported(label_actions, evidence_for, voices, self.policy.reported_max_action)
        if capped:
            warnings.append({"code": "reported", "message": f"{', '.join(capped)}: capped at "
                             f"{self.policy.reported_max_action}: every evidence sentence is someone else's words"})
        action = max(label_actions.values(), key=ACTIONS.index, default="allow")
        triggered = [name for name, a in label_actions.items() if a == action and action != "allow"]
        evidence = []
        for i in sorted({i for indices in evidence_for.values() for i in indices}):
            row = dict(explained[i]) if explained is not None else sentences[i].to_row()
            if explained is None and i in voices:
                row.update(voices[i].to_row())
            row["labels"] = [name for name, indices in evidence_for.items() if i in indices]
            evidence.append(row)
        return Decision(
            action=action,
            labels=triggered,
            label_actions=label_actions,
            scores=scores,
            evidence=evidence,
            model=self.model.name,
            model_version=self.model.version,
            policy_version=self.policy.version,
            doc_id=doc_id,
            warnings=warnings,
        )

    def _voices(self, text: str, sentences: Sequence[SentenceScore], explained: list[dict[str, Any]] | None,
                evidence_for: dict[str, list[int]]) -> dict[int, Voice]:
        """The voice of each evidence sentence, when the policy caps reported speech: from the
        explanation (voice of the cue words) where there is one, else of the whole sentence."""
        if self.policy.reported_max_action is None:
            return {}
        spans = [Span(s.start, s.end, s.text) for s in sentences]
        voices = {}
        for i in sorted({i for indices in evidence_for.values() for i in indices}):
            row = explained[i] if explained is not None else {}
            if "voice" in row:
                voices[i] = Voice(row["voice"], None if row["speaker"] is None else Span(**row["speaker"]))
            else:
                voices[i] = sentence_voice(text, spans[i].start, spans[i].end, sentences=spans)
        return voices

    def _evidence_indices(self, column: np.ndarray, review: float) -> list[int]:
        """The highest-scoring sentences at or above the review threshold; when none is (a
        ``noisy_or`` sum of moderate scores), the highest-scoring ones."""
        order = [int(i) for i in np.argsort(-column, kind="stable")]
        above = [i for i in order if column[i] >= review]
        return (above or order)[: self.policy.max_evidence]

    def describe(self) -> dict[str, Any]:
        """Model, policy version and the effective per-label rules (for logs and /readyz)."""
        return {
            "model": self.model.name,
            "model_version": self.model.version,
            "policy_version": self.policy.version,
            "labels": {rule.name: rule.to_dict() for rule in self.rules},
        }


def cap_reported(label_actions: dict[str, str], evidence_for: dict[str, list[int]], voices: dict[int, Voice],
                 cap: str | None) -> list[str]:
    """Lower (in place) to ``cap`` the action of every label whose evidence sentences are all
    reported or quoted speech; the labels lowered."""
    if cap is None:
        return []
    lowered = []
    for name, indices in evidence_for.items():
        action = label_actions[name]
        if ACTIONS.index(action) > ACTIONS.index(cap) and indices and all(
                voices[i].voice in REPORTED_VOICES for i in indices):
            label_actions[name] = cap
            lowered.append(name)
    return lowered


__all__ = ["Decision", "Moderator", "PolicyError", "cap_reported"]
