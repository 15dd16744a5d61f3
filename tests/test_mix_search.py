"""scripts/mix_search.py: the per-label mixing search and the whole-model scoring behind the
default's member weights, on a cache of synthetic member logits."""
import importlib.util

import numpy as np
import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def mix_search():
    spec = importlib.util.spec_from_file_location("mix_search", ROOT / "scripts" / "mix_search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def cache_dir(tmp_path, mix_search):
    """Two members: 'good' separates every label, 'noise' is random."""
    rng = np.random.default_rng(0)
    for spec in mix_search.SETS:
        targets = (rng.random((200, 3)) < 0.3).astype(int)
        np.savez(tmp_path / f"gold_{spec.replace(':', '_')}.npz", targets=targets, known=np.ones_like(targets, bool))
        separated = np.where(targets == 1, 2.0, -2.0) + rng.normal(0, 0.1, targets.shape)
        np.save(tmp_path / f"good_{spec.replace(':', '_')}.npy", separated)
        np.save(tmp_path / f"noise_{spec.replace(':', '_')}.npy", rng.normal(0, 2.0, targets.shape))
    return tmp_path


def test_a_model_is_scored_per_label_and_the_informative_member_wins(cache_dir, mix_search, capsys):
    mix_search.score_models(mix_search.Cache(cache_dir), ["good:1/good:1/good:1", "noise:1/noise:1/good:1,noise:1"])
    first, second = capsys.readouterr().out.strip().split("\n")[1::2]
    macro = [float(line.split("macro-F1 ")[1].split()[0]) for line in (first, second)]
    assert "mean PR-AUC 1.000" in first and macro[0] > 0.95
    assert macro[1] < 0.7
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
