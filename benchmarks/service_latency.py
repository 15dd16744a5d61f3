"""Service latency and throughput: `khitab serve` under 1, 8 and 32 concurrent clients, with
micro-batching and with one forward pass per request, for small and BERT-base-size models.

    .venv/bin/python benchmarks/service_latency.py            # writes benchmarks/results/service_latency.md
    .venv/bin/python benchmarks/service_latency.py --models tiny --scale 0.5

Models (random weights, built here, nothing downloaded):
- tfidf      the TF-IDF baseline trained on tests/fixtures/tiny_corpus.jsonl (the default kind)
- tiny       the tiny encoder architecture (BERT, 2 layers, hidden 64; khitab/models/tiny.py)
- bert-base  BERT-base architecture (12 layers, hidden 768, vocab 64,000) with random weights

Each (model, mode) gets its own server process on loopback; each client sends
``POST /v1/moderate`` with one short Arabic post (one sentence) and waits for the answer before
the next. The load generator is a minimal keep-alive HTTP/1.1 client on asyncio so that it takes
as little CPU as possible from the server: both share this machine's cores, so the numbers are
for the whole box, client included. Each measurement follows a warm-up at the same concurrency.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "tests" / "fixtures" / "tiny_corpus.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "service_latency.md"
CONCURRENCY = (1, 8, 32)
# requests per concurrency level (before --scale), per model: BERT-base is ~100x slower
REQUESTS = {"tfidf": {1: 600, 8: 1200, 32: 2400}, "tiny": {1: 600, 8: 1200, 32: 2400},
            "bert-base": {1: 60, 8: 160, 32: 384}}
WARMUP = 8


def sentences() -> list[str]:
    return [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


# ---------------------------------------------------------------- building the models


def build_tfidf(directory: Path) -> Path:
    import yaml

    from khitab.config import load_train_config
    from khitab.training.train import train

    config = {"root": str(ROOT), "name": "bench-tfidf", "labels": "configs/labels.yaml",
              "model": {"kind": "tfidf", "ngram_min": 2, "ngram_max": 5},
              "data": {"corpus": str(CORPUS)}, "output_dir": str(directory / "run")}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "train.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return train(load_train_config(path), log=lambda _: None)


def build_encoder(directory: Path, size: str) -> Path:
    """A random-weight encoder bundle: ``tiny`` (2 x 64) or ``bert-base`` (12 x 768, vocab 64,000)."""
    import torch

    from khitab.config import load_labels
    from khitab.models.bundle import save_bundle
    from khitab.models.encoder import EncoderClassifier, classification_model, load_tokenizer
    from khitab.models.tiny import TINY_ARCHITECTURE, build_random_encoder

    labels = load_labels(ROOT / "configs" / "labels.yaml").names
    probe = EncoderClassifier(labels=labels, normalizer="arabert")
    base = directory / "base"
    architecture = {"vocab_size": 64_000} if size == "bert-base" else TINY_ARCHITECTURE
    build_random_encoder(probe.prepare(sentences()), base, 4000, 0, architecture)
    torch.manual_seed(0)
    classifier = EncoderClassifier(
        model=classification_model(str(base), labels), tokenizer=load_tokenizer(str(base)), labels=labels,
        name=f"bench-{size}", normalizer="arabert", max_length=128,
    )
    return save_bundle(classifier, directory / "bundle")


# ---------------------------------------------------------------- server and load generator


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, bundle: Path, microbatch: bool, log: Path, threads: int):
        self.port = free_port()
        args = [sys.executable, "-m", "khitab.cli", "serve", "--model", str(bundle), "--port", str(self.port),
                "--no-access-log", "--log-level", "warning", "--max-batch", "64", "--max-wait-ms", "5",
                "--threads", str(threads)]
        if not microbatch:
            args.append("--no-microbatch")
        self.log = log.open("wb")
        self.process = subprocess.Popen(args, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited; see {log}")
            try:
                status, _ = asyncio.run(one_request(self.port, "GET", "/readyz", b""))
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready; see {log}")

    def metrics(self) -> str:
        return asyncio.run(one_request(self.port, "GET", "/metrics", b""))[1].decode()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


class Connection:
    """One keep-alive HTTP/1.1 connection: just enough protocol for this benchmark."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int):
        self.reader, self.writer, self.port = reader, writer, port

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, port)

    async def request(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


async def one_request(port: int, method: str, path: str, body: bytes) -> tuple[int, bytes]:
    connection = await Connection.open(port)
    try:
        return await connection.request(method, path, body)
    finally:
        connection.close()


async def drive(port: int, clients: int, total: int, posts: list[bytes]) -> tuple[float, list[float], int]:
    """``clients`` connections send ``total`` requests between them; returns (seconds,
    latencies, non-200 answers)."""
    connections = [await Connection.open(port) for _ in range(clients)]
    remaining = list(range(total))
    latencies: list[float] = []
    failures = 0

    async def client(connection: Connection) -> None:
        nonlocal failures
        while remaining:
            i = remaining.pop()
            started = time.perf_counter()
            status, _ = await connection.request("POST", "/v1/moderate", posts[i % len(posts)])
            latencies.append(time.perf_counter() - started)
            failures += status != 200

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    elapsed = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return elapsed, latencies, failures


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def histogram_count_sum(metrics: str, name: str) -> tuple[float, float]:
    count = total = 0.0
    for line in metrics.splitlines():
        if line.startswith(f"{name}_count"):
            count = float(line.split()[-1])
        elif line.startswith(f"{name}_sum"):
            total = float(line.split()[-1])
    return count, total


# ---------------------------------------------------------------- the run


def run(models: list[str], scale: float, work: Path, threads: int) -> list[dict]:
    posts = [json.dumps({"text": s}, ensure_ascii=False).encode() for s in sentences()]
    rows = []
    for name in models:
        started = time.perf_counter()
        bundle = build_tfidf(work / name) if name == "tfidf" else build_encoder(work / name, name)
        print(f"[{name}] built in {time.perf_counter() - started:.1f} s", flush=True)
        for microbatch in (True, False):
            mode = "micro-batched" if microbatch else "one request, one forward"
            server = Server(bundle, microbatch, work / f"{name}-{int(microbatch)}.log", threads)
            try:
                asyncio.run(drive(server.port, 1, WARMUP, posts))
                for clients in CONCURRENCY:
                    total = max(clients, int(REQUESTS[name][clients] * scale))
                    asyncio.run(drive(server.port, clients, max(2 * clients, total // 10), posts))  # warm-up
                    before = histogram_count_sum(server.metrics(), "khitab_batch_sentences")
                    elapsed, latencies, failures = asyncio.run(drive(server.port, clients, total, posts))
                    after = histogram_count_sum(server.metrics(), "khitab_batch_sentences")
                    forwards, sentences_scored = after[0] - before[0], after[1] - before[1]
                    row = {"model": name, "mode": mode, "clients": clients, "requests": total,
                           "failures": failures, "rps": total / elapsed,
                           "p50_ms": 1000 * percentile(latencies, 0.50), "p99_ms": 1000 * percentile(latencies, 0.99),
                           "batch": sentences_scored / forwards if forwards else 0.0}
                    rows.append(row)
                    print(f"[{name}] {mode:>24} c={clients:<3} {row['rps']:8.1f} req/s  p50 {row['p50_ms']:8.1f} ms  "
                          f"p99 {row['p99_ms']:8.1f} ms  batch {row['batch']:5.1f}  failures {failures}", flush=True)
            finally:
                server.stop()
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| model | mode | clients | requests | req/s | p50 ms | p99 ms | sentences / forward | non-200 |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['mode']} | {r['clients']} | {r['requests']} | {r['rps']:.1f} | "
                     f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['batch']:.1f} | {r['failures']} |")
    return "\n".join(lines)


def gains(rows: list[dict]) -> str:
    lines = ["| model | clients | req/s micro-batched | req/s one-per-forward | gain | p99 ms micro / single |",
             "|---|---:|---:|---:|---:|---:|"]
    index = {(r["model"], r["mode"] == "micro-batched", r["clients"]): r for r in rows}
    for (model, batched, clients), r in index.items():
        if not batched or (model, False, clients) not in index:
            continue
        s = index[(model, False, clients)]
        lines.append(f"| {model} | {clients} | {r['rps']:.1f} | {s['rps']:.1f} | x{r['rps'] / s['rps']:.2f} | "
                     f"{r['p99_ms']:.0f} / {s['p99_ms']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="tfidf,tiny,bert-base")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the request counts")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads in the server (`khitab serve --threads`); 1 resists a busy machine")
    args = parser.parse_args()
    models = [m for m in args.models.split(",") if m]
    unknown = set(models) - set(REQUESTS)
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}; choose from {sorted(REQUESTS)}")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    load_before = " ".join(f"{x:.1f}" for x in os.getloadavg())
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="khitab-bench-") as work:
        rows = run(models, args.scale, Path(work), args.threads)
    import torch

    command = " ".join(["benchmarks/service_latency.py", *sys.argv[1:]])
    report = "\n".join([
        "# Service latency: `khitab serve`, POST /v1/moderate, one one-sentence post per request",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores (shared by server and load generator), "
        f"Python {platform.python_version()}, torch {torch.__version__} (CPU, {args.threads} thread(s) in the server), "
        f"load average before the run {load_before}. "
        f"Micro-batching: max_batch 64 sentences, max_wait 5 ms. Run: `{command}` "
        f"({time.perf_counter() - started:.0f} s).",
        "",
        table(rows),
        "",
        "## Gain from micro-batching (same model, same clients)",
        "",
        gains(rows),
        "",
        "Gain: requests/s micro-batched over requests/s with one forward pass per request. With one",
        "client there is nothing to merge and no waiting (a batch leaves at once when no other request",
        "is on its way), so the two modes differ only by noise there; from 8 clients on, the merged",
        "forward passes carry several sentences and throughput rises while tail latency falls. The",
        "machine is shared with other work, so single figures vary by some 20 % between runs.",
        "",
    ])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report, encoding="utf-8")
    print()
    print(report)


if __name__ == "__main__":
    main()
