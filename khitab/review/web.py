"""The static review page (``khitab/review/page``), for the service to serve at ``GET /review``
and ``GET /review/review.js``; it talks to ``GET v1/reviews/queue`` and ``POST v1/reviews``
(URLs relative to the page, so the service may sit under a path prefix)."""
from __future__ import annotations

from pathlib import Path

PAGE_DIR = Path(__file__).resolve().parent / "page"
PAGE_FILES = {"index.html": "text/html; charset=utf-8", "review.js": "text/javascript; charset=utf-8"}


def page_file(name: str = "index.html") -> tuple[bytes, str]:
    """(content, media type) of one page file; ``KeyError`` for any other name (a 404)."""
    media_type = PAGE_FILES[name]
    return (PAGE_DIR / name).read_bytes(), media_type
