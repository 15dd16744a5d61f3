"""Cue spans on items (issue 21's explanations), and an index for "what has this reviewer judged".

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("cues", sa.JSON(), nullable=True))
    op.create_index("ix_verdicts_reviewer", "verdicts", ["reviewer", "item_id", "label"])


def downgrade() -> None:
    op.drop_index("ix_verdicts_reviewer", table_name="verdicts")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("cues")
