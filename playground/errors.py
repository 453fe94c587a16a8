"""Errors whose message is meant for the person using the app.

Library code raises :class:`UserError` with a sentence a student can act on; the UI turns it into a
``gr.Error`` toast instead of a traceback.
"""


class UserError(ValueError):
    """Bad input or an impossible request, explained in plain words."""


class SessionsFull(UserError):
    """Every model slot is held by another browser session."""


class WorkLimitExceeded(UserError):
    """A request needs more work than the shared app gives one request (images or seconds)."""


class RequestCancelled(UserError):
    """The page or client that asked for the work went away, so the work was stopped."""
