"""Adapters that turn public Arabic datasets into ``Example`` rows with our labels, where they map.

The datasets are never part of this project: every adapter reads them from a root folder given
at run time (``root/<folder>/...``, the layout of /work/shared/data/external and SOURCES.md).
Each module's docstring states its label mapping and its weaknesses. A label a source does not
map is absent from ``Example.labels`` (unknown: mask it, never read it as 0).
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from khitab.data.external import (
    ans,
    arhatedetector,
    armpro,
    lhsab,
    osact2020,
    osact2022,
    sectarian_hiyamgh,
    thsab,
    yaqeen,
)
from khitab.data.external._common import LABELS, SourceSpec
from khitab.data.schema import Example
from khitab.errors import OptionError

_MODULES = (osact2022, osact2020, lhsab, thsab, arhatedetector, sectarian_hiyamgh, yaqeen, armpro, ans)

ADAPTERS: dict[str, Callable[[Path], list[Example]]] = {m.NAME: m.load for m in _MODULES}
SPECS: dict[str, SourceSpec] = {m.NAME: m.SPEC for m in _MODULES}

__all__ = ["ADAPTERS", "LABELS", "SPECS", "available", "load_source"]


def available(root: Path) -> list[str]:
    """Names of the adapters whose files all exist under ``root``."""
    return [name for name, spec in SPECS.items() if not spec.missing(Path(root))]


def load_source(name: str, root: Path) -> list[Example]:
    """Load one external source; ``OptionError`` for an unknown name, ``FileNotFoundError`` (naming
    the missing path and the repository to obtain it from) when its files are absent."""
    if name not in ADAPTERS:
        raise OptionError(f"unknown external source {name!r}; valid names: {', '.join(sorted(ADAPTERS))}")
    SPECS[name].require(Path(root))
    return ADAPTERS[name](Path(root))
