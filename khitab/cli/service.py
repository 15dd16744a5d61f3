"""`khitab serve`: the HTTP service on uvicorn (with the review loop's endpoints when given a store)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from khitab.cli.app import BackendOption, QuantizeOption, app, resolve_model, say, user_errors
from khitab.errors import OptionError


@app.command()
def serve(
    model: Annotated[Optional[Path], typer.Option(help="Model bundle or Hugging Face folder (default bundle).")] = None,
    policy: Annotated[Optional[Path], typer.Option(help="Moderation policy YAML (configs/policy.yaml).")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8080,
    labels: Annotated[Optional[Path], typer.Option(help="Labels config (default configs/labels.yaml).")] = None,
    max_body_bytes: Annotated[int, typer.Option(min=1, help="Largest request body (413 above).")] = 1_048_576,
    max_texts: Annotated[int, typer.Option(min=1, help="Texts per request (422 above).")] = 64,
    max_chars: Annotated[int, typer.Option(min=1, help="Characters per text (422 above).")] = 20_000,
    max_batch: Annotated[int, typer.Option(min=1, help="Sentences per forward pass.")] = 64,
    backend: BackendOption = "torch",
    quantize: QuantizeOption = None,
    max_wait_ms: Annotated[float, typer.Option(min=0, help="How long a forward pass waits for more requests.")] = 5.0,
    microbatch: Annotated[bool, typer.Option(help="Share forward passes between concurrent requests.")] = True,
    threads: Annotated[
        Optional[int], typer.Option(min=1, help="Torch threads for the model (default: one per core; 1 on a busy box).")
    ] = None,
    shutdown_timeout: Annotated[float, typer.Option(min=0, help="Seconds in-flight requests get on SIGTERM.")] = 30.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
    review_store: Annotated[
        Optional[str], typer.Option(help="Review store: a SQLAlchemy URL (sqlite:///reviews.db, postgresql+psycopg://"
                                    "...) or a SQLite file path; adds the review endpoints and the /review page.")
    ] = None,
    enqueue_reviews: Annotated[
        bool, typer.Option("--enqueue-reviews", help="Queue the evidence of every review/block decision for "
                           "reviewers (else only requests with \"enqueue\": true).")
    ] = False,
) -> None:
    """Serve scoring and moderation over HTTP (FastAPI on uvicorn) until SIGINT/SIGTERM."""
    from khitab.cli.reviews import store_errors
    from khitab.moderation import load_policy

    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    with user_errors():  # a bad policy is a PolicyError, a ConfigError; a missing [serve] extra one line
        from khitab.models.runtime import RuntimeOptions
        from khitab.serving import ServiceLimits, create_app
        from khitab.serving import serve as run_server

        if enqueue_reviews and review_store is None:
            raise OptionError("--enqueue-reviews needs --review-store URL to queue into")
        runtime = RuntimeOptions(backend=backend, quantize=quantize, threads=threads, log=say)
        loaded_policy = load_policy(policy)
        limits = ServiceLimits(max_body_bytes=max_body_bytes, max_texts=max_texts, max_chars=max_chars,
                               max_batch=max_batch, max_wait_ms=max_wait_ms, microbatch=microbatch)
        with store_errors("--review-store", review_store):
            application = create_app(resolve_model(model, labels), loaded_policy, limits,
                                     review_store=review_store, enqueue_reviews=enqueue_reviews,
                                     runtime_options=runtime)
    run_server(application, host, port, shutdown_timeout=shutdown_timeout, log_level=log_level, access_log=access_log)
