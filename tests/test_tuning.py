"""khitab.tuning: re-fitting saved bundles never rewrites the shipped default in place."""
import pytest
from typer.testing import CliRunner

from khitab.cli import app
from khitab.defaults import shipped_bundle_path
from khitab.errors import OptionError
from khitab.models.bundle import load_model
from khitab.tuning import writable_bundle
from tests.evaluation.conftest import eval_rows, write_jsonl

runner = CliRunner()


def test_the_shipped_default_is_refitted_only_as_a_copy(tiny_bundle, tmp_path):
    with pytest.raises(OptionError, match="shipped default"):
        writable_bundle(shipped_bundle_path(), None)
    assert writable_bundle(tiny_bundle, None) == tiny_bundle  # any other bundle: in place, as asked
    copy = writable_bundle(tiny_bundle, tmp_path / "copy")
    assert copy == tmp_path / "copy" and (copy / "bundle.json").is_file()


def test_cli_calibrate_into_a_new_bundle_leaves_the_source(tiny_bundle, tmp_path):
    data = write_jsonl(tmp_path / "dev.jsonl", eval_rows())
    source = (tiny_bundle / "bundle.json").read_bytes()
    result = runner.invoke(app, ["calibrate", "--model", str(tiny_bundle), "--data", str(data),
                                 "--output", str(tmp_path / "calibrated")])
    assert result.exit_code == 0, result.output
    assert f"saved temperatures into {tmp_path / 'calibrated'}" in result.stderr
    assert (tiny_bundle / "bundle.json").read_bytes() == source
    assert load_model(tmp_path / "calibrated").temperature != load_model(tiny_bundle).temperature
