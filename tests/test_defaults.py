from khitab.defaults import default_labels_path, default_train_config_path, project_root, shipped_bundle_path
from tests.conftest import ROOT


def test_project_root_is_the_checkout():
    assert project_root() == ROOT


def test_default_paths_are_under_the_checkout():
    assert default_labels_path() == ROOT / "configs" / "labels.yaml"
    assert default_train_config_path() == ROOT / "configs" / "baseline.yaml"
    assert shipped_bundle_path() == ROOT / "bundles" / "default"
