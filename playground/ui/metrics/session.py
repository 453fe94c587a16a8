"""What one browser session of the metrics tab holds: its feature cache and its uploads, deleted when the
session ends (a file two sessions uploaded is deleted with the last of them)."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

from playground.errors import RequestCancelled
from playground.metrics.features import FeatureCache

# Gradio stores an upload under a name derived from its content, so two sessions that upload the same
# file get the same path: a file is deleted only when the last session that uploaded it is gone.
_upload_owners: dict[str, set[int]] = {}
_owners_lock = threading.Lock()


class Session:
    """What one browser session holds: its feature cache and the upload paths to delete at the end."""

    def __init__(self):
        self.cache = FeatureCache(max_items=8)
        self.uploads: set[str] = set()
        self.lock = threading.Lock()  # one computation at a time per session
        self.closed = threading.Event()  # the store dropped the session: tab closed or evicted

    def claim(self, paths: list[str]) -> None:
        with _owners_lock:
            for p in paths:
                self.uploads.add(p)
                _upload_owners.setdefault(p, set()).add(id(self))

    @contextmanager
    def computing(self):
        """Hold the session for one computation; a session dropped meanwhile is cleaned up at the end."""
        try:
            with self.lock:
                if self.closed.is_set():
                    raise RequestCancelled("This session was closed; reload the page.")
                yield
        finally:
            if self.closed.is_set():
                self._delete()

    def forget(self) -> None:
        """Drop the cache and delete the uploads, now or (when a computation runs) when it stops."""
        self.closed.set()  # a running computation sees this at its next batch and stops
        if not self.lock.locked():
            self._delete()

    def _delete(self) -> None:
        self.cache.clear()
        orphans = []
        with _owners_lock:
            for p in self.uploads:
                owners = _upload_owners.get(p, set())
                owners.discard(id(self))
                if not owners:
                    _upload_owners.pop(p, None)
                    orphans.append(p)
            self.uploads.clear()
        for p in orphans:
            try:
                os.unlink(p)
                parent = Path(p).parent
                if parent.name and not any(parent.iterdir()):
                    parent.rmdir()  # Gradio puts each upload in its own folder
            except OSError:
                pass
