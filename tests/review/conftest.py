"""A real SQLite review store in tmp_path, and sentences to queue in it.

With ``KHITAB_TEST_REVIEW_URL`` set (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``)
every test on the ``store``/``review_url`` fixtures runs on that database too, emptied first.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text as sql

from khitab.review import ReviewStore, new_item
from khitab.review.store import Base

EXTRA_URL = os.environ.get("KHITAB_TEST_REVIEW_URL")

LABELS = ("threat", "sectarian", "denial")
THRESHOLDS = {"threat": 0.5, "sectarian": 0.4, "denial": 0.6}
SENTENCES = [
    # text, scores (threat, sectarian, denial)
    ("سنحرق بيوتهم إن لم يرحلوا من الحي", (0.93, 0.10, 0.02)),
    ("الروافض خونة لا عهد لهم", (0.20, 0.81, 0.05)),
    ("هذه الصور مفبركة ولا صحة لها", (0.05, 0.03, 0.64)),
    ("الانتقام قادم ولن يفلت منهم أحد", (0.55, 0.35, 0.01)),
    ("نفت الوزارة الأنباء عن سقوط قتلى", (0.02, 0.01, 0.97)),
    ("كل أبناء تلك الطائفة عملاء", (0.48, 0.99, 0.10)),
]


def make_items(model_version: str = "v1", doc_id: str = "doc-1", sentences=SENTENCES):
    items, at = [], 0
    for text, scores in sentences:
        items.append(new_item(text, doc_id, at, at + len(text), dict(zip(LABELS, scores)), THRESHOLDS,
                              "tiny", model_version))
        at += len(text) + 1
    return items


def emptied(url: str) -> str:
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(sql("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "extra"] if EXTRA_URL else ["sqlite"])
def review_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reviews.db'}"
    return emptied(EXTRA_URL)


@pytest.fixture
def store(review_url):
    with ReviewStore(review_url) as opened:
        yield opened


@pytest.fixture
def queued(store):
    return store.enqueue(make_items())
