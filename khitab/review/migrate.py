"""Schema migrations for the review store, run in code (Alembic, no alembic.ini needed).

The versioned scripts live in ``khitab/review/migrations/versions`` and ship inside the
package. ``upgrade(store)`` brings a store to the newest revision inside one write transaction
(on SQLite: ``BEGIN IMMEDIATE``, so two processes opening a new store at once take turns and
the second finds it done; elsewhere the second one's DDL waits for the first one's and fails,
and ``upgrade`` then finds the store at the revision asked and carries on).
"""
from __future__ import annotations

import threading

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

SCRIPT_LOCATION = "khitab.review:migrations"
# Alembic runs env.py through a module-global context proxy, so two threads of one process
# must not migrate at once (they deadlock on PostgreSQL); processes are serialised by the database.
_ALEMBIC = threading.Lock()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(store) -> str | None:
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(store, revision: str = "head") -> None:
    """Upgrade ``store`` (a ``ReviewStore``) to ``revision``; nothing to do is cheap."""
    if revision == "head" and current_revision(store) == head_revision():
        return
    config = alembic_config()
    with _ALEMBIC:
        try:
            with store.write_connection() as connection, connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
        except Exception:
            if revision != "head" or current_revision(store) != head_revision():
                raise  # not a concurrent upgrade that got there first
