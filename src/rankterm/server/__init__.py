"""The task server: projects, leases, judgments and adjudication over HTTP (optional extra).

Everything under this package may import FastAPI and SQLAlchemy; nothing outside it may, so an
annotator's install without the ``server`` extra still works. Build an app with
:func:`rankterm.server.app.create_app`; no engine exists until a factory or command makes one.
"""
