import json

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


EXPANDED = json.loads((ROOT / "tests" / "fixtures" / "expanded_configs.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPANDED))
def test_shipped_configs_load_to_the_values_they_had_before_extends(name):
    """The expanded values (tests/fixtures/expanded_configs.json) were dumped from the configs
    as they were before they shared configs/default_data.yaml through ``extends``."""
    loaded = load_train_config(ROOT / "configs" / f"{name}.yaml").model_dump(mode="json")
    assert _relative(loaded) == EXPANDED[name]


def _relative(value):
    if isinstance(value, dict):
        return {key: _relative(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_relative(item) for item in value]
    prefix = f"{ROOT}/"
    return "<root>/" + value[len(prefix):] if isinstance(value, str) and value.startswith(prefix) else value


def test_extends_merges_deeply_and_the_child_wins(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "base.yaml").write_text(
        "data: {corpus: base_corpus, corpus_slices: [a, b], context_rate: 1.0}\n"
        "model: {kind: tfidf, C: 2.0}\nseed: 1\n", encoding="utf-8")
    path = write_config(tmp_path, extends="sub/base.yaml", data={"corpus": str(TINY_CORPUS), "corpus_slices": ["c"]})
    config = load_train_config(path)
    assert config.data.corpus == TINY_CORPUS and config.data.corpus_slices == ["c"]  # lists are replaced
    assert config.data.context_rate == 1.0 and config.seed == 1  # kept from the base
    assert config.model.C == 2.0 and config.model.ngram_max == 4  # mappings merge key by key


@pytest.mark.parametrize(
    "files, message",
    [
        ({"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml\n"}, "extends makes a cycle"),
        ({"a.yaml": "extends: a.yaml\n"}, "extends makes a cycle"),
        ({"a.yaml": "extends: missing.yaml\n"}, "missing.yaml not found"),
        ({"a.yaml": "extends: [b.yaml]\n"}, "expected the name of a YAML file"),
        ({"a.yaml": "extends: b.yaml\n", "b.yaml": "root: /elsewhere\n"}, "root: only the config being loaded"),
    ],
)
def test_extends_cycles_and_missing_files_are_config_errors(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_train_config(tmp_path / "a.yaml")
