"""Where the default model lives, and building it when a fresh checkout has none yet."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from khitab.config import load_train_config

SHIPPED_DEFAULT = Path("bundles/default")  # committed: adapter + head + thresholds (configs/default.yaml)
# the fallback when none is shipped (~1 min; its real-text rows need the external datasets)
DEFAULT_TRAIN_CONFIG = Path("configs/baseline.yaml")


def project_root() -> Path:
    """The checkout holding ``configs/``: the package's parent, else the working directory."""
    package_parent = Path(__file__).resolve().parent.parent
    return package_parent if (package_parent / "configs").is_dir() else Path.cwd()


def default_labels_path() -> Path:
    return project_root() / "configs" / "labels.yaml"


def default_bundle(log: Callable[[str], None] = print, config_path: Path | None = None) -> Path:
    """The shipped default bundle; without one (or given ``config_path``), the bundle that
    config trains, built first if it does not exist yet."""
    shipped = project_root() / SHIPPED_DEFAULT
    if config_path is None and (shipped / "bundle.json").is_file():
        return shipped
    config_path = config_path or project_root() / DEFAULT_TRAIN_CONFIG
    from khitab.training.train import bundle_path, train

    config = load_train_config(config_path)
    path = bundle_path(config)
    if not (path / "bundle.json").is_file():
        log(f"No default model at {path}; building it from {config_path} (seconds)...")
        train(config, log=log)
    return path
