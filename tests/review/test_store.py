"""The store: migrations in code, idempotent enqueue, SQLite settings, append-only verdicts."""
import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from khitab.review import ReviewStore, record_verdicts, verdict_history
from khitab.review.migrate import head_revision, upgrade
from khitab.review.store import Base, item_key
from tests.review.conftest import make_items


def test_an_empty_database_is_migrated_to_the_newest_revision(tmp_path):
    with ReviewStore(tmp_path / "new" / "reviews.db") as store:
        assert store.revision() == head_revision() == "0002"
        assert {"items", "verdicts", "alembic_version"} <= set(inspect(store.engine).get_table_names())
        # the migrations build exactly the models' schema (columns, types, indexes, constraints)
        with store.engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    with ReviewStore(tmp_path / "new" / "reviews.db") as again:  # reopening is a no-op
        assert again.revision() == "0002"


def test_a_database_at_revision_1_upgrades_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    old = ReviewStore(path, migrate=False)
    upgrade(old, "0001")
    assert old.revision() == "0001"
    assert "cues" not in {c["name"] for c in inspect(old.engine).get_columns("items")}
    old.close()
    with sqlite3.connect(path) as raw:  # a row written by revision-1 code
        raw.execute(
            "INSERT INTO items (item_id, text, text_sha256, doc_id, start, \"end\", model, model_version, scores, "
            "thresholds, flagged, asks, decision, priority, top_score, created_at) "
            "VALUES ('abc', 'نص', 'x', 'd', 0, 2, 'm', 'v0', "
            "'{\"threat\": 0.9}', '{\"threat\": 0.5}', '[\"threat\"]', '[\"threat\"]', 'review', 0.4, 0.9, "
            "'2026-12-01 10:00:00')"
        )
    with ReviewStore(path) as store:
        assert store.revision() == "0002"
        assert record_verdicts(store, [{"item_id": "abc", "label": "threat", "verdict": "confirm", "reviewer": "r"}])
        (entry,) = verdict_history(store)
        assert entry["model_version"] == "v0"
        from khitab.review import next_items

        (item,) = next_items(store, "someone-else")
        assert item.item_id == "abc" and item.cues is None


def test_sqlite_runs_in_wal_with_full_sync_and_a_busy_timeout(tmp_path):
    with ReviewStore(tmp_path / "reviews.db") as store, store.engine.connect() as connection:
        pragma = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                  for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")}
    assert pragma == {"journal_mode": "wal", "synchronous": 2, "busy_timeout": 30000, "foreign_keys": 1}


def test_enqueue_is_idempotent_per_sentence_offsets_and_model_version(store):
    first = store.enqueue(make_items())
    again = store.enqueue(make_items() + make_items())
    assert again == first + first and len(set(first)) == 6
    newer = store.enqueue(make_items(model_version="v2"))
    assert set(newer).isdisjoint(first)
    other_doc = store.enqueue(make_items(doc_id="doc-2"))
    assert set(other_doc).isdisjoint(first)
    from khitab.review import stats

    assert stats(store)["items"] == 18
    item = make_items()[0]
    assert first[0] == item_key("doc-1", item.text, item.start, item.end, "v1")


def test_a_verdict_keeps_the_model_version_it_judged(store):
    (old,) = store.enqueue(make_items()[:1])
    record_verdicts(store, [{"item_id": old, "label": "threat", "verdict": "confirm", "reviewer": "a"}])
    (new,) = store.enqueue(make_items(model_version="v2")[:1])
    record_verdicts(store, [{"item_id": new, "label": "threat", "verdict": "reject", "reviewer": "a"}])
    assert [(v["item_id"], v["model_version"]) for v in verdict_history(store)] == [(old, "v1"), (new, "v2")]


def test_verdicts_are_appended_never_replaced(store, queued):
    body = {"item_id": queued[0], "label": "threat", "reviewer": "a"}
    ids = [record_verdicts(store, [{**body, "verdict": v}])[0] for v in ("confirm", "reject", "confirm")]
    assert ids == sorted(ids)
    assert [v["verdict"] for v in verdict_history(store, queued[0])] == ["confirm", "reject", "confirm"]


def test_a_plain_path_and_memory_urls_work(tmp_path):
    with ReviewStore(str(tmp_path / "plain.db")) as store:
        assert store.url.startswith("sqlite:///") and store.revision() == "0002"
    with ReviewStore("sqlite://") as memory:
        assert memory.enqueue(make_items()[:2])
        assert len(verdict_history(memory)) == 0


def test_processes_opening_a_new_store_at_once_all_get_the_newest_revision(review_url):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    code = "import sys; from khitab.review import ReviewStore; print(ReviewStore(sys.argv[1]).revision())"
    processes = [subprocess.Popen([sys.executable, "-c", code, review_url], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [process.communicate(timeout=120) for process in processes]
    assert [p.returncode for p in processes] == [0] * 4, [err for _, err in results]
    assert [out.strip() for out, _ in results] == ["0002"] * 4


def test_threads_opening_a_new_store_at_once_all_get_the_newest_revision(review_url):
    import threading

    start, errors, revisions = threading.Barrier(6), [], []

    def open_store():
        try:
            start.wait()
            with ReviewStore(review_url) as store:
                revisions.append(store.revision())
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and revisions == ["0002"] * 6


class _LockedCursor:
    """A cursor whose journal-mode switch meets a lock ``locked_times`` times, then succeeds."""

    def __init__(self, locked_times: int, message: str = "database is locked"):
        self.locked_times, self.message, self.calls = locked_times, message, 0

    def execute(self, sql):
        self.calls += 1
        if self.calls <= self.locked_times:
            raise sqlite3.OperationalError(self.message)


def test_switching_to_wal_waits_out_a_lock_that_sqlite_reports_without_waiting():
    import pytest

    from khitab.review.store import _enable_wal

    cursor = _LockedCursor(locked_times=3)
    _enable_wal(cursor, timeout_s=5)
    assert cursor.calls == 4
    with pytest.raises(sqlite3.OperationalError, match="locked"):  # a lock that outlasts the timeout
        _enable_wal(_LockedCursor(locked_times=10**6), timeout_s=0.05)
    other = _LockedCursor(locked_times=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):  # not a lock: raised at once
        _enable_wal(other, timeout_s=5)
    assert other.calls == 1
