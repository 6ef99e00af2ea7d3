"""Audit's documents: access records and profile histories (``records``), export jobs with
their files and commits (``export_jobs``), and the export's on-disk sort (``spool``, a
temporary SQLite file: an adapter, not a collection)."""
