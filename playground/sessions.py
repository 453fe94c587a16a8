"""Moved to :mod:`playground.ui.sessions` (per-browser-session state is UI infrastructure).

Kept only for ``playground/ui/toy2d_handlers.py``, which still imports it from here; remove this module
once that import names ``playground.ui.sessions``.
"""

from playground.ui.sessions import SessionStore, free_session, is_page_session, mark_page_session, session_key

__all__ = ["SessionStore", "free_session", "is_page_session", "mark_page_session", "session_key"]
