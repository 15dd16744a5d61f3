"""Verdicts out as labeled data, and both ways with Label Studio.

``export_labeled(store, path)`` writes the project's labeled-row JSONL (the schema
``khitab.evaluation.datasets.read_eval_file`` and the corpus reader take: ``id``, ``text``, one
0/1 field per reviewed label, a missing label is unknown), so the file is ``--data`` for
``khitab thresholds`` and ``khitab evaluate`` and can be a corpus file for training.

The rule, per sentence text (items of one text under several model versions or documents are
pooled: whether a label applies does not depend on the model that asked) and label: each
reviewer's latest verdict counts once; ``confirm`` is 1, ``reject`` 0; the majority decides;
a tie is left out (unknown), as is every label nobody judged. A text with no decided label is
not written.

Label Studio: ``export_label_studio`` writes tasks (``data.text`` plus the item's ids, and the
model's flags as pre-annotations in ``predictions``, one result per label with its probability
as ``score``) and, next to them, the labeling config they assume (``LABELING_CONFIG``: one
single-choice ``Choices`` control per label, named after the label, choices ``confirm`` and
``reject``, and an optional ``note`` text area). ``import_label_studio`` reads Label Studio's
JSON export of those tasks back as verdicts: reviewer = the annotator's e-mail (or
``label-studio:<user id>`` when the export carries only the id), cancelled annotations skipped,
an annotation equal to the annotator's latest verdict not appended again.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy import select

from khitab.io import write_text_atomic
from khitab.review.queue import record_verdicts
from khitab.review.stats import latest_verdicts
from khitab.review.store import VERDICTS, Item, ReviewStore

SOURCE = "review"
ROW_FIELDS = ("id", "text", "source", "group", "note")  # the rest of a labeled row are labels


# --- labeled rows ------------------------------------------------------------------------


def majority(votes: Sequence[int]) -> int | None:
    """1 or 0 by majority of the reviewers' votes; ``None`` on a tie."""
    ones = sum(votes)
    zeros = len(votes) - ones
    return None if ones == zeros else int(ones > zeros)


def labeled_rows(store: ReviewStore) -> list[dict[str, Any]]:
    """One labeled row per reviewed sentence text (the rule in the module docstring), in the
    order the texts were first judged."""
    with store.reading() as session:
        latest = latest_verdicts(session)
        texts = dict(session.execute(select(Item.text_sha256, Item.text).where(
            Item.text_sha256.in_({row[4] for row in latest}))).all()) if latest else {}
    votes: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for _, label, reviewer, verdict, digest, _ in latest:
        # the same reviewer on one text under two items: the later verdict (rows are in id order)
        votes[digest][label][reviewer] = int(verdict == "confirm")
    rows = []
    for digest, by_label in votes.items():
        decided = {label: majority(list(by_reviewer.values())) for label, by_reviewer in by_label.items()}
        decided = {label: value for label, value in decided.items() if value is not None}
        if not decided:
            continue
        reviewers = sorted({r for by_reviewer in by_label.values() for r in by_reviewer})
        rows.append({
            "id": f"review-{digest[:16]}", "text": texts[digest], **decided, "source": SOURCE, "group": digest[:16],
            "note": f"review verdicts of {len(reviewers)} reviewer(s)",
        })
    return rows


@dataclass(frozen=True)
class ExportSummary:
    path: str
    rows: int
    labels: dict[str, int]  # decided rows per label


def export_labeled(store: ReviewStore, path: Path | str) -> ExportSummary:
    """Write the labeled-row JSONL of ``store`` to ``path``."""
    rows = labeled_rows(store)
    write_text_atomic(Path(path), "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        for label in set(row) - set(ROW_FIELDS):
            counts[label] += 1
    return ExportSummary(str(path), len(rows), dict(counts))


# --- Label Studio ------------------------------------------------------------------------


def labeling_config(labels: Sequence[str]) -> str:
    """The Label Studio labeling config the exported tasks assume."""
    controls = "".join(
        f'  <Header value="{escape(label)}"/>\n'
        f'  <Choices name="{escape(label)}" toName="text" choice="single-radio" showInline="true">\n'
        + "".join(f'    <Choice value="{v}"/>\n' for v in VERDICTS)
        + "  </Choices>\n"
        for label in labels
    )
    return (
        '<View>\n  <View style="direction: rtl; text-align: right; font-size: 1.3em">\n'
        '    <Text name="text" value="$text"/>\n  </View>\n'
        f'{controls}  <TextArea name="note" toName="text" placeholder="note" maxSubmissions="1"/>\n</View>\n'
    )


def label_studio_task(item: Item) -> dict[str, Any]:
    """A task for one item, the model's flags pre-annotated (``confirm`` for a flagged label,
    ``reject`` otherwise; ``score``: the label's probability)."""
    result = [
        {"from_name": label, "to_name": "text", "type": "choices", "score": round(float(p), 6),
         "value": {"choices": ["confirm" if label in item.flagged else "reject"]}}
        for label, p in item.scores.items()
    ]
    return {
        "data": {"text": item.text, "item_id": item.item_id, "doc_id": item.doc_id, "start": item.start,
                 "end": item.end, "asks": ", ".join(item.asks)},
        "predictions": [{"model_version": f"{item.model} {item.model_version}", "score": item.top_score,
                         "result": result}],
    }


def export_label_studio(store: ReviewStore, path: Path | str) -> ExportSummary:
    """Write every item as a Label Studio task to ``path`` (a JSON list) and the labeling
    config to ``<path stem>.labeling.xml`` beside it."""
    path = Path(path)
    with store.reading() as session:
        items = list(session.scalars(select(Item).order_by(Item.priority, Item.top_score.desc(), Item.item_id)))
    labels = list(dict.fromkeys(label for item in items for label in item.scores))
    write_text_atomic(path, json.dumps([label_studio_task(item) for item in items], ensure_ascii=False, indent=1))
    write_text_atomic(labeling_config_path(path), labeling_config(labels))
    return ExportSummary(str(path), len(items), {label: len(items) for label in labels})


EXPORT_FORMATS = {"jsonl": export_labeled, "label-studio": export_label_studio}  # khitab reviews export --format


def labeling_config_path(path: Path | str) -> Path:
    path = Path(path)
    return path.with_name(path.stem + ".labeling.xml")


class LabelStudioError(ValueError):
    """A file that is not a Label Studio JSON export of khitab tasks."""


def annotator(annotation: dict[str, Any]) -> str:
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or f"label-studio:{who.get('id')}")
    return f"label-studio:{who}"


def note_texts(results: list[dict[str, Any]]) -> list[str]:
    """The text of the ``note`` text area among an annotation's results."""
    texts = []
    for result in results:
        if result.get("from_name") == "note" and result.get("type") == "textarea":
            value = (result.get("value") or {}).get("text") or []
            texts.extend(t for t in (value if isinstance(value, list) else [value]) if isinstance(t, str) and t)
    return texts


def verdicts_from_task(task: dict[str, Any], where: str) -> list[dict[str, Any]]:
    item_id = (task.get("data") or {}).get("item_id")
    if not item_id:
        raise LabelStudioError(f"{where}: data.item_id missing: not a task exported by khitab")
    verdicts = []
    for annotation in task.get("annotations") or []:
        if annotation.get("was_cancelled"):
            continue
        results = annotation.get("result") or []
        note = " ".join(note_texts(results))
        for result in results:
            if result.get("type") != "choices":
                continue
            for choice in (result.get("value") or {}).get("choices") or []:
                verdicts.append({"item_id": item_id, "label": result.get("from_name"), "verdict": choice,
                                 "reviewer": annotator(annotation), "note": note})
    return verdicts


@dataclass(frozen=True)
class ImportSummary:
    tasks: int
    verdicts: int  # appended (unchanged ones are not)
    reviewers: list[str]


def import_label_studio(store: ReviewStore, path: Path | str) -> ImportSummary:
    """Record the annotations of a Label Studio JSON export as verdicts, all or none
    (``VerdictError`` for an unknown item, label or choice)."""
    path = Path(path)
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelStudioError(f"{path}: cannot read a Label Studio JSON export: {exc}") from None
    if not isinstance(tasks, list):
        raise LabelStudioError(f"{path}: a Label Studio JSON export is a list of tasks")
    verdicts = [v for i, task in enumerate(tasks) for v in verdicts_from_task(task, f"{path}: task {i}")]
    ids = record_verdicts(store, verdicts, skip_unchanged=True)
    return ImportSummary(len(tasks), len(ids), sorted({v["reviewer"] for v in verdicts}))
