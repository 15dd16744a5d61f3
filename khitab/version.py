"""The package version, from one source: the installed distribution's metadata (pyproject.toml)."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("khitab")
except PackageNotFoundError:  # a source checkout run without installing it
    __version__ = "0+unknown"
