"""Agreement between annotators and the gold rule: two votes per item, a third annotator's
vote decides a label only where the two disagree; items both mark borderline stay out of scoring."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.metrics import cohen_kappa_score

from khitab.data.external import LABELS


def cohen_kappa(a: Sequence[int], b: Sequence[int]) -> float:
    """Cohen's kappa of two annotators' 0/1 labels (1.0 where both are constant and equal)."""
    if list(a) == list(b):
        return 1.0
    return float(cohen_kappa_score(list(a), list(b)))


def fleiss_kappa(votes: np.ndarray) -> float:
    """Fleiss' kappa for 0/1 votes: ``votes`` is (items, raters), every item rated by all."""
    votes = np.asarray(votes, dtype=float)
    n_raters = votes.shape[1]
    ones = votes.sum(axis=1)
    counts = np.stack([n_raters - ones, ones], axis=1)
    p_item = ((counts ** 2).sum(axis=1) - n_raters) / (n_raters * (n_raters - 1))
    p_cat = counts.sum(axis=0) / counts.sum()
    expected = float((p_cat ** 2).sum())
    if expected == 1.0:
        return 1.0
    return float((p_item.mean() - expected) / (1 - expected))


def gold(first: Mapping, second: Mapping, third: Mapping | None = None, labels: Sequence[str] = LABELS) -> dict:
    """The gold row of one item from two votes and, where they split on a label, a third
    (``labels``: the labels the votes decide; a ruling's re-read decides only its own)."""
    decided = {}
    disputed = []
    for label in labels:
        a, b = int(first[label]), int(second[label])
        if a == b:
            decided[label] = a
            continue
        disputed.append(label)
        if third is None:
            raise ValueError(f"{first.get('key')}: {label} split 1-1 and no adjudicator vote")
        decided[label] = int(third[label])
    borderline = bool(first.get("borderline")) and bool(second.get("borderline"))
    if third is not None and disputed and third.get("borderline"):
        borderline = True
    return {"labels": decided, "borderline": borderline, "adjudicated": disputed}


def reread(row: Mapping, decision: Mapping) -> dict:
    """A gold row after a project ruling's re-read: a later ruling (``decision["ruling"]``)
    settles a case the first annotators decided item by item, so three annotators re-read every
    labeled item the case covers and their majority decides the labels the ruling is about
    (``decision["labels"]``). The original votes stay on the row beside the re-read."""
    changed = {x: int(v) for x, v in decision["labels"].items()}
    unknown = sorted(set(changed) - set(LABELS))
    if unknown:
        raise ValueError(f"{row['id']}: re-read of unknown label(s) {', '.join(unknown)}")
    out = dict(row)
    out["labels"] = {**row["labels"], **changed}
    out["reread"] = {"ruling": decision["ruling"], "labels": changed, "was": {x: row["labels"][x] for x in changed},
                     "votes": list(decision.get("votes", [])), "note": decision.get("note", "")}
    return out
