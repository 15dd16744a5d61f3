"""Fast sentence scoring for batch runs: one tokenizer call per chunk, length-sorted batches
with dynamic padding, and interchangeable engines for the encoder forward pass.

Engines (``backend`` / ``quantize``):

- ``torch``: the model's own PyTorch forward, fp32 under ``torch.inference_mode`` on CPU,
  bf16 on a CUDA GPU when one is present. For a TF-IDF bundle, "torch" means the model's own
  ``predict_proba`` (there is nothing to accelerate).
- ``onnx``: the same Hugging Face model exported once with ``torch.onnx.export``, its graph
  fused by ONNX Runtime's transformer optimizer, run by ONNX Runtime on CPU; cached in
  ``<bundle>/onnx/<model version>/`` (or the user cache when the bundle is read-only).
- ``onnx`` + ``quantize="int8"``: that graph with dynamic int8 quantisation of its matrix
  multiplications (weights int8 per channel, activations quantised on the fly).

Every engine sees exactly the same token ids; :func:`parity` reports the largest probability
difference from the torch fp32 reference (tolerances: fp32 1e-4, int8 0.02).
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from khitab.errors import BundleError, OptionError
from khitab.io import replace_file, write_text_atomic
from khitab.models.base import SentenceClassifier, probabilities_from_logits

BACKENDS = ("torch", "onnx")
QUANTIZE = (None, "int8")
# Padded tokens and sentences per forward batch: length-sorted batches this size keep the
# matrix products large (M = batch x length rows) while padding stays a few per cent.
DEFAULT_MAX_TOKENS = 4096
DEFAULT_MAX_BATCH = 32
FORWARD_INPUTS = ("input_ids", "attention_mask", "token_type_ids")  # fastpath modules' forward order
PARITY_TOLERANCE = {"fp32": 1e-4, "int8": 0.02, "bf16": 0.02}
ONNX_DIR = "onnx"
OPSET = 17
# transformer families whose graphs ONNX Runtime's optimizer knows how to fuse
FUSABLE = {"bert": "bert", "roberta": "bert", "xlm-roberta": "bert", "camembert": "bert", "electra": "bert",
           "distilbert": "bert"}


# --- batching ----------------------------------------------------------------------------


def plan_batches(lengths: Sequence[int], max_tokens: int, max_batch: int) -> list[np.ndarray]:
    """Index batches over ``lengths`` sorted by length: each batch pads to its longest
    sequence, holds at most ``max_batch`` sequences and ``max_tokens`` padded tokens."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    batches: list[np.ndarray] = []
    begin = 0
    while begin < len(order):
        end = begin + 1
        while end < len(order) and end - begin < max_batch and (end - begin + 1) * lengths[order[end]] <= max_tokens:
            end += 1
        batches.append(order[begin:end])
        begin = end
    return batches


def pad_batch(ids: Sequence[Sequence[int]], input_names: Sequence[str], pad_id: int,
              left: bool = False) -> dict[str, np.ndarray]:
    """Dynamic padding to the longest sequence of the batch; numpy, int64."""
    width = max(len(x) for x in ids)
    input_ids = np.full((len(ids), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(ids), width), dtype=np.int64)
    for i, seq in enumerate(ids):
        if left:
            input_ids[i, width - len(seq):] = seq
            mask[i, width - len(seq):] = 1
        else:
            input_ids[i, :len(seq)] = seq
            mask[i, :len(seq)] = 1
    batch = {"input_ids": input_ids, "attention_mask": mask}
    if "token_type_ids" in input_names:
        batch["token_type_ids"] = np.zeros_like(input_ids)  # single sequences: segment 0
    return batch


# --- engines -----------------------------------------------------------------------------


class TorchEngine:
    """The Hugging Face model's forward pass (fp32 on CPU; bf16 on CUDA by default), with
    the exact [CLS]-only last layer where it applies (``shortcut``, see fastpath)."""

    def __init__(self, hf_model, device: str = "cpu", dtype: str = "fp32", shortcut: bool = True):
        import torch

        from khitab.inference.fastpath import fast_module

        self.torch = torch
        self.device = torch.device(device)
        self.dtype = dtype
        torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
        if torch_dtype != torch.float32:  # a copy: the fp32 weights stay the parity reference
            import copy

            hf_model = copy.deepcopy(hf_model)
        self.model = fast_module(hf_model.to(self.device, dtype=torch_dtype).eval(), shortcut)
        self.name = f"torch-{dtype}" + ("" if self.device.type == "cpu" else f"-{self.device.type}")

    def __call__(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            inputs = {k: torch.from_numpy(v).to(self.device, non_blocking=True) for k, v in batch.items()}
            return self.model(**inputs).float().cpu().numpy()


class OnnxEngine:
    """An ONNX Runtime session on CPU over an exported (optionally quantised) graph."""

    def __init__(self, path: Path, threads: int | None = None, name: str = "onnx-fp32"):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        if threads:
            options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.path = Path(path)
        self.name = name

    def __call__(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        feed = {name: batch[name] for name in self.inputs}
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float32)


# --- the scorer --------------------------------------------------------------------------


class SentenceScorer:
    """Probabilities per label for many sentences, fast, in input order.

    ``model`` is any loaded :class:`SentenceClassifier`; its calibration (temperature) and
    thresholds apply exactly as in ``model.predict_proba``. ``cache_dir`` is where ONNX
    exports live (default ``<bundle>/onnx`` when the bundle path is known).
    """

    def __init__(
        self,
        model: SentenceClassifier,
        backend: str = "torch",
        quantize: str | None = None,
        device: str = "auto",
        max_tokens: int = DEFAULT_MAX_TOKENS,
        max_batch: int = DEFAULT_MAX_BATCH,
        threads: int | None = None,
        cache_dir: Path | None = None,
        log: Callable[[str], None] = lambda _: None,
    ):
        if backend not in BACKENDS:
            raise OptionError(f"unknown backend {backend!r} (one of {', '.join(BACKENDS)})")
        if quantize not in QUANTIZE:
            raise OptionError(f"unknown quantisation {quantize!r} (only int8)")
        if quantize and backend != "onnx":
            raise OptionError("--quantize int8 runs on the ONNX backend: add --backend onnx")
        self.model = model
        self.labels = list(model.labels)
        self.thresholds = model.threshold_vector()
        self.temperature = model.temperature_vector()
        self.max_tokens, self.max_batch = max_tokens, max_batch
        self.log = log
        self.is_encoder = getattr(model, "kind", "") == "encoder"
        self.activation = activation(model)
        if threads:
            import torch

            torch.set_num_threads(threads)
        if not self.is_encoder:
            if backend != "torch":
                raise BundleError(
                    f"the {backend} backend runs encoder models; {model.name!r} is a {model.kind or 'non-encoder'} "
                    "model: use --backend torch (its own predict_proba)"
                )
            self.engine = None
            self.precision = "model"
            self.name = f"{model.kind}-predict_proba"
            return
        self.tokenizer = model.tokenizer
        self.input_names = list(getattr(self.tokenizer, "model_input_names", ["input_ids", "attention_mask"]))
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        self.pad_left = getattr(self.tokenizer, "padding_side", "right") == "left"
        self._reference: TorchEngine | None = None
        if backend == "torch":
            import torch

            use_cuda = device == "cuda" or (device == "auto" and torch.cuda.is_available())
            self.precision = "bf16" if use_cuda else "fp32"
            if use_cuda:
                self._reference = TorchEngine(model.model, "cuda", "fp32", shortcut=False)
            self.engine = TorchEngine(model.model, "cuda" if use_cuda else "cpu", self.precision)
        else:
            self.precision = quantize or "fp32"
            path = onnx_graph(model, cache_dir or default_cache_dir(model), quantize, log=log)
            self.engine = OnnxEngine(path, threads=threads, name=f"onnx-{self.precision}")
        self.name = self.engine.name

    # token ids exactly as the model was trained / as the folder's tokenizer gives them
    def encode(self, sentences: Sequence[str]) -> list[list[int]]:
        texts = self.model.prepare(sentences)
        return self.tokenizer(
            texts, truncation=True, max_length=self.model.max_length, return_attention_mask=False,
            return_token_type_ids=False,
        )["input_ids"]

    def logits(self, sentences: Sequence[str], engine=None) -> np.ndarray:
        """Raw logits (n, labels), input order."""
        if not self.is_encoder:
            return np.asarray(self.model.logits(list(sentences)), dtype=np.float64)
        engine = engine or self.engine
        ids = self.encode(sentences)
        out = np.zeros((len(ids), len(self.labels)), dtype=np.float32)
        for chunk in plan_batches([len(x) for x in ids], self.max_tokens, self.max_batch):
            batch = pad_batch([ids[i] for i in chunk], self.input_names, self.pad_id, self.pad_left)
            out[chunk] = engine(batch)
        return out

    def probabilities(self, sentences: Sequence[str], engine=None) -> np.ndarray:
        if len(sentences) == 0:
            return np.zeros((0, len(self.labels)))
        if not self.is_encoder:
            return self.model.predict_proba(list(sentences))
        return probabilities_from_logits(self.logits(sentences, engine), self.temperature, self.activation)

    def parity(self, sentences: Sequence[str]) -> float | None:
        """Largest |probability − probability from the model's own torch fp32 forward| over
        ``sentences`` (None for a TF-IDF model, which has only its own)."""
        if not self.is_encoder:
            return None
        if self._reference is None:
            self._reference = TorchEngine(self.model.model, "cpu", "fp32", shortcut=False)
        reference = self.probabilities(sentences, self._reference)
        return float(np.max(np.abs(self.probabilities(sentences) - reference))) if len(sentences) else 0.0

    @property
    def tolerance(self) -> float:
        return PARITY_TOLERANCE.get(self.precision, 0.0)


def activation(model: SentenceClassifier) -> str:
    """How the model turns logits into probabilities (see ``SentenceClassifier.activation``)."""
    return getattr(model, "activation", "sigmoid")


# --- ONNX export, optimisation, quantisation ---------------------------------------------


def default_cache_dir(model: SentenceClassifier) -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("khitab")) / ONNX_DIR / _safe(model.name)


def model_key(model: SentenceClassifier) -> str:
    """The bundle version, else a digest of the weights (plain Hugging Face folders)."""
    version = model.metadata.get("version")
    if version:
        return str(version)
    digest = hashlib.sha256()
    for name, tensor in sorted(model.model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu").contiguous().numpy().tobytes())
    return digest.hexdigest()[:12]


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "model"


def onnx_graph(model: SentenceClassifier, cache_dir: Path, quantize: str | None = None,
               log: Callable[[str], None] = lambda _: None) -> Path:
    """Path of the model's ONNX graph (optimised; int8 when asked), exporting it on first
    use into ``cache_dir/<model key>/``; falls back to the user cache when ``cache_dir`` is
    not writable."""
    key = model_key(model)
    try:
        return _build_graphs(model, Path(cache_dir) / key, quantize, log)
    except PermissionError:
        fallback = default_cache_dir(model) / key
        log(f"{cache_dir} is not writable; caching the ONNX export in {fallback}")
        return _build_graphs(model, fallback, quantize, log)


def _stamp() -> dict[str, str]:
    import onnxruntime
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "onnxruntime": onnxruntime.__version__, "opset": str(OPSET), "graph": "cls-shortcut-2"}


def _build_graphs(model, directory: Path, quantize: str | None, log) -> Path:
    stamp_file = directory / "export.json"
    stamp = _stamp()
    if stamp_file.is_file() and json.loads(stamp_file.read_text()).get("versions") != stamp:
        shutil.rmtree(directory)  # exported by other library versions: redo
    optimized = directory / "model.opt.onnx"
    if not optimized.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        with _scratch(directory, ".export-") as staging:
            log(f"exporting {model.name} to ONNX in {directory} (once)")
            raw = export_onnx(model, staging / "model.onnx")
            fused = optimize_onnx(raw, staging / "model.opt.onnx", model.model.config)
            replace_file(fused, optimized)
            details = {"versions": stamp, "fused": fused.name != raw.name or None}
            write_text_atomic(directory / "export.json", json.dumps(details, indent=1))
    if quantize != "int8":
        return optimized
    int8 = directory / "model.int8.onnx"
    if not int8.is_file():
        log(f"quantising {model.name} to int8 in {directory} (once)")
        with _scratch(directory, ".quantize-") as staging:
            replace_file(quantize_int8(optimized, staging / "model.int8.onnx"), int8)
    return int8


@contextmanager
def _scratch(directory: Path, prefix: str) -> Iterator[Path]:
    """A scratch folder beside the cache files (same filesystem, so results move in by rename)."""
    with tempfile.TemporaryDirectory(prefix=prefix, dir=directory, ignore_cleanup_errors=True) as name:
        yield Path(name)


def export_onnx(model, path: Path) -> Path:
    """``torch.onnx.export`` of the Hugging Face model (fp32, CPU) with dynamic batch and
    sequence axes. Traced on a padded two-sentence batch so masking stays in the graph."""
    import copy

    import torch

    from khitab.inference.fastpath import fast_module

    hf = copy.deepcopy(model.model).to("cpu", dtype=torch.float32).eval()
    try:  # the eager attention graph is the one ONNX Runtime fuses into its Attention kernel
        hf.set_attn_implementation("eager")
    except (AttributeError, ValueError):
        pass
    module = fast_module(hf)
    tokenizer = model.tokenizer
    # In the order of the module's forward: torch.onnx.export names the graph's inputs by
    # position, so the tokenizer's own order (BERT's is ids, token types, mask) would swap the
    # mask and the token types in a graph that still runs.
    given = set(getattr(tokenizer, "model_input_names", ["input_ids", "attention_mask"]))
    names = [n for n in FORWARD_INPUTS if n in given]
    ids = tokenizer(model.prepare(["نص قصير", "نص أطول قليلا من النص الأول للتجربة"]), truncation=True,
                    max_length=model.max_length)["input_ids"]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    batch = pad_batch(ids, names, pad, getattr(tokenizer, "padding_side", "right") == "left")
    kwargs = {n: torch.from_numpy(batch[n]) for n in names}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module, (), str(path), kwargs=kwargs, input_names=names, output_names=["logits"],
            dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in names}, "logits": {0: "batch"}},
            opset_version=OPSET, dynamo=False, do_constant_folding=True,
        )
    return path


def optimize_onnx(path: Path, target: Path, config) -> Path:
    """Fuse attention, layer norms and GELU with ONNX Runtime's transformer optimizer
    (families it knows); other graphs are returned as they are (ONNX Runtime still applies
    its generic optimisations when the session starts)."""
    family = FUSABLE.get(getattr(config, "model_type", ""))
    if family is None:
        return path
    from onnxruntime.transformers.optimizer import optimize_model

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimized = optimize_model(
            str(path), model_type=family, num_heads=getattr(config, "num_attention_heads", 0),
            hidden_size=getattr(config, "hidden_size", 0), opt_level=1, use_gpu=False,
        )
    optimized.save_model_to_file(str(target))
    return target


def quantize_int8(path: Path, target: Path) -> Path:
    """Dynamic int8 quantisation of the matrix multiplications (weights per channel)."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(path), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Attention"],
                     # fused contrib ops carry no inferred types: their outputs are float
                     extra_options={"MatMulConstBOnly": True, "DefaultTensorType": TensorProto.FLOAT})
    return target
