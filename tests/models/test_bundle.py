import json

import numpy as np
import pytest

from khitab import load_model
from khitab.models.bundle import BundleError, save_bundle
from tests.conftest import SEED_TEXT

SENTENCES = ["سنحرق مقراتهم قريبا", "نفت الوزارة الخبر", "افتتحت الكنيسة اليوم", "الروافض خونة"]


def test_round_trip_gives_identical_scores(tiny_bundle, tmp_path):
    model = load_model(tiny_bundle)
    copy = load_model(save_bundle(model, tmp_path / "copy"))
    before, after = model.score_sentences(SENTENCES), copy.score_sentences(SENTENCES)
    assert before.labels == after.labels == ["threat", "sectarian", "denial"]
    np.testing.assert_array_equal(before.probs, after.probs)
    assert copy.thresholds == model.thresholds
    assert copy.version == model.version


def test_bundle_holds_manifest_card_and_no_pickles(tiny_bundle):
    manifest = json.loads((tiny_bundle / "bundle.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "tfidf" and manifest["labels"] == ["threat", "sectarian", "denial"]
    assert set(manifest["thresholds"]) == set(manifest["labels"])
    assert manifest["metadata"]["training"]["n_train"] > 0
    assert (tiny_bundle / "MODEL_CARD.md").read_text(encoding="utf-8").startswith("# tiny-tfidf")
    suffixes = {p.suffix for p in tiny_bundle.iterdir()}
    assert suffixes <= {".json", ".npz", ".md"}
    with np.load(tiny_bundle / "tfidf_weights.npz", allow_pickle=False) as weights:
        assert weights["coef"].shape[0] == 3


def test_scores_are_probabilities_that_separate_the_tiny_training_signal(tiny_bundle):
    matrix = load_model(tiny_bundle).score_sentences(SENTENCES)
    assert matrix.probs.shape == (4, 3)
    assert ((matrix.probs > 0) & (matrix.probs < 1)).all()
    threat, sectarian, denial = 0, 1, 2
    assert matrix.probs[0, threat] > matrix.probs[2, threat]
    assert matrix.probs[1, denial] > matrix.probs[2, denial]
    assert matrix.probs[3, sectarian] > matrix.probs[2, sectarian]


def test_score_document_offsets_index_the_original(tiny_bundle):
    text = SEED_TEXT.read_text(encoding="utf-8")
    rows = load_model(tiny_bundle).score_document(text, doc_id="seed")
    assert [r.sentence for r in rows] == list(range(len(rows)))
    for row in rows:
        assert text[row.start:row.end] == row.text
        assert set(row.scores) == {"threat", "sectarian", "denial"}
        assert row.flagged == [k for k, v in row.scores.items() if v >= load_model(tiny_bundle).thresholds[k]]


def test_empty_sentence_list_scores_to_empty_matrix(tiny_bundle):
    assert load_model(tiny_bundle).score_sentences([]).probs.shape == (0, 3)


def test_label_mismatch_is_a_clear_error(tiny_bundle):
    with pytest.raises(BundleError, match="differ from configured labels"):
        load_model(tiny_bundle, labels=["threat", "sectarian", "denial", "insult"])


@pytest.mark.parametrize("make", ["missing", "file", "empty_dir", "bad_manifest", "unknown_kind"])
def test_not_a_model_is_a_clear_error(tmp_path, make):
    path = tmp_path / "m"
    if make == "file":
        path.write_text("x")
    elif make != "missing":
        path.mkdir()
    if make == "bad_manifest":
        (path / "bundle.json").write_text("{broken")
    if make == "unknown_kind":
        (path / "bundle.json").write_text(json.dumps({"format": "khitab-bundle", "format_version": 1, "kind": "x"}))
    with pytest.raises(BundleError, match=str(path)):
        load_model(path)
