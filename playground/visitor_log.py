"""Logging what visitors cause: their values cut short, and repeats rate-limited.

A public Space logs a line for a refused upload or a failed request, and a visitor decides how long the
values in it are and how often it comes: 3,000 page loads of a link with a 1 KB value were megabytes of
log. :class:`VisitorLog` cuts every argument to :data:`ARG_CHARS` characters and writes at most ``burst``
records per kind of message (its template, or an explicit ``key``) in each ``window`` seconds; the first
record after a quiet window says how many were left out. The key is never the visitor's text, so sending
a thousand different values does not make a thousand different messages.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback

from playground.safe_input import cut

ARG_CHARS = 200  # how much of each value a log line repeats


class VisitorLog:
    """A logger for messages whose arguments come from visitors (see the module docstring)."""

    def __init__(self, logger: logging.Logger | str, window: float = 60.0, burst: int = 5,
                 arg_chars: int = ARG_CHARS, clock=time.monotonic):
        self.logger = logging.getLogger(logger) if isinstance(logger, str) else logger
        self.window, self.burst, self.arg_chars, self.clock = window, burst, arg_chars, clock
        self._lock = threading.Lock()
        self._seen: dict[str, list] = {}  # key -> [window start, records written, records left out]

    def _admit(self, key: str) -> tuple[bool, int]:
        """Whether a record of ``key`` may be written now, and how many were left out before it."""
        now = self.clock()
        with self._lock:
            entry = self._seen.get(key)
            if entry is None or now - entry[0] >= self.window:
                dropped = entry[2] if entry else 0
                self._seen[key] = [now, 1, 0]
                if len(self._seen) > 1000:  # keys are templates: a handful; bound the table anyway
                    self._seen = {key: self._seen[key]}
                return True, dropped
            if entry[1] < self.burst:
                entry[1] += 1
                return True, 0
            entry[2] += 1
            return False, 0

    def log(self, level: int, template: str, *args, key: str | None = None,
            stack_of: BaseException | None = None) -> bool:
        """Write ``template % args`` (``%s`` placeholders; each argument cut) unless its kind was logged
        ``burst`` times in this window; returns whether it was written. ``stack_of``: an exception whose
        frames follow the line (the frames only: its message may hold the visitor's text, so pass that as an
        argument)."""
        if not self.logger.isEnabledFor(level):
            return False
        written, dropped = self._admit(key or template)
        if written:
            if dropped:
                template += f" ({dropped:,} more like this in the last {self.window:g} s were not logged)"
            args = tuple(cut(a, self.arg_chars) for a in args)
            if stack_of is not None:
                template += "\n%s"
                args += ("Traceback (most recent call last):\n"
                         + "".join(traceback.format_tb(stack_of.__traceback__)).rstrip(),)
            self.logger.log(level, template, *args)
        return written

    def info(self, template: str, *args, **kwargs) -> bool:
        return self.log(logging.INFO, template, *args, **kwargs)

    def warning(self, template: str, *args, **kwargs) -> bool:
        return self.log(logging.WARNING, template, *args, **kwargs)

    def error(self, template: str, *args, **kwargs) -> bool:
        return self.log(logging.ERROR, template, *args, **kwargs)


__all__ = ["VisitorLog", "ARG_CHARS"]
