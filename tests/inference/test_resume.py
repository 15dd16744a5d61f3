"""kill -9 at any point, then --resume: output byte-identical to an uninterrupted run.

The killed runs go through ``tests/inference/killable_batch.py``: `khitab batch` with faults
injected into its writer from outside the product (KILL_AT, CHUNK_DELAY).
"""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from khitab.cli import app
from khitab.inference.batch import run_batch
from khitab.inference.inputs import InputError
from khitab.models.bundle import load_model
from tests.conftest import ROOT
from tests.inference.test_batch import documents, write_jsonl


def batch_command(source, output, bundle, *extra):
    return [sys.executable, "-m", "tests.inference.killable_batch", "batch", str(source), "-o", str(output),
            "--model", str(bundle), "--chunk-rows", "10", "--quiet", *extra]


def resume(source, output, bundle):
    """The same command with --resume, in this process (saves an interpreter start)."""
    result = CliRunner().invoke(app, batch_command(source, output, bundle, "--resume")[3:])
    assert result.exit_code == 0, result.output


def env(**values):
    return {**os.environ, "PYTHONPATH": str(ROOT), **values}


@pytest.fixture()
def setup(tiny_bundle, tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", documents(300), bad_utf8_at=150)
    reference = tmp_path / "reference.jsonl"
    run_batch(source, reference, load_model(tiny_bundle), chunk_rows=10, progress=False)
    return source, reference


def assert_identical(output, reference):
    assert output.read_bytes() == reference.read_bytes()
    errors, reference_errors = (p.with_name(p.stem + ".errors.jsonl") for p in (output, reference))
    assert errors.read_bytes() == reference_errors.read_bytes()
    assert not output.with_name(output.name + ".parts").exists()


def test_kill_9_from_outside_mid_run_then_resume(tiny_bundle, tmp_path, setup):
    source, reference = setup
    output = tmp_path / "out.jsonl"
    manifest = tmp_path / "out.jsonl.parts" / "manifest.json"
    process = subprocess.Popen(batch_command(source, output, tiny_bundle),
                               env=env(CHUNK_DELAY="0.05"), stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    done = 0
    while time.monotonic() < deadline and process.poll() is None:
        try:
            done = len(json.loads(manifest.read_text())["chunks"])
        except (OSError, ValueError, KeyError):
            done = 0
        if done >= 1:
            break
        time.sleep(0.01)
    assert process.poll() is None, process.stderr.read().decode()
    time.sleep(0.03)  # somewhere inside a later chunk
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert not output.exists()
    completed = len(json.loads(manifest.read_text())["chunks"])
    assert 1 <= completed < 31

    resume(source, output, tiny_bundle)
    assert_identical(output, reference)


def test_kill_9_at_every_stage_then_resume(tiny_bundle, tmp_path, setup):
    source, reference = setup
    output = tmp_path / "out.jsonl"
    for stage in ("part:2", "chunk:5", "output"):  # one kill per run, each resumed
        killed = subprocess.run(batch_command(source, output, tiny_bundle, "--resume"),
                                env=env(KILL_AT=stage), capture_output=True, timeout=120)
        assert killed.returncode == -signal.SIGKILL, (stage, killed.stderr.decode())
    assert output.exists()  # killed after the output was renamed in, before the errors file
    resume(source, output, tiny_bundle)
    assert_identical(output, reference)


def test_resume_refuses_a_different_run_and_a_fresh_run_starts_over(tiny_bundle, tmp_path, setup):
    source, reference = setup
    output = tmp_path / "out.jsonl"
    killed = subprocess.run(batch_command(source, output, tiny_bundle), env=env(KILL_AT="chunk:3"),
                            capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL
    model = load_model(tiny_bundle)
    with pytest.raises(InputError, match="differs in level"):
        run_batch(source, output, model, chunk_rows=10, level="document", resume=True, progress=False)
    summary = run_batch(source, output, model, chunk_rows=10, resume=True, progress=False)
    assert summary.chunks_resumed == 4 and summary.chunks == 31
    assert_identical(output, reference)
