"""The one encoder runtime: every transformer forward pass in khitab runs here.

``EncoderClassifier`` and ``EmbedLinearClassifier`` score through :class:`EncoderRuntime`,
alone or as members of an ensemble, in the service, ``khitab score`` and ``khitab batch``:

    sentences -> token ids (one tokenizer call) -> length-sorted batches bounded by a token
    budget (``plan_batches``) -> dynamic padding (``pad_batch``) -> an engine -> rows in input order

The engine is chosen once per model with ``model.use_backend(RuntimeOptions(...))``, which an
ensemble passes on to each of its members:

- ``torch`` (default): the PyTorch forward, fp32 on CPU, with the exact [CLS]-only last layer
  where it applies (``fastpath``); bf16 on a CUDA GPU when ``device`` asks for one.
- ``onnx``: the same forward exported once to ONNX and run by ONNX Runtime on CPU, fp32 or
  int8 (``quantize="int8"``); see :mod:`khitab.models.onnx_engine`.

Every engine sees exactly the same token ids; :data:`PARITY_TOLERANCE` is how far an engine's
probabilities may drift from the torch fp32 reference (:data:`REFERENCE`).
"""
from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from khitab.errors import OptionError
from khitab.models.batching import pad_batch, plan_batches

BACKENDS = ("torch", "onnx")
QUANTIZE = (None, "int8")
DEVICES = (None, "auto", "cpu", "cuda")
# Padded tokens and sentences per forward batch: length-sorted batches this size keep the
# matrix products large (M = batch x length rows) while padding stays a few per cent.
DEFAULT_MAX_TOKENS = 4096
DEFAULT_MAX_BATCH = 32
__all__ = ["EncoderRuntime", "RuntimeOptions", "TorchEngine", "model_key", "pad_batch", "plan_batches"]
PARITY_TOLERANCE = {"fp32": 1e-4, "int8": 0.02, "bf16": 0.02}


def _quiet(_: str) -> None:
    pass


@dataclass(frozen=True)
class RuntimeOptions:
    """How encoders run: chosen once, for every encoder inside a model."""

    backend: str = "torch"
    quantize: str | None = None
    # None: where the weights already are (CPU after loading); "auto": a CUDA GPU in bf16 when present
    device: str | None = None
    max_tokens: int = DEFAULT_MAX_TOKENS
    max_batch: int = DEFAULT_MAX_BATCH
    threads: int | None = None  # ONNX Runtime intra-op threads (torch's are process-wide: set by the caller)
    cache_dir: Path | None = None  # ONNX exports: cache_dir/<model key>/ (default: the user cache)
    # True: the [CLS]-only last layer (fastpath; ONNX exports always use it). Off for torch by
    # default: equal to the model's own forward only up to float rounding (~2e-7), and scores
    # are written to 6 decimals, so a few would differ in their last digit from earlier outputs.
    shortcut: bool = False
    log: Callable[[str], None] = field(default=_quiet, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise OptionError(f"unknown backend {self.backend!r} (one of {', '.join(BACKENDS)})")
        if self.quantize not in QUANTIZE:
            raise OptionError(f"unknown quantisation {self.quantize!r} (only int8)")
        if self.quantize and self.backend != "onnx":
            raise OptionError("--quantize int8 runs on the ONNX backend: add --backend onnx")
        if self.device not in DEVICES:
            raise OptionError(f"unknown device {self.device!r} (auto, cpu or cuda)")

    def key(self) -> tuple:
        """What makes two options give the same engine (the log and threads do not)."""
        return (self.backend, self.quantize, self.device, self.max_tokens, self.max_batch,
                str(self.cache_dir), self.shortcut)


DEFAULT = RuntimeOptions()
# the parity reference: torch fp32 through the model's own forward, on the CPU
REFERENCE = RuntimeOptions(device="cpu")


def model_key(model: Any) -> str:
    """What identifies an encoder model's weights: the bundle version, else a digest of the
    weights (plain Hugging Face folders). Names ONNX exports and batch outputs' model_version."""
    version = model.metadata.get("version")
    if version:
        return str(version)
    digest = hashlib.sha256()
    for name, tensor in sorted(model.network().state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu").contiguous().numpy().tobytes())
    return digest.hexdigest()[:12]


# --- the torch engine --------------------------------------------------------------------


class TorchEngine:
    """A forward module (``forward(input_ids, attention_mask, token_type_ids=None)`` -> rows)
    in fp32 where its weights are, or on ``device`` ("cuda": bf16 on a copy, so the fp32
    weights stay the parity reference)."""

    def __init__(self, module, device: str | None = None):
        import torch

        self.torch = torch
        on_gpu = device == "cuda" or (device == "auto" and torch.cuda.is_available())
        if on_gpu:
            module = copy.deepcopy(module).to("cuda", dtype=torch.bfloat16)
        self.precision = "bf16" if on_gpu else "fp32"
        self.module = module.eval()
        self.device = next(module.parameters()).device
        self.name = f"torch-{self.precision}" + ("" if self.device.type == "cpu" else f"-{self.device.type}")

    def __call__(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            inputs = {k: torch.from_numpy(v).to(self.device, non_blocking=True) for k, v in batch.items()}
            return self.module(**inputs).float().cpu().numpy()


# --- the runtime -------------------------------------------------------------------------


class EncoderRuntime:
    """Scores texts for one encoder-based model with the engine its options name.

    ``model`` provides ``prepare(texts)``, ``tokenizer``, ``max_length`` and
    ``forward_module(shortcut)`` (the torch module the engines run and ONNX exports)."""

    def __init__(self, model: Any, options: RuntimeOptions = DEFAULT):
        self.options = options
        tokenizer = model.tokenizer
        self.input_names = list(getattr(tokenizer, "model_input_names", ["input_ids", "attention_mask"]))
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.pad_left = getattr(tokenizer, "padding_side", "right") == "left"
        self._engine: Callable[[dict[str, np.ndarray]], np.ndarray] | None = None
        self._built_for: Any = None  # the torch module the engine wraps (training swaps it)
        self.graph: Path | None = None  # the ONNX graph the onnx backend runs
        if options.backend == "onnx":
            from khitab.models.onnx_engine import OnnxEngine, onnx_graph

            self.graph = onnx_graph(model, model_key(model), options.cache_dir, options.quantize, log=options.log)
            self._engine = OnnxEngine(self.graph, threads=options.threads, name=f"onnx-{options.quantize or 'fp32'}")

    @property
    def precision(self) -> str:
        if self.options.backend == "onnx":
            return self.options.quantize or "fp32"
        on_gpu = self.options.device == "cuda" or (self.options.device == "auto" and _cuda_available())
        return "bf16" if on_gpu else "fp32"

    @property
    def name(self) -> str:
        if self.options.backend == "onnx":
            return f"onnx-{self.precision}"
        return f"torch-{self.precision}" + ("-cuda" if self.precision == "bf16" else "")

    def engine(self, model: Any) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
        if self.options.backend == "onnx":
            return self._engine
        network = model.network()
        if self._engine is None or self._built_for is not network:
            self._engine = TorchEngine(model.forward_module(self.options.shortcut), self.options.device)
            self._built_for = network
        return self._engine

    def encode(self, model: Any, texts: Sequence[str]) -> list[list[int]]:
        """Token ids exactly as the model was trained: prepared text, truncated, unpadded."""
        return model.tokenizer(
            model.prepare(texts), truncation=True, max_length=model.max_length, return_attention_mask=False,
            return_token_type_ids=False,
        )["input_ids"]

    def run(self, model: Any, texts: Sequence[str], width: int) -> np.ndarray:
        """The engine's output rows, (len(texts), width) float32, in input order."""
        out = np.zeros((len(texts), width), dtype=np.float32)
        if not len(texts):
            return out
        engine = self.engine(model)
        ids = self.encode(model, texts)
        for chunk in plan_batches([len(x) for x in ids], self.options.max_tokens, self.options.max_batch):
            out[chunk] = engine(pad_batch([ids[i] for i in chunk], self.input_names, self.pad_id, self.pad_left))
        return out


def _cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()
