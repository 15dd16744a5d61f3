"""scripts/contrast_pairs.py: authored pairs -> blind batches -> disputes -> gold corpus rows."""
import json

import pytest

from khitab.data.corpus import load_corpus
from tests.conftest import load_script

LABELS = ["threat", "sectarian", "denial"]


@pytest.fixture(scope="module")
def contrast():
    return load_script("contrast_pairs")


def write(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


PAIRS = [
    ("01-001", "a", "والله لو شفتك بالشارع لأكسر راسك يا حرامي", 1, "egyptian"),
    ("01-001", "b", "الله يكسر راسك يا حرامي على اللي عملته", 0, "egyptian"),
    ("01-002", "a", "بكرة نستناكم عند باب الملعب وحنوريكم", 1, "lebanese"),
    ("01-002", "b", "بكرة نستناكم عند باب الملعب نتفرج سوا", 0, "lebanese"),
]


@pytest.fixture()
def out(tmp_path, contrast, monkeypatch):
    monkeypatch.setattr(contrast, "N_BATCHES", 2)
    monkeypatch.setattr(contrast, "CONTRAST", tmp_path / "data" / "contrast")
    rows = [{"pair": p, "side": s, "text": t, "threat": y, "sectarian": 0, "denial": 0, "case": "c", "dialect": d}
            for p, s, t, y, d in PAIRS]
    write(tmp_path / "run" / "authored" / "author_01.jsonl", rows)
    contrast.blind(tmp_path / "run")
    return tmp_path / "run"


def test_annotators_see_keys_and_texts_only(out):
    batches = [json.loads(line) for p in sorted((out / "batches").glob("*.jsonl"))
               for line in p.read_text(encoding="utf-8").splitlines()]
    assert len(batches) == 4 and all(set(r) == {"key", "text"} for r in batches)
    assert sorted(r["text"] for r in batches) == sorted(p[2] for p in PAIRS)


def test_splits_go_to_the_adjudicator_and_the_majority_decides(out, contrast):
    index = {json.loads(line)["key"]: json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()}
    # the annotator agrees with the author except on 01-002b, which it calls a threat
    votes = [{"key": k, **{x: r[x] for x in LABELS}, "borderline": False} for k, r in index.items()]
    flipped = next(v for v in votes if index[v["key"]]["pair"] == "01-002" and index[v["key"]]["side"] == "b")
    flipped["threat"] = 1
    write(out / "votes" / "batch_01.B.jsonl", votes)
    contrast.disputed(out)
    asked = [json.loads(line) for line in (out / "adjudication" / "contrast.input.jsonl").read_text().splitlines()]
    assert [r["key"] for r in asked] == [flipped["key"]]
    with pytest.raises(SystemExit, match="no adjudicator vote"):
        contrast.gold_rows(out)
    write(out / "adjudication" / "contrast.C.jsonl", [{"key": flipped["key"], "threat": 0, "sectarian": 0,
                                                       "denial": 0, "borderline": False}])
    rows, agreement = contrast.gold_rows(out)
    assert [(r["id"], r["threat"]) for r in rows] == [
        ("contrast-01-001a", 1), ("contrast-01-001b", 0), ("contrast-01-002a", 1), ("contrast-01-002b", 0)]
    assert {r["group"] for r in rows} == {"contrast-01-001", "contrast-01-002"}
    assert rows[2]["dialect"] == "levantine" and "C 000" in rows[3]["note"]
    assert agreement["threat"]["splits"] == 1 and agreement["threat"]["kappa"] == pytest.approx(0.5)
    assert agreement["adjudicated"] == 1
    write(out.parent / "corpus" / "pairs.jsonl", rows)
    assert len(load_corpus(out.parent / "corpus" / "pairs.jsonl", LABELS)) == 4  # valid corpus rows
