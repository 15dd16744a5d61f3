"""Verdicts back into the model: the labeled-row export read by the project's own readers and
used by ``khitab thresholds``; the Label Studio round trip."""
import json

import pytest
from typer.testing import CliRunner

from khitab.cli import app
from khitab.data.corpus import load_corpus
from khitab.evaluation.datasets import read_eval_file
from khitab.models.bundle import load_model
from khitab.moderation import LabelPolicy, Moderator, Policy
from khitab.review import VerdictError, enqueue_decisions, next_items, record_verdicts, stats, verdict_history
from khitab.review.exchange import (
    LabelStudioError,
    export_label_studio,
    export_labeled,
    import_label_studio,
    labeled_rows,
    labeling_config_path,
    majority,
)
from tests.evaluation.conftest import ROWS
from tests.review.conftest import make_items

LABELS = ["threat", "sectarian", "denial"]


def test_majority_of_latest_verdicts_ties_left_out():
    assert majority([1, 1, 0]) == 1 and majority([0]) == 0 and majority([1, 0]) is None


def test_export_rule_latest_per_reviewer_majority_per_text(store):
    v1 = store.enqueue(make_items())
    v2 = store.enqueue(make_items(model_version="v2"))  # the same texts, a newer model: pooled by text
    record_verdicts(store, [
        {"item_id": v1[0], "label": "threat", "verdict": "reject", "reviewer": "a"},
        {"item_id": v2[0], "label": "threat", "verdict": "confirm", "reviewer": "a"},  # a's latest on text 0
        {"item_id": v1[0], "label": "threat", "verdict": "confirm", "reviewer": "b"},
        {"item_id": v1[0], "label": "sectarian", "verdict": "reject", "reviewer": "b"},
        {"item_id": v1[1], "label": "sectarian", "verdict": "confirm", "reviewer": "a"},
        {"item_id": v1[1], "label": "sectarian", "verdict": "reject", "reviewer": "b"},  # a tie: unknown
    ])
    rows = labeled_rows(store)
    assert len(rows) == 1  # text 1 has no decided label
    row = rows[0]
    assert row["text"] == make_items()[0].text
    assert {k: row.get(k) for k in LABELS} == {"threat": 1, "sectarian": 0, "denial": None}
    assert row["source"] == "review" and row["id"].startswith("review-")


@pytest.fixture
def reviewed(tmp_path, tiny_bundle, store):
    """The hand-made evaluation sentences moderated by the tiny model (every one sent to review),
    queued, and judged by two reviewers with their true labels (one disagreeing on one label)."""
    model = load_model(tiny_bundle)
    policy = Policy(version="review-all", labels={label: LabelPolicy(review=0.001) for label in model.labels})
    moderator = Moderator(model, policy)
    decisions = moderator.check_many([text for text, *_ in ROWS], [f"e{i:02d}" for i in range(len(ROWS))])
    ids = enqueue_decisions(store, decisions, model.thresholds)
    assert len(ids) == len(ROWS) and {d.action for d in decisions} == {"review"}
    truth = {text: dict(zip(LABELS, values)) for text, *values, _, _ in ROWS}
    for reviewer in ("a", "b"):
        for item in next_items(store, reviewer, limit=100):
            record_verdicts(store, [
                {"item_id": item.item_id, "label": label, "reviewer": reviewer,
                 "verdict": "confirm" if truth[item.text][label] else "reject"}
                for label in LABELS
            ])
    return store


def test_the_export_is_data_for_the_projects_readers_and_khitab_thresholds(reviewed, tiny_bundle, tmp_path):
    out = tmp_path / "reviews.jsonl"
    summary = export_labeled(reviewed, out)
    assert summary.rows == len(ROWS) and summary.labels == {label: len(ROWS) for label in LABELS}
    dataset = read_eval_file(out, LABELS)  # what `khitab evaluate --data` and `thresholds --data` read
    assert len(dataset) == len(ROWS) and dataset.labels == LABELS
    expected = {text: dict(zip(LABELS, values)) for text, *values, _, _ in ROWS}
    assert all(ex.labels == expected[ex.text] for ex in dataset.examples)
    assert len(load_corpus(out, LABELS)) == len(ROWS)  # and a corpus file for training
    result = CliRunner().invoke(app, ["thresholds", "--data", str(out), "--model", str(tiny_bundle),
                                      "--output", str(tmp_path / "tuned")])
    assert result.exit_code == 0, result.output
    assert "saved thresholds" in result.output
    tuned = json.loads((tmp_path / "tuned" / "bundle.json").read_text(encoding="utf-8"))
    assert tuned["metadata"]["thresholds"]["data"] == [str(out)]
    report = stats(reviewed)
    assert all(report["labels"][label]["kappa"] == 1.0 for label in LABELS)


def test_label_studio_round_trip(reviewed, tmp_path):
    tasks_path = tmp_path / "tasks.json"
    summary = export_label_studio(reviewed, tasks_path)
    tasks = json.loads(tasks_path.read_text(encoding="utf-8"))
    assert summary.rows == len(tasks) == len(ROWS)
    config = labeling_config_path(tasks_path).read_text(encoding="utf-8")
    for label in LABELS:
        assert f'<Choices name="{label}" toName="text"' in config
    task = tasks[0]
    assert set(task["data"]) >= {"text", "item_id"}
    (prediction,) = task["predictions"]
    assert [r["from_name"] for r in prediction["result"]] == LABELS
    assert all(r["type"] == "choices" and r["value"]["choices"][0] in ("confirm", "reject") and 0 <= r["score"] <= 1
               for r in prediction["result"])

    # what Label Studio's JSON export gives back once annotated: the same tasks with annotations
    note = {"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": ["بلا تهديد"]}}
    annotated = [
        {"id": 10 + i, "data": t["data"], "annotations": [
            {"id": 1, "completed_by": {"id": 7, "email": "ls@example.org"}, "was_cancelled": False,
             "result": [{"from_name": "threat", "to_name": "text", "type": "choices", "value": {"choices": ["reject"]}},
                        note]},
            {"id": 2, "completed_by": 8, "was_cancelled": True, "result": [
                {"from_name": "threat", "to_name": "text", "type": "choices", "value": {"choices": ["confirm"]}}]},
        ]}
        for i, t in enumerate(tasks[:3])
    ]
    export = tmp_path / "ls-export.json"
    export.write_text(json.dumps(annotated, ensure_ascii=False), encoding="utf-8")
    before = len(verdict_history(reviewed))
    imported = import_label_studio(reviewed, export)
    assert (imported.tasks, imported.verdicts, imported.reviewers) == (3, 3, ["ls@example.org"])
    new = verdict_history(reviewed)[before:]
    assert {(v["item_id"], v["label"], v["verdict"], v["reviewer"], v["note"]) for v in new} == {
        (t["data"]["item_id"], "threat", "reject", "ls@example.org", "بلا تهديد") for t in tasks[:3]
    }
    assert import_label_studio(reviewed, export).verdicts == 0  # importing it again adds nothing

    annotated[0]["annotations"][0]["result"][0]["from_name"] = "insult"
    export.write_text(json.dumps(annotated, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(VerdictError, match="insult"):
        import_label_studio(reviewed, export)
    export.write_text(json.dumps({"not": "a list"}), encoding="utf-8")
    with pytest.raises(LabelStudioError):
        import_label_studio(reviewed, export)
