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


def test_calibrated_members_average_their_dev_fitted_probabilities(tiny_bundle, tiny_encoder_bundle, tmp_path):
    from khitab.config import TrainConfig
    from khitab.data.dataset import assemble
    from khitab.evaluation.calibration import fit_temperature, sigmoid

    members = [{"bundle": str(tiny_bundle), "weight": 1.0}, {"bundle": str(tiny_encoder_bundle), "weight": 1.0}]
    path = write_config(tmp_path, name="tiny-cal", model={"kind": "ensemble", "members": members,
                                                          "calibrate_members": True})
    config: TrainConfig = load_train_config(path)
    model = load_model(train(config, log=lambda _: None))
    dev = assemble(config.data, model.labels).dev
    targets, known = dev.matrices(model.labels)
    expected = []
    for source in (tiny_bundle, tiny_encoder_bundle):
        member = load_model(source)
        z = member.logits(dev.texts)
        fitted = [fit_temperature(targets[known[:, j], j], z[known[:, j], j]) for j in range(len(model.labels))]
        assert any(t is not None and abs(t - 1.0) > 1e-3 for t in fitted)
        temps = np.array([1.0 if t is None else t for t in fitted])  # one-class labels keep theirs
        expected.append(sigmoid(member.logits(SENTENCES) / temps))
    np.testing.assert_allclose(model.predict_proba(SENTENCES), (expected[0] + expected[1]) / 2, atol=1e-5)
    assert all(v == 1.0 for v in load_model(tiny_bundle).temperature_vector())  # member bundle untouched


def test_per_label_weights_mix_each_label_from_the_members_given_for_it(tiny_bundle, tiny_encoder_bundle, tmp_path):
    members = [{"bundle": str(tiny_bundle), "weight": {"threat": 1.0, "sectarian": 0.0, "denial": 3.0}},
               {"bundle": str(tiny_encoder_bundle), "weight": {"threat": 1.0, "sectarian": 2.0, "denial": 1.0}}]
    config = load_train_config(write_config(tmp_path, name="per-label", model={"kind": "ensemble",
                                                                                 "members": members}))
    model = load_model(train(config, log=lambda _: None))
    ngram = load_model(tiny_bundle).predict_proba(SENTENCES)
    encoder = load_model(tiny_encoder_bundle).predict_proba(SENTENCES)
    threat, sectarian, denial = (model.labels.index(x) for x in ("threat", "sectarian", "denial"))
    probs = model.predict_proba(SENTENCES)
    np.testing.assert_allclose(probs[:, threat], (ngram[:, threat] + encoder[:, threat]) / 2, atol=1e-5)
    np.testing.assert_allclose(probs[:, sectarian], encoder[:, sectarian], atol=1e-5)
    np.testing.assert_allclose(probs[:, denial], 0.75 * ngram[:, denial] + 0.25 * encoder[:, denial], atol=1e-5)
    copy = load_model(save_bundle(model, tmp_path / "copy"))  # the per-label weights survive the bundle
    np.testing.assert_allclose(copy.predict_proba(SENTENCES), probs, atol=1e-6)


def test_per_label_weights_must_name_every_label_and_leave_none_at_zero(tiny_bundle, tiny_encoder_bundle, tmp_path):
    import pytest

    from khitab.config import ConfigError

    def config_with(first, second):
        members = [{"bundle": str(tiny_bundle), "weight": first},
                   {"bundle": str(tiny_encoder_bundle), "weight": second}]
        return load_train_config(write_config(tmp_path, name="bad", model={"kind": "ensemble", "members": members}))

    with pytest.raises(ConfigError, match=r"members\[0\]\.weight.*every label"):
        train(config_with({"threat": 1.0}, 1.0), log=lambda _: None)
    zero = {"threat": 1.0, "sectarian": 0.0, "denial": 1.0}
    with pytest.raises(ConfigError, match="'sectarian' is 0"):
        train(config_with(zero, zero), log=lambda _: None)
    with pytest.raises(ConfigError, match="weight"):  # a negative weight is refused when the config loads
        config_with({"threat": -1.0, "sectarian": 1.0, "denial": 1.0}, 1.0)
