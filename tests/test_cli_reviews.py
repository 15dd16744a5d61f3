"""``khitab reviews export|import`` and ``khitab drift`` on real files: a SQLite review store made
through the Python API, Label Studio files, two batch outputs."""
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from khitab.cli import app
from khitab.evaluation.drift import drift_report
from khitab.review import ReviewStore, export_labeled, record_verdicts, verdict_history
from tests.review.conftest import make_items

runner = CliRunner()


def khitab(*args):
    return runner.invoke(app, [str(arg) for arg in args])


def one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def reviewed(tmp_path):
    """A SQLite store with six items, two reviewers' verdicts on two of them."""
    url = f"sqlite:///{tmp_path / 'reviews.db'}"
    with ReviewStore(url) as store:
        ids = store.enqueue(make_items())
        record_verdicts(store, [
            {"item_id": ids[0], "label": "threat", "verdict": "confirm", "reviewer": "a"},
            {"item_id": ids[0], "label": "threat", "verdict": "confirm", "reviewer": "b"},
            {"item_id": ids[1], "label": "sectarian", "verdict": "reject", "reviewer": "a"},
        ])
    return url, ids


def test_export_writes_the_labeled_rows_of_the_store(reviewed, tmp_path):
    url, _ = reviewed
    result = khitab("reviews", "export", "--store", url, "-o", tmp_path / "out.jsonl")
    assert result.exit_code == 0, result.output
    assert "wrote 2 rows" in result.stderr
    with ReviewStore(url) as store:
        export_labeled(store, tmp_path / "expected.jsonl")
    written = (tmp_path / "out.jsonl").read_text(encoding="utf-8")
    assert written == (tmp_path / "expected.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in written.splitlines()]
    assert [(row.get("threat"), row.get("sectarian")) for row in rows] == [(1, None), (None, 0)]


def test_label_studio_round_trip(reviewed, tmp_path):
    url, ids = reviewed
    tasks_file = tmp_path / "tasks.json"
    result = khitab("reviews", "export", "--store", url, "-o", tasks_file, "--format", "label-studio")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "tasks.labeling.xml").is_file()
    tasks = json.loads(tasks_file.read_text(encoding="utf-8"))
    assert sorted(task["data"]["item_id"] for task in tasks) == sorted(ids)
    annotated = [{**tasks[0], "annotations": [{
        "completed_by": {"id": 7, "email": "ls@example.org"}, "was_cancelled": False,
        "result": [{"from_name": "denial", "to_name": "text", "type": "choices", "value": {"choices": ["reject"]}}],
    }]}]
    (tmp_path / "done.json").write_text(json.dumps(annotated), encoding="utf-8")
    result = khitab("reviews", "import", tmp_path / "done.json", "--store", url)
    assert result.exit_code == 0, result.output
    assert "1 new verdict(s) from 1 reviewer(s)" in result.stderr
    again = khitab("reviews", "import", tmp_path / "done.json", "--store", url)
    assert "0 new verdict(s)" in again.stderr  # importing twice adds nothing
    with ReviewStore(url) as store:
        assert verdict_history(store)[-1]["reviewer"] == "ls@example.org"


def test_review_user_errors_are_one_line_and_exit_2(reviewed, tmp_path):
    url, ids = reviewed
    missing = f"sqlite:///{tmp_path / 'typo.db'}"
    assert "no review store there" in one_error_line(khitab("reviews", "export", "--store", missing, "-o",
                                                            tmp_path / "x.jsonl"))
    assert not (tmp_path / "typo.db").exists()  # a mistyped store is not created empty
    assert "--store nosuchdriver://x" in one_error_line(khitab("reviews", "export", "--store", "nosuchdriver://x",
                                                               "-o", tmp_path / "x.jsonl"))
    (tmp_path / "not_a_list.json").write_text('{"data": {}}', encoding="utf-8")
    assert "list of tasks" in one_error_line(khitab("reviews", "import", tmp_path / "not_a_list.json",
                                                    "--store", url))
    bad_label = [{"data": {"item_id": ids[0]}, "annotations": [{"completed_by": 3, "result": [
        {"from_name": "spam", "type": "choices", "value": {"choices": ["confirm"]}}]}]}]
    (tmp_path / "bad.json").write_text(json.dumps(bad_label), encoding="utf-8")
    before = len(verdict_history(ReviewStore(url)))
    assert "'spam' is not a label" in one_error_line(khitab("reviews", "import", tmp_path / "bad.json",
                                                             "--store", url))
    assert len(verdict_history(ReviewStore(url))) == before


def batch_output(path, scores, threshold=0.5):
    rows = [{"doc_id": str(i), "sentence": 0, "scores": {"threat": float(p), "denial": float(1 - p)},
             "flagged": [label for label, q in (("threat", p), ("denial", 1 - p)) if q >= threshold]}
            for i, p in enumerate(scores)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_drift_reports_text_and_json(tmp_path):
    rng = np.random.default_rng(1)
    reference = batch_output(tmp_path / "ref.jsonl", rng.beta(1, 8, 2000))
    same = batch_output(tmp_path / "same.jsonl", rng.beta(1, 8, 2000))
    moved = batch_output(tmp_path / "moved.jsonl", rng.beta(2, 3, 2000))
    stable = khitab("drift", reference, same)
    assert stable.exit_code == 0, stable.output
    assert stable.stdout.splitlines()[0].endswith(": stable")
    shifted = khitab("drift", reference, moved, "--json")
    assert shifted.exit_code == 0, shifted.output
    body = json.loads(shifted.stdout)
    assert body == json.loads(json.dumps(drift_report(reference, moved).to_dict()))
    assert body["verdict"] == "major shift" and set(body["labels"]) == {"threat", "denial"}


def test_drift_user_errors_are_one_line_and_exit_2(tmp_path):
    (tmp_path / "bad.jsonl").write_text('{"text": "no scores"}\n', encoding="utf-8")
    good = batch_output(tmp_path / "good.jsonl", [0.1, 0.2, 0.9])
    assert "not a batch output row" in one_error_line(khitab("drift", good, tmp_path / "bad.jsonl"))
    assert "not found" in one_error_line(khitab("drift", good, tmp_path / "absent.jsonl"))


def test_serve_refuses_enqueue_without_a_store():
    assert "--review-store" in one_error_line(khitab("serve", "--enqueue-reviews"))


def test_serve_names_a_store_it_cannot_open(tiny_bundle):
    line = one_error_line(khitab("serve", "--model", tiny_bundle, "--review-store", "nosuchdriver://x"))
    assert line.startswith("error: --review-store nosuchdriver://x: ")
