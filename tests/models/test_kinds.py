"""The model kinds are listed once (khitab.models.kinds); what fits them and the config union agree."""
from typing import get_args

from khitab.config import ModelConfig
from khitab.models.kinds import MODEL_KINDS
from khitab.training.train import FITTERS


def config_kinds() -> set[str]:
    union, _field = get_args(ModelConfig)
    return {config.model_fields["kind"].default for config in get_args(union)}


def test_every_kind_loads_fits_and_has_a_config():
    assert set(MODEL_KINDS) == {"tfidf", "encoder", "embed_linear", "ensemble"}
    assert set(FITTERS) == set(MODEL_KINDS) == config_kinds()
    assert all(kind == cls.kind and callable(getattr(cls, "load", None)) for kind, cls in MODEL_KINDS.items())
