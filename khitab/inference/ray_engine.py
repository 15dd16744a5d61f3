"""`khitab batch --engine ray`: the same scorer as a Ray Data ``map_batches`` actor pool.

Each actor loads the model once and scores batches of input rows with
:func:`khitab.inference.batch.score_chunk` (identical rows to the local runner). Input and
output are Parquet: ``read_parquet`` -> ``map_batches(actor pool)`` -> ``write_parquet`` of
the scored rows into ``OUT/`` and of the error rows into ``OUT.errors/`` (folders of Parquet
files, as Ray writes them, in input order).

Local: ``ray.init()`` starts a Ray instance on this machine. A cluster: pass
``address="auto"`` (on a cluster node) or ``"ray://HEAD:10001"`` (Ray Client), or set
``RAY_ADDRESS``; the model folder and the input/output paths must then be reachable from
every node (a shared file system, or ``s3://`` / ``gs://`` URIs for the data).
"""
from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from khitab.extras import require
from khitab.inference.batch import Summary, row_template, score_chunk
from khitab.inference.inputs import InputError
from khitab.inference.options import BatchOptions, RayOptions
from khitab.inference.readers import make_record
from khitab.models.base import SentenceClassifier

ERROR_COLUMN = "_error"
KIND_COLUMN = "_kind"  # "row" or "error"


class RayScorer:
    """A Ray Data actor: the model loaded once, then ``__call__`` per batch (pyarrow)."""

    def __init__(self, model_path: str, options: BatchOptions):
        from khitab.inference.backends import SentenceScorer
        from khitab.models.bundle import load_model

        model = load_model(model_path)
        self.scorer = SentenceScorer(model, options=options.runtime)
        self.name = model.name
        self.version = model.runtime_version
        self.text_field, self.id_field, self.level, self.top_k = (options.text_field, options.id_field, options.level,
                                                                  options.top_k)
        self.schema = unified_schema(row_template(self.level, self.scorer.labels, self.name, self.version, self.top_k))

    def __call__(self, batch):
        import pyarrow as pa

        texts = batch.column(self.text_field).to_pylist()
        ids = batch.column(self.id_field).to_pylist()
        records = [make_record(-1, text, raw_id, self.text_field, f"id={raw_id}")
                   for text, raw_id in zip(texts, ids)]
        rows, errors, _, _ = score_chunk(self.scorer, records, self.level, self.name, self.version, self.top_k)
        unified = [{**row, KIND_COLUMN: "row", ERROR_COLUMN: None} for row in rows]
        unified += [{KIND_COLUMN: "error", "id": e["id"], ERROR_COLUMN: e["reason"]} for e in errors]
        return pa.Table.from_pylist(unified, schema=self.schema)


def unified_schema(template: dict[str, Any]):
    import pyarrow as pa

    schema = pa.Table.from_pylist([template]).schema
    return schema.append(pa.field(KIND_COLUMN, pa.string())).append(pa.field(ERROR_COLUMN, pa.string()))


def run_ray(
    input_path: str,
    output: str,
    model: SentenceClassifier,
    model_path: str,
    options: BatchOptions = BatchOptions(),
    ray_options: RayOptions = RayOptions(),
    log: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> Summary:
    """Score a Parquet input on Ray; returns the same :class:`Summary` as the local runner.
    ``model`` is the caller's loaded copy of ``model_path`` (names, version, the ONNX export);
    each actor loads its own from the path."""
    import time

    ray = require("ray", "ray")
    require("ray", "ray.data")
    from ray.data.expressions import col

    remote = "://" in str(input_path)
    if not remote and not str(input_path).endswith((".parquet", ".pq")) and not Path(input_path).is_dir():
        raise InputError(f"{input_path}: the ray engine reads Parquet (a .parquet file or a folder of them)")
    started = time.perf_counter()
    text_field, id_field, level, runtime = options.text_field, options.id_field, options.level, options.runtime
    num_actors, num_cpus_per_actor = ray_options.num_actors, ray_options.num_cpus_per_actor
    num_gpus_per_actor, batch_rows = ray_options.num_gpus_per_actor, ray_options.batch_rows
    if not ray.is_initialized():
        ray.init(address=ray_options.address, include_dashboard=False, log_to_driver=False, configure_logging=False)
    import logging

    logging.getLogger("ray.data").setLevel(logging.WARNING)  # our summary says what happened
    cpus = ray.cluster_resources().get("CPU", 1)
    if not num_gpus_per_actor and num_actors * num_cpus_per_actor > cpus - 1:
        # the read and write tasks need a CPU too, or the pipeline waits for ever
        num_cpus_per_actor = max((cpus - 1) / num_actors, 0.25)
        log(f"{num_actors} actors on {cpus:g} CPUs: {num_cpus_per_actor:g} CPU each")
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # output rows in input order
    context.enable_progress_bars = False

    # One export on the driver, so actors never race to build the same ONNX graph.
    from khitab.inference.backends import SentenceScorer

    if runtime.backend == "onnx":
        SentenceScorer(model, options=replace(runtime, device="cpu", log=log))
    version = model.runtime_version
    startup = time.perf_counter() - started

    dataset = ray.data.read_parquet(str(input_path))
    rows_read = dataset.count()  # from the Parquet metadata
    if rows_read < batch_rows * num_actors * 8:  # small input: Ray would read it as one block
        dataset = dataset.repartition(max(min(math.ceil(rows_read / batch_rows), num_actors * 8), 1))
    columns = dataset.schema().names
    for column, flag in ((text_field, "--text-field"), (id_field, "--id-field")):
        if column not in columns:
            raise InputError(f"{input_path}: no column {column!r} (columns: {', '.join(columns)}); give {flag} "
                             "(the ray engine needs an id column)")
    scored = dataset.select_columns([text_field, id_field]).map_batches(
        RayScorer,
        fn_constructor_kwargs=dict(model_path=str(model_path), options=replace(options, runtime=replace(
            runtime, device="cuda" if num_gpus_per_actor else runtime.device,
            threads=runtime.threads or max(1, int(num_cpus_per_actor))))),
        batch_size=batch_rows,
        batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=num_actors),
        num_cpus=num_cpus_per_actor,
        num_gpus=num_gpus_per_actor or None,
    ).materialize()

    errors_out = str(output).rstrip("/") + ".errors"
    ok = scored.filter(expr=col(KIND_COLUMN) == "row").drop_columns([KIND_COLUMN, ERROR_COLUMN])
    bad = scored.filter(expr=col(KIND_COLUMN) == "error").select_columns(["id", ERROR_COLUMN])
    ok.write_parquet(str(output), mode="overwrite")
    bad.write_parquet(errors_out, mode="overwrite")

    output_rows = ok.count()
    n_errors = bad.count()
    if level == "sentence":
        n_scored = ok.filter(expr=col("sentence") == 0).count()
        n_sentences = output_rows
    else:
        n_scored = output_rows
        n_sentences = int(ok.sum("sentences") or 0) if output_rows else 0
    summary = Summary(str(input_path), str(output), errors_out, level, model.name, version, f"ray/{runtime.backend}"
                      + (f"-{runtime.quantize}" if runtime.quantize else ""), rows_read=rows_read, rows_scored=n_scored,
                      rows_error=n_errors, sentences=n_sentences, output_rows=output_rows, chunks=1,
                      startup_seconds=startup, seconds=time.perf_counter() - started - startup)
    if summary.rows_read != summary.rows_scored + summary.rows_error:
        raise RuntimeError(f"ray run lost rows: read {rows_read} != scored {n_scored} + errors {n_errors}")
    return summary
