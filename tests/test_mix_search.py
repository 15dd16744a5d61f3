"""scripts/mix_search.py: the per-label mixing search and the whole-model scoring behind the
default's member weights, on a cache of synthetic member logits."""

import numpy as np
import pytest

from tests.conftest import load_script


@pytest.fixture(scope="module")
def mix_search():
    return load_script("mix_search")


def save(folder, spec, targets, **members):
    name = spec.replace(":", "_")
    np.savez(folder / f"gold_{name}.npz", targets=targets, known=np.ones_like(targets, bool))
    for member, logits in members.items():
        np.save(folder / f"{member}_{name}.npy", logits)


@pytest.fixture()
def cache_dir(tmp_path, mix_search):
    """Two members: 'good' separates every label, 'noise' is random. Pooled dev is authored dev
    followed by real dev, as the trainer pools them."""
    rng = np.random.default_rng(0)
    sets = {}
    for spec in ("real:dev", "corpus:dev", "context:dev"):
        targets = (rng.random((200, 3)) < 0.3).astype(int)
        sets[spec] = (targets, np.where(targets == 1, 2.0, -2.0) + rng.normal(0, 0.1, targets.shape),
                      rng.normal(0, 2.0, targets.shape))
        save(tmp_path, spec, targets, good=sets[spec][1], noise=sets[spec][2])
    pooled = [np.concatenate([sets["corpus:dev"][k], sets["real:dev"][k]]) for k in range(3)]
    save(tmp_path, "pooled", pooled[0], good=pooled[1], noise=pooled[2])
    return tmp_path


def test_the_out_of_sample_f1_sees_a_threshold_the_authored_rows_pull_off(tmp_path, mix_search):
    """A member that scores real negatives as high as authored positives: tuned with the authored
    rows, its threshold lets the real negatives through; tuned on real rows alone, it does not."""
    rng = np.random.default_rng(1)
    real = (rng.random((400, 3)) < 0.2).astype(int)
    authored = (rng.random((400, 3)) < 0.5).astype(int)
    real_logits = np.where(real == 1, 3.0, 0.5) + rng.normal(0, 0.2, real.shape)
    authored_logits = np.where(authored == 1, 0.6, -3.0) + rng.normal(0, 0.2, authored.shape)
    save(tmp_path, "real:dev", real, m=real_logits)
    for spec in ("corpus:dev", "context:dev"):
        save(tmp_path, spec, authored, m=authored_logits)
    save(tmp_path, "pooled", np.concatenate([authored, real]), m=np.concatenate([authored_logits, real_logits]))
    cache, one = mix_search.Cache(tmp_path), np.ones(1)
    pooled_cv, real_cv = cache.cv_f1(["m"], one, 0), cache.cv_f1(["m"], one, 0, real_threshold=True)
    assert real_cv > 0.95 and pooled_cv < real_cv - 0.2
    assert cache.label_scores(["m"], one, 0, real_threshold=True)["real:dev"][0] > 0.95


def test_a_model_is_scored_per_label_and_the_informative_member_wins(cache_dir, mix_search, capsys):
    mix_search.score_models(mix_search.Cache(cache_dir), ["good:1/good:1/good:1", "noise:1/noise:1/good:1,noise:1"])
    first, second = capsys.readouterr().out.strip().split("\n")[1::2]
    macro = [float(line.split("macro-F1 ")[1].split()[0]) for line in (first, second)]
    cv = [float(line.split("(cv ")[1].split(")")[0]) for line in (first, second)]
    assert "mean PR-AUC 1.000" in first and macro[0] > 0.95 and cv[0] > 0.95
    assert macro[1] < 0.7 and cv[1] < 0.7
    with pytest.raises(SystemExit, match="3 mixes"):
        mix_search.parse_model("good:1/good:1")


def test_the_search_keeps_only_mixes_within_the_authored_loss_and_ranks_by_real_dev(cache_dir, mix_search, capsys):
    mix_search.search(mix_search.Cache(cache_dir), ["good", "noise"], ["good"], step=2, corpus_loss=0.005,
                      context_loss=0.01, top=3)
    out = capsys.readouterr().out
    assert out.count("==") == 3
    # the all-noise mix loses far more than 0.005 corpus F1 against 'good' alone, so it is never listed
    assert "{'good': 0, 'noise': 2}" not in out
    best = [block.splitlines()[1] for block in out.split("==")[1:]]
    assert all("PR-AUC 1.000" in line and "'noise': 2" not in line for line in best)
