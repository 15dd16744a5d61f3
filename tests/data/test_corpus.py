import json

import pytest

from khitab.data.corpus import DataError, load_corpus, load_seed_gold
from khitab.data.splits import select, split_of
from tests.conftest import SEED_GOLD, SEED_TEXT, TINY_CORPUS


def write_rows(path, rows):
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_tiny_corpus_loads_with_every_label_known(labels):
    examples = load_corpus(TINY_CORPUS, labels)
    assert len(examples) == 40
    assert all(set(ex.labels) == set(labels) and None not in ex.labels.values() for ex in examples)


def test_null_label_is_unknown_not_negative(tmp_path, labels):
    path = write_rows(tmp_path / "c.jsonl", [{"id": "a", "text": "نص", "threat": 1, "sectarian": None}])
    (example,) = load_corpus(path, labels)
    assert example.labels == {"threat": 1, "sectarian": None, "denial": None}
    assert example.known("threat") and not example.known("denial")


def test_invalid_rows_are_all_reported_with_file_line_and_field(tmp_path, labels):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"id": "ok", "text": "نص سليم", "threat": 0}),
                json.dumps({"id": "b", "text": "", "threat": 0}),
                json.dumps({"id": "c", "text": "نص", "threat": 2}),
                "{not json",
                json.dumps({"id": "d", "text": "نص", "denial": 0.5, "dialect": "klingon"}),
                json.dumps({"id": "e", "text": "نص", "threat": True}),
            ]
        ),
        encoding="utf-8",
    )
    with pytest.raises(DataError) as info:
        load_corpus(path, labels)
    problems = info.value.problems
    assert f"{path}:2: text: missing or empty" in problems
    assert f"{path}:3: threat: 2 is not 0, 1 or null" in problems
    assert any(p.startswith(f"{path}:4: invalid JSON") for p in problems)
    assert f"{path}:5: denial: 0.5 is not 0, 1 or null" in problems
    assert any(p.startswith(f"{path}:5: dialect") for p in problems)
    assert f"{path}:6: threat: True is not 0, 1 or null" in problems
    assert len(problems) == 6


def test_missing_corpus_path_names_it(tmp_path, labels):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        load_corpus(tmp_path / "nowhere", labels)


def test_corpus_slices_pin_the_files_a_model_trains_on(tmp_path, labels):
    from khitab.config import DataConfig
    from khitab.data.dataset import assemble

    rows = [json.loads(line) for line in TINY_CORPUS.read_text(encoding="utf-8").splitlines()]
    write_rows(tmp_path / "first.jsonl", rows[:25])
    write_rows(tmp_path / "later.jsonl", rows[25:])
    assert len(load_corpus(tmp_path, labels)) == 40
    pinned = load_corpus(tmp_path, labels, slices=["first"])
    assert [ex.id for ex in pinned] == [row["id"] for row in rows[:25]]
    data = assemble(DataConfig(corpus=tmp_path, corpus_slices=["first"]), labels)
    assert len(data.train) + len(data.dev) + len(data.test) == sum(not r.get("borderline") for r in rows[:25])
    with pytest.raises(FileNotFoundError, match="no corpus slice named missing"):
        load_corpus(tmp_path, labels, slices=["first", "missing"])


def test_seed_gold_expands_fragments_to_their_sentences(labels):
    examples = load_seed_gold(SEED_GOLD, SEED_TEXT, labels)
    assert len(examples) == 17
    by_text = {ex.text: ex for ex in examples}
    denial = [ex for ex in examples if "كاذبين بقولهم" in ex.text]
    assert len(denial) == 1 and denial[0].labels["denial"] == 1 and not denial[0].borderline
    assert sum(ex.borderline for ex in examples) == 4
    assert all(text in SEED_TEXT.read_text(encoding="utf-8") for text in by_text)


def test_splits_are_stable_and_keep_groups_together(labels):
    examples = load_corpus(TINY_CORPUS, labels)
    assert split_of("some-group") == split_of("some-group")
    parts = {name: select(examples, name) for name in ("train", "dev", "test")}
    assert sum(len(p) for p in parts.values()) == len(examples)
    groups = {name: {ex.group for ex in part} for name, part in parts.items()}
    assert not groups["train"] & groups["dev"] and not groups["train"] & groups["test"]
    assert not groups["dev"] & groups["test"]


def test_split_shares_are_near_fifteen_percent():
    names = [split_of(f"g{i}") for i in range(20000)]
    assert 0.13 < names.count("test") / len(names) < 0.17
    assert 0.13 < names.count("dev") / len(names) < 0.17


def test_external_cap_is_a_stable_order_preserving_sample():
    from khitab.config import SourceSpec
    from khitab.data.dataset import stable_sample
    from khitab.data.schema import Example

    rows = [Example(id=f"x{i}", text=f"نص {i}", labels={"threat": i % 2}, source="x") for i in range(50)]
    picked = stable_sample(rows, 10)
    assert len(picked) == 10 and picked == stable_sample(list(rows), 10)
    assert [rows.index(ex) for ex in picked] == sorted(rows.index(ex) for ex in picked)
    assert picked != rows[:10]  # chosen by id hash, not the file's first rows
    assert stable_sample(rows, 80) == rows and stable_sample(rows, None) == rows
    assert SourceSpec(name="x", max_rows=10).max_rows == 10
