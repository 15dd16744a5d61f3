"""Optional features and the packages they need: one clear line when an extra is missing.

``import khitab`` and ``khitab score`` need only the core dependencies; each heavier feature
asks for its packages here, at the point it starts, so a missing one is named with the
command that installs it instead of surfacing as a bare ``ModuleNotFoundError`` deep inside.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from khitab.errors import KhitabError

# extra -> what it enables (as the error message says it)
EXTRAS = {
    "serve": "the HTTP service and the review store (khitab serve, khitab.review)",
    "batch": "the ONNX Runtime backend (khitab batch --backend onnx)",
    "ray": "the Ray engine (khitab batch --engine ray)",
    "report": "the evaluation report's plots (khitab evaluate)",
}

# what `khitab serve` imports (the service opens the review store: SQLAlchemy, Alembic)
SERVE_MODULES = ("fastapi", "uvicorn", "prometheus_client", "prometheus_fastapi_instrumentator", "sqlalchemy",
                 "alembic")


class MissingExtraError(KhitabError):
    """A feature whose optional packages are not installed; the message names the extra."""


def require(extra: str, module: str) -> ModuleType:
    """``module`` imported, or a :class:`MissingExtraError` naming ``pip install 'khitab[extra]'``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            f"{EXTRAS[extra]} needs {module.split('.')[0]!r}, which is not installed: "
            f"pip install 'khitab[{extra}]'"
        ) from None
