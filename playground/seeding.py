"""Seeded draws from torch's one global random generator, safe while other threads draw from it too.

Building a network draws its initial weights from the global generator (``nn.Linear`` takes no generator of
its own), so a run that a seed must fix builds its networks inside :func:`seeded`: the generator is forked
(the caller's stream is left as it was), seeded, and held by this thread alone until the block ends. Without
the lock, two students' runs built at once reseeded each other's draws, and a shared link's "exact run" was
not. Every seeded use of the global generator in the app goes through here; draws that need no seed take a
``torch.Generator`` of their own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

_GLOBAL_RNG = threading.RLock()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """The global generator seeded with ``seed`` for this block, for this thread alone, then restored."""
    with _GLOBAL_RNG, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
