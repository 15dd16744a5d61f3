"""What a batch run is asked to do, as one validated object: the CLI builds it once from its
options and hands it whole to the local runner or the Ray engine (as ``ServiceLimits`` is for
the service), instead of two dozen keywords passed through three layers."""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from khitab.errors import OptionError
from khitab.models.runtime import RuntimeOptions

LEVELS = ("sentence", "document")
DEFAULT_CHUNK_ROWS = 1000


@dataclass(frozen=True)
class BatchOptions:
    """Reading, writing and scoring of one run. ``runtime`` says how encoders run (backend,
    quantisation, device, batching, threads), for every encoder in the model."""

    text_field: str = "text"
    id_field: str = "id"
    input_format: str | None = None  # None: from the input's suffix
    output_format: str | None = None  # None: from the output's suffix (JSONL otherwise)
    level: str = "sentence"  # a row per sentence, or per document (maximum per label)
    resume: bool = False
    chunk_rows: int = DEFAULT_CHUNK_ROWS  # input rows per resumable chunk
    top_k: int = 3  # sentences kept per document row
    errors_path: Path | None = None  # None: OUTPUT_STEM.errors.jsonl
    progress: bool = True
    explain: bool = False  # flagged sentence rows gain cues, voice, speaker and targets
    runtime: RuntimeOptions = field(default_factory=lambda: RuntimeOptions(device="auto"))

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise OptionError(f"unknown level {self.level!r} (sentence or document)")
        if self.chunk_rows < 1:
            raise OptionError("--chunk-rows must be at least 1")
        if self.top_k < 0:
            raise OptionError("--top must be at least 0")
        if self.explain and self.level != "sentence":
            raise OptionError("--explain writes nested fields: it needs --level sentence and JSONL output")
        if self.errors_path is not None and not isinstance(self.errors_path, Path):
            object.__setattr__(self, "errors_path", Path(self.errors_path))

    @classmethod
    def of(cls, **values: Any) -> BatchOptions:
        """From flat keywords, the runtime's among them (``chunk_rows=10, backend="onnx"``):
        the Python API's short form. An unknown name is a TypeError, as for any call."""
        runtime_names = {f.name for f in fields(RuntimeOptions)} - {"log"}
        runtime = {k: values.pop(k) for k in list(values) if k in runtime_names}
        return cls(**values, runtime=RuntimeOptions(**{"device": "auto", **runtime}))


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide ``--engine ray`` runs."""

    address: str | None = None  # None: RAY_ADDRESS, else a local instance
    num_actors: int = 2
    num_cpus_per_actor: float = 1
    num_gpus_per_actor: float = 0
    batch_rows: int = 256  # input rows per actor call

    def __post_init__(self) -> None:
        if self.num_actors < 1 or self.batch_rows < 1:
            raise OptionError("--actors and the batch rows must be at least 1")
