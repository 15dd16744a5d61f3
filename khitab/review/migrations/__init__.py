"""Alembic migrations of the review store (``khitab.review.migrate`` runs them)."""
