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


def wave_of(row: Mapping) -> int:
    """The annotation wave a gold row came from (wave 1's rows carry no ``wave`` field)."""
    return int(row.get("wave", 1))


def agreement_of(rows: Sequence[Mapping], pairs: Mapping[str, tuple[list, list]]) -> dict:
    """Agreement and gold counts of ``rows``, ``pairs`` being the first two votes per label."""
    return {
        "items": len(rows),
        "adjudicated_items": sum(1 for r in rows if r["adjudicated"]),
        "borderline_items": sum(1 for r in rows if r["borderline"]),
        "per_label": {x: {
            "cohen_kappa_A_B": round(cohen_kappa(*pairs[x]), 4),
            "fleiss_kappa_A_B": round(fleiss_kappa(np.array(pairs[x]).T), 4),
            "positives_gold": sum(r["labels"][x] for r in rows),
            "split_votes": int(sum(p != q for p, q in zip(*pairs[x]))),
        } for x in LABELS},
    }


def vote_pairs(rows: Sequence[Mapping]) -> dict[str, tuple[list, list]]:
    """The first two annotators' votes per label, read back from each gold row's vote strings
    (``{"A": "010", "B": "011?"}``: one digit per label in ``LABELS`` order, ``?`` = borderline)."""
    pairs: dict[str, tuple[list, list]] = {x: ([], []) for x in LABELS}
    for r in rows:
        for i, x in enumerate(LABELS):
            pairs[x][0].append(int(r["votes"]["A"][i]))
            pairs[x][1].append(int(r["votes"]["B"][i]))
    return pairs


def agreement_from_votes(rows: Sequence[Mapping]) -> dict:
    """``agreement.json`` over all waves and per wave, from the gold rows alone: every row keeps
    its first two votes, so a new wave is folded in without the older waves' vote files."""
    agreement = agreement_of(rows, vote_pairs(rows))
    agreement["waves"] = {}
    for wave in sorted({wave_of(r) for r in rows}):
        part = [r for r in rows if wave_of(r) == wave]
        agreement["waves"][str(wave)] = agreement_of(part, vote_pairs(part))
    return agreement
