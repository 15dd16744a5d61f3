from dataclasses import replace

import pytest

from khitab.config import DataConfig
from khitab.data.context import EVAL_FRAMES, TRAIN_FRAMES, context_composites, is_neutral
from khitab.data.corpus import DataError, load_corpus
from khitab.data.dataset import assemble
from khitab.data.splits import select
from khitab.errors import OptionError
from khitab.evaluation.datasets import SourceRoots, load_dataset
from khitab.text.split import split_sentences
from tests.conftest import TINY_CORPUS


def test_a_composite_keeps_its_labels_and_embeds_both_sentences(labels):
    rows = load_corpus(TINY_CORPUS, labels)
    composites = context_composites(rows, labels, 1.0)
    by_id = {ex.id: ex for ex in rows}
    assert len(composites) == len(rows)
    for composite in composites:
        original_id, partner_id = composite.id.removeprefix("context:").split("+")
        original, partner = by_id[original_id], by_id[partner_id]
        assert composite.labels == original.labels and composite.group == original.group
        assert is_neutral(partner, labels) and partner.group != original.group
        assert original.text.rstrip(".") in composite.text and partner.text.rstrip(".") in composite.text
        # still one sentence to the splitter, so the scorer sees it whole
        assert len(split_sentences(composite.text)) == 1, composite.text


def test_rate_sets_the_count_and_same_inputs_give_same_composites(labels):
    rows = load_corpus(TINY_CORPUS, labels)
    half = context_composites(rows, labels, 0.5)
    assert len(half) == len(rows) // 2
    assert len({ex.meta["context_of"] for ex in half}) == len(half)  # no row twice below rate 1
    assert [ex.text for ex in half] == [ex.text for ex in context_composites(rows, labels, 0.5)]
    assert len(context_composites(rows, labels, 2.0)) == 2 * len(rows)
    assert context_composites(rows, labels, 0.0) == []


def test_borderline_and_unknown_rows_never_serve_as_neutral_context(labels):
    rows = load_corpus(TINY_CORPUS, labels)
    negatives = [ex for ex in rows if is_neutral(ex, labels)]
    hidden = [replace(ex, labels={**ex.labels, "denial": None}) for ex in negatives]
    doubtful = [replace(ex, id=ex.id + "b", borderline=True) for ex in negatives]
    positives = [ex for ex in rows if not is_neutral(ex, labels)]
    pool = positives + hidden + doubtful + negatives[:1]
    partners = {ex.id.split("+")[1] for ex in context_composites(pool, labels, 1.0)}
    assert partners == {negatives[0].id}


def test_training_composites_come_from_train_rows_only(labels):
    plain = assemble(DataConfig(corpus=TINY_CORPUS), labels)
    mixed = assemble(DataConfig(corpus=TINY_CORPUS, context_rate=1.0), labels)
    train_ids = {ex.id for ex in plain.train.examples}
    added = mixed.train.examples[len(plain.train):]
    assert len(added) == len(plain.train)
    assert all(set(ex.id.removeprefix("context:").split("+")) <= train_ids for ex in added)
    assert mixed.dev.texts == plain.dev.texts and mixed.digest() != plain.digest()


def test_context_eval_split_uses_framings_training_never_sees(labels):
    roots = SourceRoots(corpus=TINY_CORPUS)
    dataset = load_dataset("context:dev", labels, roots)
    dev_rows = [ex for ex in select(load_corpus(TINY_CORPUS, labels), "dev") if not ex.borderline]
    assert len(dataset) == len(dev_rows) and dataset.name == "context:dev"
    assert [ex.meta["context_of"] for ex in dataset.examples] == [ex.id for ex in dev_rows]
    assert {ex.meta["context_frame"] for ex in dataset.examples} <= set(EVAL_FRAMES)
    assert not set(EVAL_FRAMES) & set(TRAIN_FRAMES)
    # the tiny test split holds only positives: nothing neutral to frame them with
    with pytest.raises(DataError, match="context:test: the corpus split has no row negative"):
        load_dataset("context:test", labels, roots)
    with pytest.raises(OptionError, match="use context:train"):
        load_dataset("context:validation", labels, roots)
