import numpy as np

from khitab import load_model
from khitab.config import load_train_config
from khitab.models.bundle import save_bundle
from khitab.training.train import train
from tests.conftest import write_config

SENTENCES = ["سنحرق مقراتهم قريبا", "نفت الوزارة الخبر", "افتتحت الكنيسة اليوم", "الروافض خونة"]


def test_ensemble_is_the_weighted_mean_of_its_members(tiny_bundle, tiny_encoder_bundle, tmp_path):
    members = [{"bundle": str(tiny_bundle), "weight": 3.0}, {"bundle": str(tiny_encoder_bundle), "weight": 1.0}]
    config = load_train_config(write_config(tmp_path, name="tiny-ensemble", model={"kind": "ensemble",
                                                                                    "members": members}))
    bundle = train(config, log=lambda _: None)
    model = load_model(bundle)
    assert model.kind == "ensemble" and [m.kind for m in model.members] == ["tfidf", "encoder"]
    expected = 0.75 * load_model(tiny_bundle).predict_proba(SENTENCES) + 0.25 * load_model(
        tiny_encoder_bundle
    ).predict_proba(SENTENCES)
    np.testing.assert_allclose(model.predict_proba(SENTENCES), expected, atol=1e-5)
    assert set(model.thresholds) == {"threat", "sectarian", "denial"}
    copy = load_model(save_bundle(model, tmp_path / "copy"))
    np.testing.assert_allclose(copy.predict_proba(SENTENCES), model.predict_proba(SENTENCES), atol=1e-6)
