"""Review statistics (``GET /v1/reviews/stats``): counts, and per label how often reviewers
agree with the model and with each other.

Only each reviewer's latest verdict per (item, label) counts. Per label:

- ``agreement_with_model``: the share of verdicts that match the model's flag (``confirm`` on a
  flagged label, ``reject`` on an unflagged one); ``confirm_rate_of_flags``: of the verdicts on
  flagged (item, label)s, the share that confirm the flag (the model's precision as reviewers
  see it). ``None`` when there is nothing to divide.
- ``kappa``: Cohen's kappa (sklearn) between reviewers, over every pair of reviewers who judged
  the same (item, label), pooled (each pair ordered by reviewer name); ``pairs`` counts them.
  ``None`` with no pair, or when kappa is undefined (every verdict of the pairs the same).
"""
from __future__ import annotations

import warnings
from collections import defaultdict
from itertools import combinations
from typing import Any

from sqlalchemy import func, select

from khitab.review.store import Item, ReviewStore, Verdict


def latest_verdicts(session) -> list[tuple[str, str, str, str, str, list[str]]]:
    """(item_id, label, reviewer, verdict, text_sha256, item flagged) of every latest verdict."""
    newest = (
        select(func.max(Verdict.verdict_id).label("verdict_id"))
        .group_by(Verdict.item_id, Verdict.label, Verdict.reviewer)
        .subquery()
    )
    query = (
        select(Verdict.item_id, Verdict.label, Verdict.reviewer, Verdict.verdict, Item.text_sha256, Item.flagged)
        .join(newest, newest.c.verdict_id == Verdict.verdict_id)
        .join(Item, Item.item_id == Verdict.item_id)
        .order_by(Verdict.verdict_id)
    )
    return [tuple(row) for row in session.execute(query)]


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def cohen_kappa(first: list[int], second: list[int]) -> float | None:
    """sklearn's kappa; ``None`` where it is undefined (no pairs, one class throughout)."""
    if not first or len(set(first) | set(second)) < 2:
        return None
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        value = float(cohen_kappa_score(first, second))
    return None if value != value else round(value, 4)


def label_stats(rows: list[tuple]) -> dict[str, dict[str, Any]]:
    by_label: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        by_label[row[1]].append(row)
    report = {}
    for label, entries in sorted(by_label.items()):
        agree = sum((verdict == "confirm") == (label in flagged) for _, _, _, verdict, _, flagged in entries)
        on_flags = [verdict for _, _, _, verdict, _, flagged in entries if label in flagged]
        per_item: dict[str, dict[str, int]] = defaultdict(dict)
        for item_id, _, reviewer, verdict, _, _ in entries:
            per_item[item_id][reviewer] = int(verdict == "confirm")
        first, second = [], []
        for votes in per_item.values():
            for a, b in combinations(sorted(votes), 2):
                first.append(votes[a])
                second.append(votes[b])
        report[label] = {
            "verdicts": len(entries),
            "items": len(per_item),
            "confirmed": sum(verdict == "confirm" for _, _, _, verdict, _, _ in entries),
            "agreement_with_model": _rate(agree, len(entries)),
            "flags_judged": len(on_flags),
            "confirm_rate_of_flags": _rate(on_flags.count("confirm"), len(on_flags)),
            "pairs": len(first),
            "kappa": cohen_kappa(first, second),
        }
    return report


def stats(store: ReviewStore) -> dict[str, Any]:
    """``{"items", "verdicts", "reviewers", "items_reviewed", "labels": {label: {...}}}``;
    ``verdicts`` counts every verdict ever recorded, the per-label numbers the latest ones."""
    with store.reading() as session:
        n_items = session.scalar(select(func.count()).select_from(Item)) or 0
        n_verdicts = session.scalar(select(func.count()).select_from(Verdict)) or 0
        reviewers = session.scalar(select(func.count(func.distinct(Verdict.reviewer)))) or 0
        reviewed = session.scalar(select(func.count(func.distinct(Verdict.item_id)))) or 0
        rows = latest_verdicts(session)
    return {
        "items": int(n_items),
        "verdicts": int(n_verdicts),
        "reviewers": int(reviewers),
        "items_reviewed": int(reviewed),
        "labels": label_stats(rows),
    }
