"""The ONNX Runtime engine: a model's forward module exported once, optimised, optionally
quantised to int8, and run by ONNX Runtime on CPU.

Exports are cached per model in ``<cache>/<model key>/`` where ``<cache>`` is the runtime
option ``cache_dir`` or the user cache (``~/.cache/khitab/onnx/<model name>``); never inside a
bundle, which stays what was shipped. A cache written by other library versions is redone.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from khitab.extras import require
from khitab.io import replace_file, write_text_atomic
from khitab.models.batching import pad_batch
from khitab.models.quantize import QUANTIZER, quantize_int8

ONNX_DIR = "onnx"
OPSET = 17
FORWARD_INPUTS = ("input_ids", "attention_mask", "token_type_ids")  # the forward modules' order
# transformer families whose graphs ONNX Runtime's optimizer knows how to fuse
FUSABLE = {"bert": "bert", "roberta": "bert", "xlm-roberta": "bert", "camembert": "bert", "electra": "bert",
           "distilbert": "bert"}


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


def default_cache_dir(model: Any) -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("khitab")) / ONNX_DIR / _safe(model.name)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "model"


def onnx_graph(model: Any, key: str, cache_dir: Path | None, quantize: str | None = None,
               log: Callable[[str], None] = lambda _: None) -> Path:
    """Path of the model's ONNX graph (optimised; int8 when asked), exporting it on first
    use into ``cache_dir/<key>/`` (default: the user cache); falls back to the user cache
    when ``cache_dir`` is not writable. ``key`` names the weights (``runtime.model_key``)."""
    require("batch", "onnx")
    require("batch", "onnxruntime")
    fallback = default_cache_dir(model) / key
    if cache_dir is None:
        return _build_graphs(model, fallback, quantize, log)
    try:
        return _build_graphs(model, Path(cache_dir) / key, quantize, log)
    except PermissionError:
        log(f"{cache_dir} is not writable; caching the ONNX export in {fallback}")
        return _build_graphs(model, fallback, quantize, log)


def _stamp() -> dict[str, str]:
    import onnxruntime
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "onnxruntime": onnxruntime.__version__, "opset": str(OPSET), "graph": "cls-shortcut-2",
            "int8": QUANTIZER}


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
            fused = optimize_onnx(raw, staging / "model.opt.onnx", model.network().config)
            replace_file(fused, optimized)
            details = {"versions": stamp, "fused": fused.name != raw.name or None}
            write_text_atomic(directory / "export.json", json.dumps(details, indent=1))
    if quantize != "int8":
        return optimized
    int8 = directory / "model.int8.onnx"
    if not int8.is_file():
        log(f"quantising {model.name} to int8 in {directory} (once)")
        with _scratch(directory, ".quantize-") as staging:
            replace_file(quantize_int8(optimized, staging / "model.int8.onnx", model), int8)
    return int8


@contextmanager
def _scratch(directory: Path, prefix: str) -> Iterator[Path]:
    """A scratch folder beside the cache files (same filesystem, so results move in by rename)."""
    with tempfile.TemporaryDirectory(prefix=prefix, dir=directory, ignore_cleanup_errors=True) as name:
        yield Path(name)


def export_onnx(model, path: Path) -> Path:
    """``torch.onnx.export`` of the model's forward module (fp32, CPU) with dynamic batch and
    sequence axes. Traced on a padded two-sentence batch so masking stays in the graph."""
    import torch

    module = copy_for_export(model)
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


def copy_for_export(model):
    """The model's forward module on a fp32 CPU copy of its network, with eager attention:
    the eager graph is the one ONNX Runtime fuses into its Attention kernel."""
    import copy

    import torch

    network = copy.deepcopy(model.network()).to("cpu", dtype=torch.float32).eval()
    try:
        network.set_attn_implementation("eager")
    except (AttributeError, ValueError):
        pass
    return model.forward_module(True, network).eval()


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
