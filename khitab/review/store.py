"""The review store: queued items and reviewers' verdicts in a real database (SQLAlchemy 2.x).

    store = ReviewStore("sqlite:///reviews.db")     # or postgresql+psycopg://..., any SQLAlchemy URL
    ids = store.enqueue([NewItem(...), ...])        # idempotent: the same sentence twice is one item

Two tables. ``items``: one sentence a model flagged (or nearly flagged), with its offsets,
model and version, scores, thresholds and the labels it asks a reviewer about. ``verdicts``:
append-only (nothing here updates or deletes one), so the table is the audit trail; for
(item, label, reviewer) the verdict with the highest ``verdict_id`` counts. A verdict copies
the ``model_version`` of the item it judged: a later model version makes new items, and the
old verdicts keep saying which version they judged.

The schema is created and upgraded by the Alembic migrations in ``khitab/review/migrations``
(run in code when a store is opened; no alembic.ini). The SQL is portable; the only
SQLite-specific statements are in the SQLite connection hooks below (WAL, synchronous=FULL,
busy timeout, and ``BEGIN IMMEDIATE`` for write transactions, so concurrent writers queue on
the lock instead of failing with "database is locked" when a reader upgrades to a writer).
"""
from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

VERDICTS = ("confirm", "reject")
# ``confirm``: the label applies to the sentence (a flag confirmed, or a miss pointed out);
# ``reject``: it does not. Exports read them as 1 and 0.
BUSY_TIMEOUT_MS = 30_000
# Write transactions carry this execution option; the SQLite hook begins them IMMEDIATE.
_WRITE = "khitab_review_write"


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    item_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    doc_id: Mapped[str] = mapped_column(String(255))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    model: Mapped[str] = mapped_column(String(255))
    model_version: Mapped[str] = mapped_column(String(255))
    scores: Mapped[dict] = mapped_column(JSON)
    thresholds: Mapped[dict] = mapped_column(JSON)
    flagged: Mapped[list] = mapped_column(JSON)
    asks: Mapped[list] = mapped_column(JSON)
    cues: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # revision 0002
    decision: Mapped[str] = mapped_column(String(16))
    priority: Mapped[float] = mapped_column(Float)  # distance of the nearest asked label to its threshold
    top_score: Mapped[float] = mapped_column(Float)  # highest score among the asked labels
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("doc_id", "text_sha256", "start", "end", "model_version", name="uq_items_identity"),
        Index("ix_items_priority", "priority", "top_score"),
    )


class Verdict(Base):
    __tablename__ = "verdicts"

    verdict_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("items.item_id"), index=True)
    label: Mapped[str] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(8))
    reviewer: Mapped[str] = mapped_column(String(255))
    note: Mapped[str] = mapped_column(Text)
    model_version: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("verdict IN ('confirm', 'reject')", name="ck_verdicts_verdict"),
        Index("ix_verdicts_reviewer", "reviewer", "item_id", "label"),  # revision 0002
    )


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def item_key(doc_id: str, text: str, start: int, end: int, model_version: str) -> str:
    """The item id: a digest of what makes an item one item (the same sentence of the same
    document at the same offsets, scored by the same model version), so any store, and a
    Label Studio round trip, agree on it."""
    identity = "\x1f".join([doc_id, text_digest(text), str(start), str(end), model_version])
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class NewItem:
    """A sentence to queue. ``scores``/``thresholds``: every label the model scores; ``flagged``:
    the labels at or above their threshold; ``asks``: the labels a reviewer is asked about
    (``khitab.review.queue.asked_labels``); ``cues``: optional spans per label, offsets into the
    document like ``start``/``end`` (issue 21's shape)."""

    text: str
    doc_id: str
    start: int
    end: int
    model: str
    model_version: str
    scores: dict[str, float]
    thresholds: dict[str, float]
    flagged: list[str]
    asks: list[str]
    decision: str = "review"
    cues: dict[str, list[dict[str, Any]]] | None = None
    priority: float = 1.0
    top_score: float = 0.0
    created_at: datetime | None = field(default=None, compare=False)

    @property
    def item_id(self) -> str:
        return item_key(self.doc_id, self.text, self.start, self.end, self.model_version)

    def row(self) -> Item:
        return Item(
            item_id=self.item_id, text=self.text, text_sha256=text_digest(self.text), doc_id=self.doc_id,
            start=self.start, end=self.end, model=self.model, model_version=self.model_version,
            scores=dict(self.scores), thresholds=dict(self.thresholds), flagged=list(self.flagged),
            asks=list(self.asks), cues=self.cues, decision=self.decision, priority=self.priority,
            top_score=self.top_score, created_at=self.created_at or utcnow(),
        )


# --- SQLite ------------------------------------------------------------------------------


def _install_sqlite_hooks(engine: Engine) -> None:
    """WAL (readers never block the writer), synchronous=FULL (a commit is on disk before it
    returns: an acknowledged verdict survives a power cut, not only a killed process; it costs
    one WAL fsync per commit, and the reliability test's 400 single-verdict commits from 16
    threads take about 4 s in all on a shared 2-core machine, far above a reviewer's keypress
    rate), a busy timeout, foreign keys, and our own BEGIN so writes can begin IMMEDIATE."""

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # pysqlite's implicit BEGIN off: the hook below begins
        cursor = dbapi_connection.cursor()
        _enable_wal(cursor)
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _enable_wal(cursor, timeout_s: float = BUSY_TIMEOUT_MS / 1000) -> None:
    """Switch the file to WAL, waiting for other connections. SQLite answers a journal-mode
    change that meets another connection's lock with "database is locked" at once, without
    calling the busy handler (six threads opening a new store together hit it about once in
    thirty tries on a loaded machine), so the wait is ours: retry with backoff up to the
    busy timeout. WAL is stored in the file, so once one connection has switched, the others
    find it set."""
    deadline, pause = time.monotonic() + timeout_s, 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database in (None, "", ":memory:"):
        # one shared connection, or every session would see its own empty database (tests only)
        engine = create_engine(parsed, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
    _install_sqlite_hooks(engine)
    return engine


def store_url(target: str | Path) -> str:
    """A SQLAlchemy URL as it is; a plain path means a SQLite file there."""
    text = str(target)
    return text if "://" in text else f"sqlite:///{Path(text).expanduser()}"


class ReviewStore:
    """Items and verdicts behind a SQLAlchemy URL (a plain path: a SQLite file). Opening it
    creates or upgrades the schema to the newest migration (``migrate=False`` leaves it)."""

    def __init__(self, url: str | Path = "sqlite:///reviews.db", *, migrate: bool = True):
        self.url = store_url(url)
        self.engine = _engine(self.url)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False)
        if migrate:
            from khitab.review.migrate import upgrade

            upgrade(self)

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"ReviewStore({make_url(self.url).render_as_string(hide_password=True)!r})"

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for queries; closing it rolls back whatever it began."""
        with self._read() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction: committed when the block ends, rolled back on an exception."""
        with self._write() as session, session.begin():
            yield session

    def write_connection(self):
        """A connection whose transactions are write transactions (for migrations)."""
        return self.engine.execution_options(**{_WRITE: True}).connect()

    def revision(self) -> str | None:
        from khitab.review.migrate import current_revision

        return current_revision(self)

    def enqueue(self, items: Iterable[NewItem]) -> list[str]:
        """Queue ``items``; an item already in the store is left as it is. Returns every
        item's id, in order (queued now or before)."""
        items = list(items)
        ids = [item.item_id for item in items]
        for attempt in range(2):
            try:
                with self.writing() as session:
                    present = set(session.scalars(select(Item.item_id).where(Item.item_id.in_(set(ids)))))
                    fresh = {}
                    for item_id, item in zip(ids, items):
                        if item_id not in present and item_id not in fresh:
                            fresh[item_id] = item.row()
                    session.add_all(fresh.values())
                return ids
            except IntegrityError:
                # another writer queued one of them between our check and insert (servers
                # without SQLite's single writer); the second pass sees it and skips it
                if attempt:
                    raise
        return ids
