import pytest

from khitab.config import ConfigError, load_labels, load_train_config
from tests.conftest import ROOT, TINY_CORPUS, write_config


def test_project_labels_come_from_config():
    labels = load_labels(ROOT / "configs" / "labels.yaml")
    assert labels.names == ["threat", "sectarian", "denial"]
    assert all(label.arabic and label.definition for label in labels.labels)


def test_a_fourth_label_is_config_only(tmp_path):
    text = (ROOT / "configs" / "labels.yaml").read_text(encoding="utf-8")
    text += "  - name: insult\n    arabic: إهانة\n    definition: Insults a person.\n"
    (tmp_path / "labels.yaml").write_text(text, encoding="utf-8")
    assert load_labels(tmp_path / "labels.yaml").names[-1] == "insult"


def test_duplicate_label_names_are_rejected(tmp_path):
    path = tmp_path / "labels.yaml"
    path.write_text("labels:\n" + "  - {name: threat, arabic: x, definition: y}\n" * 2, encoding="utf-8")
    with pytest.raises(ConfigError, match="duplicate"):
        load_labels(path)


def test_training_config_resolves_paths_and_applies_overrides(tmp_path):
    config = load_train_config(write_config(tmp_path), ["model.C=2.5", "thresholds.strategy=target_precision"])
    assert config.model.C == 2.5
    assert config.thresholds.strategy == "target_precision"
    assert config.data.corpus == TINY_CORPUS
    assert config.labels == ROOT / "configs" / "labels.yaml"


@pytest.mark.parametrize(
    "override, message",
    [
        (["model.colour=blue"], "model.tfidf.colour"),
        (["bogus=1"], "bogus"),
        (["model.C=-1"], "model.tfidf.C"),
        (["model.C"], "not KEY=VALUE"),
    ],
)
def test_bad_config_fails_before_training_naming_the_key(tmp_path, override, message):
    with pytest.raises(ConfigError, match=message):
        load_train_config(write_config(tmp_path), override)


def test_shipped_configs_validate():
    for name in ("baseline.yaml",):
        config = load_train_config(ROOT / "configs" / name)
        assert config.output_dir.is_absolute()
