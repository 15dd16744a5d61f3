"""Where the project's default files live: paths only (building a missing default model is
``khitab.training.train.default_bundle``'s job)."""
from __future__ import annotations

from pathlib import Path

# committed: both members + thresholds, the ensemble configs/default.yaml builds
SHIPPED_DEFAULT = Path("bundles/default")
# the fallback when none is shipped (~1 min; its real-text rows need the external datasets);
# also the config whose data section locates corpus:/real:/external: sources by default
DEFAULT_TRAIN_CONFIG = Path("configs/baseline.yaml")


def project_root() -> Path:
    """The checkout holding ``configs/``: the package's parent, else the working directory."""
    package_parent = Path(__file__).resolve().parent.parent
    return package_parent if (package_parent / "configs").is_dir() else Path.cwd()


def default_labels_path() -> Path:
    return project_root() / "configs" / "labels.yaml"


def default_train_config_path() -> Path:
    return project_root() / DEFAULT_TRAIN_CONFIG


def shipped_bundle_path() -> Path:
    return project_root() / SHIPPED_DEFAULT
