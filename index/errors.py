"""The exceptions the index library raises.

    Exception
     ├── SnapshotError   a snapshot cannot be published or loaded (missing, corrupt, wrong model)
     └── CorpusError     the corpus cannot be read at all, or yields no usable document

Malformed single inputs (a bad JSON line, an unreadable file) are not exceptions: they are
reported as `InputIssue`s in the `BuildReport` and skipped.
"""

from __future__ import annotations


class SnapshotError(Exception):
    """A snapshot is missing, corrupt, unpublished or built with another embedding model."""


class CorpusError(Exception):
    """The corpus path is unusable as a whole (missing, wrong type, no usable article)."""
