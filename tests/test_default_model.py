"""The shipped default model: loads offline (its e5 base rebuilt from installed packages) and
keeps its measured quality on held-out data."""
import pytest

from khitab import load_model
from khitab.data.corpus import load_corpus, load_seed_gold
from khitab.data.dataset import label_matrices
from khitab.data.splits import select
from khitab.defaults import SHIPPED_DEFAULT
from khitab.evaluation.datasets import SourceRoots, load_dataset
from khitab.evaluation.metrics import dataset_metrics
from khitab.training.train import default_bundle
from tests.conftest import ROOT, SEED_GOLD, SEED_TEXT

SHIPPED = ROOT / SHIPPED_DEFAULT
pytestmark = pytest.mark.skipif(not (SHIPPED / "bundle.json").is_file(), reason="no shipped default bundle")


@pytest.fixture(scope="module")
def default_model(labels):
    assert default_bundle(log=lambda _: None) == SHIPPED
    return load_model(SHIPPED, labels=labels)


def test_shipped_bundle_is_small_and_pickle_free():
    files = [p for p in SHIPPED.rglob("*") if p.is_file()]
    # v9: 40 MB (two n-gram members and four LoRA adapters; v6, two of each: 27 MB)
    assert sum(p.stat().st_size for p in files) < 44 * 2**20
    assert {p.suffix for p in files} <= {".json", ".npz", ".md", ".safetensors"}


def test_default_keeps_its_quality_on_the_corpus_test_split(default_model, labels):
    test = [ex for ex in select(load_corpus(ROOT / "data" / "authored", labels), "test") if not ex.borderline]
    sample = test[::4]  # ~200 sentences: enough to catch a broken model, fast on CPU
    targets, known = label_matrices(sample, labels)
    probs = default_model.predict_proba([ex.text for ex in sample])
    metrics = dataset_metrics(probs, targets, known, labels, default_model.threshold_vector())
    assert metrics["macro_f1"] >= 0.88
    assert all(metrics["labels"][label]["pr_auc"] >= 0.9 for label in labels)


def test_default_finds_statements_embedded_in_wire_copy(default_model, labels):
    # each test row framed as news copy beside a neutral sentence (khitab/data/context.py); the
    # model before context composites scored 0.771 macro-F1 here (MODEL_CARD.md)
    dataset = load_dataset("context:test", labels, SourceRoots(corpus=ROOT / "data" / "authored"))
    sample = dataset.examples[::6]
    targets, known = label_matrices(sample, labels)
    probs = default_model.predict_proba([ex.text for ex in sample])
    # v4 measured 0.887, v3 0.846, v2 0.905 (MODEL_CARD.md)
    assert dataset_metrics(probs, targets, known, labels, default_model.threshold_vector())["macro_f1"] >= 0.82


def test_default_on_the_seed_article(default_model, labels):
    gold = [ex for ex in load_seed_gold(SEED_GOLD, SEED_TEXT, labels) if not ex.borderline]
    matrix = default_model.score_sentences([ex.text for ex in gold])
    right = sum(set(matrix.flagged(i)) == {k for k, v in ex.labels.items() if v == 1} for i, ex in enumerate(gold))
    assert right >= 10  # v4 and v3 measured 10 of 13 (v2 11, v1 12): a regression check, MODEL_CARD.md


def test_loading_the_adapter_bundle_does_not_report_a_newly_initialized_head(labels):
    import logging

    from transformers.utils import logging as hf_logging

    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    quiet = hf_logging.get_verbosity()
    hf_logging.set_verbosity_warning()  # what a library user has (the test suite runs quieter)
    hf_logging.add_handler(handler)
    try:
        load_model(SHIPPED, labels=labels)
    finally:
        hf_logging.remove_handler(handler)
        hf_logging.set_verbosity(quiet)
    assert not any("newly initialized" in message for message in records)  # the adapter brings the head


EXTERNAL = ROOT.parent / "shared" / "data" / "external"


@pytest.mark.skipif(not EXTERNAL.is_dir(), reason="the external datasets (texts of the real-text corpus) are absent")
def test_default_holds_on_real_text(default_model, labels):
    """The measure that matters (MODEL_CARD.md): real tweets and news sentences, labeled here;
    v9 scores 0.665 macro-F1 on this split (waves 1-2 and the harder wave 12), v6 0.645; on
    waves 1-2's rows v6 scored 0.699, v4 0.668 and v3 0.584."""
    roots = SourceRoots(ROOT / "data" / "authored", EXTERNAL, ROOT / "data" / "real" / "labels.jsonl")
    dataset = load_dataset("real:test", labels, roots)
    targets, known = label_matrices(dataset.examples, labels)
    probs = default_model.predict_proba(dataset.texts)
    metrics = dataset_metrics(probs, targets, known, labels, default_model.threshold_vector())
    assert metrics["macro_f1"] >= 0.64
