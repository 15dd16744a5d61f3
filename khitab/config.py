"""Typed configuration, loaded from YAML and validated once at the edge.

Relative paths in a config are resolved against its ``root`` (default: the parent of the
folder holding the file, i.e. the project root for ``configs/*.yaml``). A training config may
start with ``extends: other.yaml`` (relative to its own folder): the other file's mapping,
deep-merged under this one (this one wins; lists are replaced, not merged).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, PositiveFloat, ValidationError, field_validator

from khitab.errors import ConfigError  # re-exported: its home before khitab.errors


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo must not pass silently); values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LabelSpec(StrictModel):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    arabic: str
    definition: str


class LabelsConfig(StrictModel):
    labels: list[LabelSpec] = Field(min_length=1)

    @field_validator("labels")
    @classmethod
    def _unique(cls, labels: list[LabelSpec]) -> list[LabelSpec]:
        names = [label.name for label in labels]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate label names: {names}")
        return labels

    @property
    def names(self) -> list[str]:
        return [label.name for label in self.labels]


class SourceSpec(StrictModel):
    name: str
    weight: float = Field(default=1.0, gt=0)
    max_rows: int | None = Field(default=None, gt=0)  # cap on its training rows (a stable sample)


class DataConfig(StrictModel):
    corpus: Path | None = None
    # File stems of the corpus folder to use (default: every *.jsonl); pins a model to the
    # slices it was trained on when the corpus grows.
    corpus_slices: list[str] | None = None
    seed_gold: Path | None = None
    seed_text: Path | None = None
    external_root: Path | None = None
    external: list[SourceSpec] = []
    # The real-text corpus (khitab.data.real): committed labels, texts rebuilt from external_root.
    real_labels: Path | None = None
    # Copies of each real training row in the training data (rare positives, the target domain).
    real_weight: float = Field(default=1.0, ge=0, le=8)
    # Authored contrast pairs in real-text style (data/contrast, DATASHEET.md there): training
    # rows only, at this weight; real dev and test stay the measure.
    contrast: Path | None = None
    contrast_weight: float = Field(default=1.0, gt=0, le=8)
    # What thresholds (and ensemble calibration) are tuned on: the authored corpus dev split,
    # the real-text dev split, or both pooled.
    dev_from: Literal["corpus", "real", "pooled"] = "corpus"
    use_seed_gold: bool = False
    # Add this many context composites per corpus training row (khitab.data.context): each
    # a training sentence framed as wire copy beside a neutral training sentence.
    context_rate: float = Field(default=0.0, ge=0, le=4)


@dataclass(frozen=True)
class SourceRoots:
    """Where named evaluation sources live (``corpus:``, ``context:``, ``real:``, ``external:``):
    the authored corpus, the root of the external datasets and the real-text label file."""

    corpus: Path | None = None
    external: Path | None = None
    real: Path | None = None


class TfidfConfig(StrictModel):
    kind: Literal["tfidf"] = "tfidf"
    analyzer: Literal["char", "char_wb"] = "char_wb"
    ngram_min: int = Field(default=2, ge=1)
    ngram_max: int = Field(default=5, ge=1)
    max_features: int | None = 300_000
    min_df: int = 1
    sublinear_tf: bool = True
    C: float = Field(default=4.0, gt=0)
    class_weight: Literal["balanced"] | None = "balanced"


class PretrainedInput(StrictModel):
    """A pretrained encoder and how text reaches it (``khitab.text.normalize.InputPreparer``)."""

    pretrained: str
    normalizer: Literal["arabert", "none"] = "arabert"
    arabert_model: str = "bert-base-arabertv02"
    max_length: int = Field(default=128, ge=8)
    text_prefix: str = ""


class EncoderConfig(PretrainedInput):
    kind: Literal["encoder"] = "encoder"
    lora: dict[str, Any] | None = None  # peft LoraConfig arguments, e.g. {r: 8, lora_alpha: 16}
    tiny_vocab_size: int = 4000  # only for pretrained: tiny


class EmbedLinearConfig(PretrainedInput):
    """A frozen pretrained encoder's mean-pooled sentence embedding + logistic regression."""

    kind: Literal["embed_linear"] = "embed_linear"
    normalizer: Literal["arabert", "none"] = "none"  # e5 embeddings are made from raw text
    C: float = Field(default=1.0, gt=0)
    class_weight: Literal["balanced"] | None = "balanced"


class EnsembleMember(StrictModel):
    bundle: Path  # a trained bundle (relative to the config's root)
    # One weight for every label, or one per label ({threat: 1, sectarian: 1, denial: 0}, every
    # label named): members are strong on different labels (on real dev the real-text encoder
    # leads on denial, the character n-gram model on sect slurs).
    weight: PositiveFloat | Annotated[dict[str, NonNegativeFloat], Field(min_length=1)] = 1.0


class EnsembleConfig(StrictModel):
    """A weighted mean of trained bundles' probabilities; only thresholds are tuned here."""

    kind: Literal["ensemble"] = "ensemble"
    members: list[EnsembleMember] = Field(min_length=1)
    # Fit each member's temperature per label on dev before averaging: members then vote on
    # one probability scale (a TF-IDF model's raw probabilities are far softer than an encoder's).
    calibrate_members: bool = False


ModelConfig = Annotated[
    Union[TfidfConfig, EncoderConfig, EmbedLinearConfig, EnsembleConfig], Field(discriminator="kind")
]


class ThresholdConfig(StrictModel):
    strategy: Literal["max_f1", "target_precision", "fixed"] = "max_f1"
    target_precision: float = Field(default=0.9, gt=0, le=1)
    fixed: float = Field(default=0.5, gt=0, lt=1)
    # Labels whose threshold is tuned on dev's real-text rows alone when data.dev_from pools
    # real and authored dev: a rare real-text label's best threshold differs from the authored
    # one, and the pooled authored rows pull it off (MODEL_CARD.md, "v7").
    real_dev_labels: list[str] = []


class OptimConfig(StrictModel):
    epochs: int = Field(default=3, ge=1)
    batch_size: int = Field(default=16, ge=1)
    grad_accum: int = Field(default=1, ge=1)
    lr: float = Field(default=5e-5, gt=0)
    head_lr: float | None = None
    weight_decay: float = 0.01
    warmup_ratio: float = Field(default=0.1, ge=0, lt=1)
    patience: int = Field(default=2, ge=1)
    pos_weight: dict[str, float] = {}
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    deterministic: bool = True
    max_steps: int | None = None
    eval_batch_size: int = 64
    checkpoint_every: int = Field(default=200, ge=1)  # optimizer steps between resumable checkpoints
    resume: bool = True  # continue from <output_dir>/checkpoint when it exists
    num_threads: int | None = None


class TrainConfig(StrictModel):
    name: str
    labels: Path = Path("configs/labels.yaml")
    model: ModelConfig
    data: DataConfig = DataConfig()
    thresholds: ThresholdConfig = ThresholdConfig()
    optim: OptimConfig = OptimConfig()
    output_dir: Path
    seed: int = 13

    def source_roots(self) -> SourceRoots:
        return SourceRoots(self.data.corpus, self.data.external_root, self.data.real_labels)


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from exc
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return loaded


def load_labels(path: Path) -> LabelsConfig:
    return validate(LabelsConfig, read_yaml(path), path)


def load_train_config(path: Path, overrides: list[str] = ()) -> TrainConfig:
    """Load a training config, apply ``key.sub=value`` overrides, resolve paths."""
    path = Path(path)
    raw = read_extended_yaml(path)
    root = (path.parent / raw.pop("root", "..")).resolve()
    for override in overrides:
        raw = apply_override(raw, override, path)
    config = validate(TrainConfig, raw, path)
    return resolve_paths(config, root)


def read_extended_yaml(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The mapping at ``path`` merged over the file its ``extends:`` names, recursively."""
    path = Path(path)
    raw = read_yaml(path)
    parent = raw.pop("extends", None)
    if chain and "root" in raw:
        raise ConfigError(f"{path}: root: only the config being loaded sets it, not a file it extends")
    if parent is None:
        return raw
    if not isinstance(parent, str) or not parent:
        raise ConfigError(f"{path}: extends: expected the name of a YAML file, got {parent!r}")
    chain = (*chain, path.resolve())
    parent_path = (path.parent / parent).resolve()
    if parent_path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, parent_path))
        raise ConfigError(f"{path}: extends makes a cycle: {cycle}")
    if not parent_path.is_file():
        raise ConfigError(f"{path}: extends: {parent_path} not found")
    return deep_merge(read_extended_yaml(parent_path, chain), raw)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` on top: mappings merge key by key, anything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def apply_override(raw: dict[str, Any], override: str, path: Path) -> dict[str, Any]:
    """Return a copy of ``raw`` with one ``a.b.c=value`` override (value parsed as YAML)."""
    key, sep, value = override.partition("=")
    if not sep or not key:
        raise ConfigError(f"{path}: override {override!r} is not KEY=VALUE")
    updated = copy.deepcopy(raw)
    node = updated
    parts = key.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{path}: override {key!r}: {part!r} is not a section")
    node[parts[-1]] = yaml.safe_load(value)
    return updated


def resolve_paths(config: TrainConfig, root: Path) -> TrainConfig:
    def absolute(p: Path | None) -> Path | None:
        return None if p is None else (p if p.is_absolute() else root / p)

    data = config.data.model_copy(
        update={
            name: absolute(getattr(config.data, name))
            for name in ("corpus", "seed_gold", "seed_text", "external_root", "real_labels", "contrast")
        }
    )
    model = config.model
    if model.kind == "ensemble":
        members = [m.model_copy(update={"bundle": absolute(m.bundle)}) for m in model.members]
        model = model.model_copy(update={"members": members})
    return config.model_copy(
        update={"labels": absolute(config.labels), "output_dir": absolute(config.output_dir), "data": data,
                "model": model}
    )


def validate(model: type[BaseModel], raw: dict[str, Any], path: Path):
    """``raw`` as a ``model``, or a ``ConfigError`` naming ``path`` and each bad key's dotted path."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc
