"""Thresholds per label on pooled dev, or on its real-text rows alone (thresholds.real_dev_labels),
and the authored contrast pairs as training rows only (data.contrast)."""
import json

import pytest

from khitab.config import ConfigError, DataConfig, ThresholdConfig, load_train_config
from khitab.data.dataset import LabeledSet, TrainingData, assemble
from khitab.data.schema import Example
from khitab.training.train import check_label_names, dev_thresholds
from tests.conftest import TINY_CORPUS, write_config
from tests.fakes import LABELS, TABLE, fake_model


def rows(prefix: str, texts_and_threat: list[tuple[str, int]]) -> list[Example]:
    return [Example(id=f"{prefix}{i}", text=text, labels={"threat": y, "sectarian": 0, "denial": 0}, source=prefix)
            for i, (text, y) in enumerate(texts_and_threat)]


# The fake model scores these 0.95, 0.7 and 0.4 for threat (anything else 0.02). On the authored
# rows the 0.4 sentence is a threat, so pooled tuning settles low; on the real rows it is not.
AUTHORED = rows("corpus:", [("سننتقم منهم قريبا", 1), ("قد نرد عليهم", 1), ("قد نرد عليهم.", 1),
                            ("قد نرد عليهم!", 1), ("نص عادي", 0)])
REAL = rows("real:", [("سنحرق بيوتهم", 1), ("قد نرد عليهم؟", 0), ("نص آخر", 0)])


def data(dev: list[Example], real_dev: list[Example]) -> TrainingData:
    return TrainingData(LabeledSet([]), LabeledSet(dev), LabeledSet([]), {}, [], real_dev=LabeledSet(real_dev))


def test_a_real_dev_label_is_tuned_on_the_real_rows_and_the_others_on_all_of_dev():
    assert TABLE["قد نرد عليهم"]["threat"] == 0.4
    pooled = dev_thresholds(fake_model(), data(AUTHORED + REAL, REAL), LABELS, ThresholdConfig())
    split = dev_thresholds(fake_model(), data(AUTHORED + REAL, REAL), LABELS,
                           ThresholdConfig(real_dev_labels=["threat"]))
    assert pooled["threat"] == pytest.approx(0.4)  # the authored 0.4 threats pull it down
    assert split["threat"] == pytest.approx(0.7)  # on the real rows 0.4 is a false alarm
    assert split["sectarian"] == pooled["sectarian"] and split["denial"] == pooled["denial"]


def test_without_real_rows_in_dev_every_label_is_tuned_on_all_of_dev():
    got = dev_thresholds(fake_model(), data(AUTHORED, []), LABELS, ThresholdConfig(real_dev_labels=["threat"]))
    assert got["threat"] == pytest.approx(0.4)


def test_an_unknown_real_dev_label_is_a_config_error(tmp_path):
    config = load_train_config(write_config(tmp_path, thresholds={"real_dev_labels": ["menace"]}))
    with pytest.raises(ConfigError, match="thresholds.real_dev_labels.*menace"):
        check_label_names(config, LABELS)


def test_contrast_rows_are_training_rows_only(tmp_path):
    folder = tmp_path / "contrast"
    folder.mkdir()
    first = json.loads(TINY_CORPUS.read_text(encoding="utf-8").splitlines()[0])
    pair = [{**first, "id": f"c-{side}", "text": text, "group": "c-g1", "threat": y}
            for side, text, y in (("a", "والله لأكسر راسك إذا شفتك", 1), ("b", "الله يكسر راسك يا ظالم", 0))]
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in pair)
    (folder / "pairs.jsonl").write_text(lines, encoding="utf-8")
    plain = assemble(DataConfig(corpus=TINY_CORPUS), LABELS)
    got = assemble(DataConfig(corpus=TINY_CORPUS, contrast=folder, contrast_weight=2.0), LABELS)
    assert len(got.train) == len(plain.train) + 2
    assert got.train.weights[-2:] == [2.0, 2.0]
    assert [ex.id for ex in got.dev.examples] == [ex.id for ex in plain.dev.examples]
    assert [ex.id for ex in got.test.examples] == [ex.id for ex in plain.test.examples]
    with pytest.raises(FileNotFoundError, match="data.contrast"):
        assemble(DataConfig(corpus=TINY_CORPUS, contrast=tmp_path / "missing"), LABELS)


def test_a_relative_contrast_path_is_resolved_against_the_config_root(tmp_path):
    config = load_train_config(write_config(tmp_path, data={"corpus": str(TINY_CORPUS), "contrast": "data/contrast"}))
    assert config.data.contrast.is_absolute() and config.data.contrast.parts[-2:] == ("data", "contrast")
