import numpy as np
import pytest

from khitab import load_model
from khitab.config import load_train_config
from khitab.models.bundle import save_bundle
from khitab.models.pretrained import PretrainedNotFound, resolve_pretrained
from khitab.training.train import train
from tests.conftest import ROOT, TINY_OPTIM, write_config

SENTENCES = ["سنحرق مقراتهم قريبا", "نفت الوزارة الخبر", "افتتحت الكنيسة اليوم"]


@pytest.mark.parametrize("name", ["baseline", "tiny", "e5_linear", "e5_lora", "arabert"])
def test_shipped_training_configs_validate(name):
    config = load_train_config(ROOT / "configs" / f"{name}.yaml")
    assert config.output_dir.is_absolute() and config.data.corpus == ROOT / "data" / "authored"


def test_hub_name_without_weights_is_a_clear_offline_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty cache
    with pytest.raises(PretrainedNotFound) as info:
        resolve_pretrained("aubmindlab/bert-base-arabertv02")
    message = str(info.value)
    assert "huggingface-cli download aubmindlab/bert-base-arabertv02" in message
    assert "model.pretrained" in message


def test_arabert_recipe_trains_with_the_tiny_model_standing_in(tiny_encoder_bundle, tmp_path):
    tiny_base = tiny_encoder_bundle.parent / "base"
    config = load_train_config(
        ROOT / "configs" / "arabert.yaml",
        [
            f"model.pretrained={tiny_base}",
            "model.max_length=48",
            "model.lora.target_modules=[query, value]",
            f"data.corpus={ROOT / 'tests' / 'fixtures' / 'tiny_corpus.jsonl'}",
            "optim.epochs=1",
            "optim.batch_size=8",
            f"output_dir={tmp_path / 'run'}",
        ],
    )
    model = load_model(train(config, log=lambda _: None))
    assert model.normalizer == "arabert" and model.base is None  # a local base is saved whole
    assert model.prepare(["قالَ: الخبــر"]) == ["قال : الخبر"]
    assert model.predict_proba(SENTENCES).shape == (3, 3)


def test_embed_linear_heads_round_trip(tiny_encoder_bundle, tmp_path):
    tiny_base = tiny_encoder_bundle.parent / "base"
    path = write_config(
        tmp_path,
        name="tiny-embed",
        model={"kind": "embed_linear", "pretrained": str(tiny_base), "max_length": 48, "text_prefix": "query: "},
        optim=TINY_OPTIM,
    )
    bundle = train(load_train_config(path), log=lambda _: None)
    model = load_model(bundle)
    assert model.kind == "embed_linear"
    assert sorted(p.name for p in bundle.iterdir()) == ["MODEL_CARD.md", "bundle.json", "heads.npz"]
    embeddings = model.embed(SENTENCES)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, rtol=1e-5)
    copy = load_model(save_bundle(model, tmp_path / "copy"))
    np.testing.assert_allclose(model.predict_proba(SENTENCES), copy.predict_proba(SENTENCES), atol=1e-6)


def test_loaded_adapter_bundles_are_resaved_as_adapters(tmp_path):
    from khitab.models.encoder import EncoderClassifier

    source = tmp_path / "adapter"
    source.mkdir()
    (source / "adapter_config.json").write_text("{}")
    (source / "adapter_model.safetensors").write_bytes(b"weights")
    model = EncoderClassifier(labels=["threat"], base="e5-small", adapter_source=source)
    target = tmp_path / "out"
    target.mkdir()
    entries = model.save_weights(target)
    assert entries["adapter"] == "adapter" and entries["encoder"]["base"] == "e5-small"
    assert (target / "adapter" / "adapter_model.safetensors").read_bytes() == b"weights"
