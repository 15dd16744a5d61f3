"""Shared fixtures: the project's own configs and seed, and a tiny model built once."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from transformers.utils import logging as hf_logging

from khitab.config import load_labels, load_train_config

hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()

ROOT = Path(__file__).resolve().parents[1]
SEED_TEXT = ROOT / "seeds" / "elaph_qaani_2022.txt"
SEED_GOLD = ROOT / "seeds" / "elaph_qaani_2022.gold.jsonl"
TINY_CORPUS = ROOT / "tests" / "fixtures" / "tiny_corpus.jsonl"


@pytest.fixture(scope="session")
def labels() -> list[str]:
    return load_labels(ROOT / "configs" / "labels.yaml").names


def write_config(directory: Path, **overrides) -> Path:
    """A baseline training config on the tiny corpus, written into ``directory``."""
    raw = {
        "root": str(ROOT),
        "name": "tiny-tfidf",
        "labels": "configs/labels.yaml",
        "model": {"kind": "tfidf", "ngram_min": 2, "ngram_max": 4, "max_features": 5000},
        "data": {"corpus": str(TINY_CORPUS)},
        "output_dir": str(directory / "run"),
    }
    raw.update(overrides)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "train.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory) -> Path:
    from khitab.training.train import train

    directory = tmp_path_factory.mktemp("tiny_tfidf")
    return train(load_train_config(write_config(directory)), log=lambda _: None)


TINY_ENCODER = {"kind": "encoder", "pretrained": "tiny", "max_length": 48, "tiny_vocab_size": 800}
TINY_OPTIM = {"epochs": 2, "batch_size": 8, "lr": 1e-3, "checkpoint_every": 3, "num_threads": 1}


@pytest.fixture(scope="session")
def tiny_encoder_bundle(tmp_path_factory) -> Path:
    from khitab.training.train import train

    directory = tmp_path_factory.mktemp("tiny_encoder")
    config = write_config(directory, name="tiny-encoder", model=TINY_ENCODER, optim=TINY_OPTIM)
    return train(load_train_config(config), log=lambda _: None)


def load_script(name: str):
    """A script of ``scripts/`` imported as a module, for tests of its functions."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def two_slice_corpus(folder):
    """TINY_CORPUS cut into two slice files, ``news`` (first 25 rows) and ``social`` (the rest)."""
    lines = TINY_CORPUS.read_text(encoding="utf-8").splitlines()
    folder.mkdir()
    (folder / "news.jsonl").write_text("\n".join(lines[:25]) + "\n", encoding="utf-8")
    (folder / "social.jsonl").write_text("\n".join(lines[25:]) + "\n", encoding="utf-8")
    return folder
