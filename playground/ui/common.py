"""Small pieces every tab shares: error handling, session keys, help text styling."""

from __future__ import annotations

import functools
import inspect
import logging

import gradio as gr

from playground.errors import UserError
from playground.sessions import session_key  # re-exported for tab modules

log = logging.getLogger("playground.ui")

__all__ = ["user_errors", "session_key", "explain"]


def _to_gr_error(exc: Exception) -> gr.Error:
    if isinstance(exc, UserError):
        return gr.Error(str(exc))
    log.exception("unexpected error in a UI handler")
    return gr.Error(f"Something went wrong ({type(exc).__name__}: {exc}). The session is still usable.")


def user_errors(fn):
    """Turn exceptions from library code into ``gr.Error`` toasts (never a traceback in the page).

    Works for plain functions and for generator handlers (live training loops).
    """
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as exc:  # noqa: BLE001 - shown to the user
                raise _to_gr_error(exc) from exc

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:  # noqa: BLE001 - shown to the user
            raise _to_gr_error(exc) from exc

    return wrapper


def explain(text: str) -> gr.Markdown:
    """A one-line explanation under a control, in the muted style of the help texts."""
    return gr.Markdown(text, elem_classes=["explain"])
