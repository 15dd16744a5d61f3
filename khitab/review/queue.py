"""The review queue: what goes in, what a reviewer sees next, and how verdicts are recorded.

Which labels an item asks about (``asked_labels``): the labels the model flagged (score at or
above the label's threshold), the labels within ``MARGIN`` of their threshold on either side
(the model was nearly unsure), and the labels a moderation decision cited the sentence as
evidence for; an item with none of those (queued by hand) asks about its highest-scoring
label, so every item has something to ask. A reviewer may judge any label the item scores;
the asked ones decide when the item is done for that reviewer.

Order (``next_items``): most informative first - the smallest distance of an asked label's
score to its threshold, then the highest asked score, then the oldest. An item leaves a
reviewer's queue once that reviewer has a verdict on every label it asks about; other
reviewers still see it (two reviewers on one item give the agreement in ``stats``).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from pydantic import BaseModel, Field
from sqlalchemy import select

from khitab.review.store import VERDICTS, Item, NewItem, ReviewStore, Verdict, as_utc, utcnow

MARGIN = 0.1
MAX_NOTE = 10_000


def asked_labels(scores: Mapping[str, float], thresholds: Mapping[str, float], flagged: Iterable[str] = (),
                 cited: Iterable[str] = (), margin: float = MARGIN) -> list[str]:
    """The labels an item asks a reviewer about, in the scores' order (see the module)."""
    named = set(flagged) | set(cited)
    asks = [
        label for label, score in scores.items()
        if label in named or abs(score - thresholds.get(label, 0.5)) <= margin
    ]
    if asks or not scores:
        return asks
    return [max(scores, key=scores.get)]


def ranking(scores: Mapping[str, float], thresholds: Mapping[str, float], asks: Sequence[str]) -> tuple[float, float]:
    """(priority, top_score): the smallest |score - threshold| among the asked labels and
    their highest score; an item that asks nothing sorts last."""
    if not asks:
        return 1.0, 0.0
    priority = min(abs(scores[label] - thresholds.get(label, 0.5)) for label in asks)
    return round(priority, 6), round(max(scores[label] for label in asks), 6)


def new_item(text: str, doc_id: str, start: int, end: int, scores: Mapping[str, float],
             thresholds: Mapping[str, float], model: str, model_version: str, *, decision: str = "review",
             cited: Iterable[str] = (), cues: dict | None = None) -> NewItem:
    """A ``NewItem`` with its flags, asked labels and rank worked out from its scores."""
    scores = {label: float(p) for label, p in scores.items()}
    thresholds = {label: float(thresholds.get(label, 0.5)) for label in scores}
    flagged = [label for label, p in scores.items() if p >= thresholds[label]]
    asks = asked_labels(scores, thresholds, flagged, cited)
    priority, top = ranking(scores, thresholds, asks)
    return NewItem(text=text, doc_id=doc_id, start=int(start), end=int(end), model=model,
                   model_version=model_version, scores=scores, thresholds=thresholds, flagged=flagged,
                   asks=asks, decision=decision, cues=cues, priority=priority, top_score=top)


def items_from_decision(decision, thresholds: Mapping[str, float], actions: Iterable[str] = ("review", "block")
                        ) -> list[NewItem]:
    """The evidence sentences of a ``khitab.moderation.Decision`` whose action is one of
    ``actions``, as items (``thresholds``: the model's, which its rows' ``flagged`` used)."""
    if decision.action not in set(actions):
        return []
    return [
        new_item(row["text"], decision.doc_id, row["start"], row["end"], row["scores"], thresholds,
                 decision.model, decision.model_version, decision=decision.action,
                 cited=row.get("labels", ()), cues=row.get("cues"))
        for row in decision.evidence
    ]


def enqueue_decisions(store: ReviewStore, decisions: Iterable, thresholds: Mapping[str, float]) -> list[str]:
    """Queue the evidence of every review/block decision; returns the item ids (``moderator.
    model.thresholds`` are the thresholds; ``POST /v1/moderate`` with ``enqueue`` calls this)."""
    return store.enqueue(item for decision in decisions for item in items_from_decision(decision, thresholds))


# --- the queue ---------------------------------------------------------------------------


class ReviewItem(BaseModel):
    """A queued sentence as reviewers and the API see it; offsets index its document. The
    fields are the stored item's (``store.Item``) less its bookkeeping, plus ``judged``."""

    item_id: str
    text: str
    doc_id: str
    start: int
    end: int
    scores: dict[str, float]
    thresholds: dict[str, float]
    flagged: list[str]
    asks: list[str] = Field(description="The labels the reviewer is asked about.")
    cues: Optional[dict[str, list[dict[str, Any]]]] = Field(description="Cue spans per label, when recorded.")
    decision: str = Field(description="The moderation action that queued it: review / block.")
    model: str
    model_version: str
    judged: list[str] = Field(description="The labels the asking reviewer has judged already.")
    created_at: str


STORED_FIELDS = [name for name in ReviewItem.model_fields if name not in ("judged", "created_at")]


def item_view(item: Item, judged: Iterable[str] = ()) -> ReviewItem:
    """An item as the API returns it; ``judged``: the labels the asking reviewer has judged."""
    return ReviewItem(**{name: getattr(item, name) for name in STORED_FIELDS}, judged=sorted(judged),
                      created_at=as_utc(item.created_at).isoformat())


def next_items(store: ReviewStore, reviewer: str | None = None, limit: int = 20) -> list[ReviewItem]:
    """Up to ``limit`` items for ``reviewer``, most informative first, none that the reviewer
    has judged on every label it asks about (no reviewer: every item)."""
    if limit <= 0:
        return []
    with store.reading() as session:
        judged: dict[str, set[str]] = {}
        if reviewer:
            done = select(Verdict.item_id, Verdict.label).where(Verdict.reviewer == reviewer).distinct()
            for item_id, label in session.execute(done):
                judged.setdefault(item_id, set()).add(label)
        order = select(Item).order_by(Item.priority, Item.top_score.desc(), Item.created_at, Item.item_id)
        found = []
        for item in session.scalars(order.execution_options(yield_per=256)):
            labels = judged.get(item.item_id, set())
            if not set(item.asks) <= labels:
                found.append(item_view(item, labels))
                if len(found) == limit:
                    break
        return found


# --- verdicts ----------------------------------------------------------------------------


class VerdictError(ValueError):
    """Verdicts that cannot be recorded (none of the batch was). ``problems``: one dict per
    problem, ``{"index", "field", "message"}``; the HTTP routes answer 422 with them."""

    def __init__(self, problems: Sequence[dict[str, Any]]):
        self.problems = list(problems)
        first = self.problems[0]
        more = len(self.problems) - 1
        super().__init__(f"verdict {first['index']}: {first['field']}: {first['message']}"
                         + (f" (and {more} more problem(s))" if more > 0 else ""))


@dataclass(frozen=True)
class VerdictIn:
    item_id: str
    label: str
    verdict: str
    reviewer: str
    note: str = ""


def parse_verdict_body(body: Any) -> list[Mapping[str, Any]]:
    """A ``POST /v1/reviews`` body: one verdict object, a list of them, or ``{"verdicts": [...]}``."""
    if isinstance(body, Mapping) and "verdicts" in body:
        body = body["verdicts"]
    if isinstance(body, Mapping):
        return [body]
    if isinstance(body, list) and body:
        return body
    raise VerdictError([{"index": 0, "field": "body", "message": "expected a verdict object or a non-empty list"}])


def _checked(index: int, raw: Any, problems: list[dict[str, Any]]) -> VerdictIn | None:
    def problem(name: str, message: str) -> None:
        problems.append({"index": index, "field": name, "message": message})

    if isinstance(raw, VerdictIn):
        raw = raw.__dict__
    if not isinstance(raw, Mapping):
        problem("body", "a verdict is a JSON object")
        return None
    before = len(problems)
    values = {}
    for name in ("item_id", "label", "verdict", "reviewer"):
        value = raw.get(name)
        if not isinstance(value, str) or not value.strip():
            problem(name, "missing or empty")
        values[name] = value.strip() if isinstance(value, str) else value
    if values["verdict"] not in VERDICTS and isinstance(values["verdict"], str) and values["verdict"]:
        problem("verdict", f"{values['verdict']!r} is not one of {', '.join(VERDICTS)}")
    note = raw.get("note") or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        problem("note", f"a note is text of at most {MAX_NOTE} characters")
    unknown = sorted(set(raw) - {"item_id", "label", "verdict", "reviewer", "note"})
    if unknown:
        problem(unknown[0], f"unknown field(s): {', '.join(unknown)}")
    return None if len(problems) > before else VerdictIn(note=note, **values)


def _latest(session, verdicts: Sequence[VerdictIn]) -> dict[tuple[str, str, str], tuple[str, str]]:
    """The latest (verdict, note) per (item, label, reviewer) among those ``verdicts`` touch."""
    keys = {(v.item_id, v.label, v.reviewer) for v in verdicts}
    rows = session.execute(
        select(Verdict.item_id, Verdict.label, Verdict.reviewer, Verdict.verdict, Verdict.note)
        .where(Verdict.item_id.in_({k[0] for k in keys}), Verdict.reviewer.in_({k[2] for k in keys}))
        .order_by(Verdict.verdict_id)
    )
    return {(i, label, r): (v, n) for i, label, r, v, n in rows if (i, label, r) in keys}


def record_verdicts(store: ReviewStore, verdicts: Iterable[Mapping[str, Any] | VerdictIn],
                    skip_unchanged: bool = False) -> list[int]:
    """Validate and append ``verdicts`` in one transaction: all of them or, on any unknown
    item, label or verdict, none (``VerdictError``). Returns the new verdict ids in order
    (``skip_unchanged``: a verdict equal to the reviewer's latest for that item and label is
    not appended again and gets no id; imports use it so a file imported twice adds nothing)."""
    problems: list[dict[str, Any]] = []
    parsed = [_checked(i, raw, problems) for i, raw in enumerate(verdicts)]
    if problems:
        raise VerdictError(problems)
    if not parsed:
        return []
    with store.writing() as session:
        items = {
            item.item_id: item
            for item in session.scalars(select(Item).where(Item.item_id.in_({v.item_id for v in parsed})))
        }
        for index, v in enumerate(parsed):
            if v.item_id not in items:
                problems.append({"index": index, "field": "item_id", "message": f"no item {v.item_id!r}"})
            elif v.label not in items[v.item_id].scores:
                labels = ", ".join(items[v.item_id].scores)
                problems.append({"index": index, "field": "label",
                                 "message": f"{v.label!r} is not a label of item {v.item_id} ({labels})"})
        if problems:
            raise VerdictError(problems)
        latest = _latest(session, parsed) if skip_unchanged else {}
        now = utcnow()
        rows = []
        for v in parsed:
            key = (v.item_id, v.label, v.reviewer)
            if skip_unchanged and latest.get(key) == (v.verdict, v.note):
                continue
            latest[key] = (v.verdict, v.note)
            rows.append(Verdict(item_id=v.item_id, label=v.label, verdict=v.verdict, reviewer=v.reviewer,
                                note=v.note, model_version=items[v.item_id].model_version, created_at=now))
        session.add_all(rows)
        session.flush()
        return [row.verdict_id for row in rows]


def verdict_history(store: ReviewStore, item_id: str | None = None) -> list[dict[str, Any]]:
    """Every verdict (of one item, or all), oldest first: the audit trail."""
    with store.reading() as session:
        query = select(Verdict).order_by(Verdict.verdict_id)
        if item_id is not None:
            query = query.where(Verdict.item_id == item_id)
        return [
            {"verdict_id": v.verdict_id, "item_id": v.item_id, "label": v.label, "verdict": v.verdict,
             "reviewer": v.reviewer, "note": v.note, "model_version": v.model_version,
             "created_at": as_utc(v.created_at).isoformat()}
            for v in session.scalars(query)
        ]
