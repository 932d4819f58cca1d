"""Storage: the files rankterm reads and writes, and nothing above them.

- :mod:`~rankterm.storage.index` (with :mod:`~.scan`, :mod:`~.ids`, :mod:`~.sidecar`): the
  byte-offset index over a pairs file, which opens a million pairs fast.
- :mod:`~rankterm.storage.journal`: the append-only, fsynced journal of verdicts.
- :mod:`~rankterm.storage.journal_columns` and :mod:`~rankterm.storage.pair_columns`: lean
  columnar readers of both, for analytics at scale.
- :mod:`~rankterm.storage.private_files`: files only their owner may read.

Importing this package imports none of them: each caller pays only for what it uses.
"""
