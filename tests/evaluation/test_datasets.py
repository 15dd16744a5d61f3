import pytest

from khitab.data.corpus import DataError
from khitab.errors import OptionError
from khitab.evaluation.datasets import (
    SourceRoots,
    load_dataset,
    load_datasets,
    load_seed,
    read_eval_file,
    split_spec,
)
from tests.conftest import SEED_GOLD, TINY_CORPUS
from tests.evaluation.conftest import eval_rows, write_csv, write_jsonl

LABELS = ["threat", "sectarian", "denial"]


def test_jsonl_with_nulls_missing_columns_and_borderline(tmp_path):
    rows = eval_rows(labels=("threat", "sectarian"))
    rows[0]["sectarian"] = None
    rows[1]["borderline"] = True
    data = read_eval_file(write_jsonl(tmp_path / "posts.jsonl", rows), LABELS)
    assert data.name == "posts" and len(data) == len(rows) - 1 and data.n_borderline == 1
    assert data.labels == ["threat", "sectarian"]  # no denial column: not carried
    first = data.examples[0]
    assert first.labels == {"threat": 1, "sectarian": None, "denial": None}
    assert first.dialect == "msa" and first.source == "news" and first.id == "e00"
    assert data.where[0] == f"{tmp_path / 'posts.jsonl'}:1"


def test_csv_empty_cells_are_unknown(tmp_path):
    rows = eval_rows()
    rows[2]["denial"] = None
    path = write_csv(tmp_path / "tweets.csv", rows, ["text", "threat", "denial", "dialect"])
    data = read_eval_file(path, LABELS)
    assert data.labels == ["threat", "denial"] and len(data) == len(rows)
    assert data.examples[2].labels == {"threat": 1, "sectarian": None, "denial": None}
    assert data.examples[0].labels["threat"] == 1 and data.examples[0].dialect == "msa"
    assert data.where[2] == f"{path}:4"  # header is line 1


def test_names_sources_and_specs(tmp_path):
    path = write_jsonl(tmp_path / "news.jsonl", eval_rows())
    assert split_spec(f"gold={path}") == ("gold", str(path))
    assert split_spec("corpus:dev") == (None, "corpus:dev")
    assert load_dataset(f"gold={path}", LABELS).name == "gold"
    corpus = load_dataset("corpus:train", LABELS, SourceRoots(corpus=TINY_CORPUS))
    assert corpus.name == "corpus:train" and 0 < len(corpus) < 40 and corpus.labels == LABELS
    seed = load_seed(SEED_GOLD, LABELS)
    assert seed.name == "seed" and seed.n_borderline > 0 and all(not ex.borderline for ex in seed.examples)
    (only,) = load_datasets([str(path)], LABELS)  # a file needs no training config
    assert only.name == "news"
    calls = []

    def roots():
        calls.append(1)
        return SourceRoots(corpus=TINY_CORPUS)

    assert len(load_datasets([str(path)], LABELS, roots)) == 1 and calls == []  # asked only when needed
    assert [d.name for d in load_datasets(["corpus:dev", "corpus:test", str(path)], LABELS, roots)] == [
        "corpus:dev", "corpus:test", "news"]
    assert calls == [1]  # and once


@pytest.mark.parametrize(
    "make, expected",
    [
        ("csv_without_text", "bad.csv:1: text: no 'text' column (columns: sentence, threat)"),
        ("jsonl_without_text", "bad.jsonl:2: text: missing or empty"),
        ("value_outside", "bad.jsonl:3: sectarian: 2 is not 0, 1 or null"),
        ("csv_value_outside", "bad.csv:3: threat: 'yes' is not 0, 1 or null"),
        ("boolean_label", "bad.jsonl:1: threat: True is not 0, 1 or null"),
        ("empty", "bad.jsonl: no rows; nothing to score"),
        ("all_borderline", "bad.jsonl: all 2 rows are borderline; nothing to score"),
        ("no_common_label", "bad.jsonl: no label in common with the model"),
        ("invalid_json", "bad.jsonl:2: invalid JSON"),
    ],
)
def test_bad_input_names_file_row_and_field(tmp_path, make, expected):
    rows = eval_rows(groups=False)[:3]
    if make == "csv_without_text":
        path = tmp_path / "bad.csv"
        path.write_text("sentence,threat\nنص,1\n", encoding="utf-8")
    elif make == "csv_value_outside":
        rows[1]["threat"] = "yes"
        path = write_csv(tmp_path / "bad.csv", rows, ["text", "threat"])
    else:
        path = tmp_path / "bad.jsonl"
        if make == "jsonl_without_text":
            rows[1].pop("text")
        elif make == "value_outside":
            rows[2]["sectarian"] = 2
        elif make == "boolean_label":
            rows[0]["threat"] = True
        elif make == "empty":
            rows = []
        elif make == "all_borderline":
            rows = [dict(r, borderline=True) for r in rows[:2]]
        elif make == "no_common_label":
            rows = [{"text": r["text"], "insult": 1} for r in rows]
        write_jsonl(path, rows)
        if make == "invalid_json":
            path.write_text(path.read_text(encoding="utf-8").replace("\n", "\n{oops\n", 1), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_eval_file(path, LABELS)
    message = str(caught.value)
    assert "\n" not in message and str(tmp_path) in message
    assert expected in message


def test_every_problem_is_kept_and_counted(tmp_path):
    rows = eval_rows(groups=False)[:4]
    rows[0]["threat"], rows[3]["denial"] = 5, "1"
    with pytest.raises(DataError) as caught:
        read_eval_file(write_jsonl(tmp_path / "bad.jsonl", rows), LABELS)
    assert len(caught.value.problems) == 2 and "(and 1 more problem(s)" in str(caught.value)
    assert caught.value.problems[1].endswith("bad.jsonl:4: denial: '1' is not 0, 1 or null")


def test_unknown_files_and_sources(tmp_path):
    with pytest.raises(FileNotFoundError, match="data not found"):
        load_dataset(str(tmp_path / "nope.jsonl"), LABELS)
    (tmp_path / "x.txt").write_text("نص", encoding="utf-8")
    with pytest.raises(DataError, match="unsupported file type"):
        load_dataset(str(tmp_path / "x.txt"), LABELS)
    with pytest.raises(OptionError, match="unknown corpus split"):
        load_dataset("corpus:validation", LABELS, SourceRoots(corpus=TINY_CORPUS))
    with pytest.raises((OptionError, FileNotFoundError)):
        load_dataset("external:no_such_source", LABELS, SourceRoots(external=tmp_path))
