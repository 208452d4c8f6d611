"""The lender's data: SQLAlchemy models, sessions and migrations."""
