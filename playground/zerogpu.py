"""Hugging Face ZeroGPU: import the ``spaces`` package before torch, when it is installed.

On a ZeroGPU Space (``SPACES_ZERO_GPU=true``) ``import spaces`` patches torch so that the main process
never initialises CUDA (its ``@spaces.GPU`` functions run in forked worker processes that get the GPU), and
it refuses to start once CUDA is initialised. ``app.py`` calls :func:`import_spaces_first` as its very first
import; this module imports nothing else (no torch, no gradio) so that it can. Elsewhere ``spaces`` is
usually not installed and this does nothing; where it is, off a Space its decorator does nothing.
"""

from __future__ import annotations

import sys


def import_spaces_first() -> bool:
    """Import ``spaces`` now if it is installed; True when it is (then in ``sys.modules``).

    A ``spaces`` that is installed but fails to import raises: on a ZeroGPU Space that failure (for
    instance "CUDA has been initialized before importing the `spaces` package") must stop the app, not
    leave it without its GPU functions.
    """
    if sys.modules.get("spaces") is not None:
        return True
    try:
        import spaces  # noqa: F401  # type: ignore[import-not-found]
    except ModuleNotFoundError as exc:
        if exc.name != "spaces":  # spaces is there but something it needs is not
            raise
        return False
    return True


__all__ = ["import_spaces_first"]
