"""Gradio's per-session state, made lean: each component's config is copied for a session when it is read.

Gradio makes a ``SessionState`` for every session hash on its first call, API calls and page-less
loads included. Its constructor builds ``config_values``: the config of every block of the page (375 here),
a ~0.45 MB tree of dicts and lists, made in ~0.07 s of a 2-core machine while holding the interpreter lock.
Gradio reads that copy in one place only, ``GET /gradio_api/deep_link`` (its own deep links, which this app
does not use and closes: :mod:`playground.ui.closed_routes`), and writes an entry when a handler changes a
component. So every fresh session paid ~0.45 MB and 0.07 s for nothing: 600 page-less page loads took 41 s
and took the server from 0.8 to 1.29 GB (benchmarks/memory.py); with this, 19 s and 1.05 GB.

:class:`LeanSessionState` is Gradio's own class with ``config_values`` as :class:`LazyConfigs`: the same
mapping, whose entries are made from the session's blocks when first read (by key, or all of them when it is
iterated, as the deep link does). Nothing else changes: the mapping's keys, values and order are those
Gradio's constructor would have made (tests/ui/test_gradio_state.py compares them on the real page).
:func:`install` has Gradio's ``StateHolder`` make these.
"""

from __future__ import annotations

from collections.abc import MutableMapping

from gradio import state_holder


_NOT_MADE = object()  # an entry whose config has not been read yet


class LazyConfigs(MutableMapping):
    """``SessionState.config_values``: block id -> that block's config, made from ``blocks_config`` when first
    read. ``keys`` are the ids Gradio's constructor makes entries for, in its order."""

    def __init__(self, blocks_config, keys):
        self._blocks_config = blocks_config
        self._configs = dict.fromkeys(keys, _NOT_MADE)

    def __getitem__(self, key):
        value = self._configs[key]
        if value is _NOT_MADE:
            blocks = self._blocks_config.blocks
            value = self._configs[key] = self._blocks_config.config_for_block(key, [], blocks[key])
        return value

    def __setitem__(self, key, value) -> None:
        self._configs[key] = value

    def __delitem__(self, key) -> None:
        del self._configs[key]

    def __iter__(self):
        return iter(list(self._configs))

    def __len__(self) -> int:
        return len(self._configs)

    def __contains__(self, key) -> bool:  # without making the config (Mapping's own would read it)
        return key in self._configs


class _WithoutBlocks:
    """A ``Blocks`` as ``SessionState.__init__`` sees it: its own config, but no blocks to copy configs of."""

    blocks: dict = {}

    def __init__(self, blocks):
        self._blocks = blocks

    def __getattr__(self, name):
        return getattr(self._blocks, name)


class LeanSessionState(state_holder.SessionState):
    """Gradio's ``SessionState`` whose ``config_values`` are made when read (:class:`LazyConfigs`)."""

    def __init__(self, blocks):
        super().__init__(_WithoutBlocks(blocks))  # every attribute Gradio sets, with config_values empty
        ids = [k for k in self.blocks_config.blocks if k in blocks.blocks]  # Gradio's keys, in its order
        self.config_values = LazyConfigs(self.blocks_config, ids)


def install() -> None:
    """Have Gradio's ``StateHolder`` make :class:`LeanSessionState` (it looks the class up in its module)."""
    state_holder.SessionState = LeanSessionState
