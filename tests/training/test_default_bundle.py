from khitab.training.train import default_bundle
from tests.conftest import write_config


def test_default_bundle_is_built_once_and_says_so(tmp_path):
    config = write_config(tmp_path)
    messages = []
    path = default_bundle(log=messages.append, config_path=config)
    assert (path / "bundle.json").is_file()
    assert any("building it from" in m for m in messages)
    messages.clear()
    assert default_bundle(log=messages.append, config_path=config) == path
    assert messages == []
