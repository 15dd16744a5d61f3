"""Optional extras: the core never imports them, and a missing one is one line naming it."""
import json
import subprocess
import sys

import pytest

from khitab.errors import KhitabError
from khitab.extras import MissingExtraError, require

OPTIONAL = ("fastapi", "uvicorn", "starlette", "prometheus_client", "prometheus_fastapi_instrumentator", "ray",
            "onnx", "onnxruntime", "matplotlib", "sqlalchemy", "alembic")


def test_a_missing_extra_is_one_line_naming_its_pip_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "fastapi", None)  # as if not installed
    with pytest.raises(MissingExtraError) as caught:
        require("serve", "fastapi")
    message = str(caught.value)
    assert isinstance(caught.value, KhitabError) and "\n" not in message
    assert "'fastapi'" in message and message.endswith("pip install 'khitab[serve]'")


def test_an_installed_extra_is_imported():
    import numpy

    assert require("report", "numpy") is numpy


def test_import_khitab_and_khitab_score_import_no_optional_package(tiny_encoder_bundle):
    code = f"""
import json, sys
from typer.testing import CliRunner
import khitab
from khitab.cli import app
result = CliRunner().invoke(app, ["score", "--model", {str(tiny_encoder_bundle)!r}, "--format", "jsonl", "-"],
                            input="سنحرق مقراتهم قريبا. نفت الوزارة الخبر.")
assert result.exit_code == 0, result.output
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}} & set({list(OPTIONAL)!r}))))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_serve_without_the_serve_extra_says_so_in_one_line_and_exits_2(tiny_bundle):
    code = f"""
import sys
sys.modules["fastapi"] = None  # as if not installed
from typer.testing import CliRunner
from khitab.cli import app
result = CliRunner().invoke(app, ["serve", "--model", {str(tiny_bundle)!r}])
print(result.exit_code)
print(result.stderr)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    status, *stderr = done.stdout.strip().splitlines()
    assert status == "2" and len(stderr) == 1
    assert stderr[0].startswith("error: ") and stderr[0].endswith("pip install 'khitab[serve]'")


def test_the_onnx_backend_without_the_batch_extra_says_so(tiny_encoder_bundle, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from khitab.cli import app

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": "نفت الوزارة الخبر"}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", str(source), "-o", str(tmp_path / "out.jsonl"), "--model",
                                      str(tiny_encoder_bundle), "--backend", "onnx", "--quiet"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert result.stderr.strip().endswith("pip install 'khitab[batch]'")
