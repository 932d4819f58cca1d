"""Alembic migrations, configured in code by :mod:`rankterm.server.migrate` (no alembic.ini)."""
