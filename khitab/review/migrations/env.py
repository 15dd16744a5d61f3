"""Alembic environment: migrations run on the connection ``khitab.review.migrate`` passes in
(inside its write transaction); there is no offline (SQL script) mode."""
from alembic import context

from khitab.review.store import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the review store's migrations through khitab.review.migrate.upgrade")
# render_as_batch: ALTERs that SQLite cannot do are rebuilt table by table, elsewhere plain ALTER
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
