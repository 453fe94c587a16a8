"""How much work one request may cost: images per set, seconds, and stopping when the asker has gone.

The library and the CLI run without limits; the shared web app passes :class:`WorkLimits` so one
upload cannot hold the only metrics worker for minutes while other students wait in the queue.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from playground.errors import RequestCancelled, WorkLimitExceeded

__all__ = ["WorkLimits", "Budget"]

CLI_HINT = "run `python -m playground.metrics` on your own machine for larger sets"


@dataclass
class WorkLimits:
    """Caps for one request. ``should_stop()`` says the page or client went away; ``clock`` is for tests."""

    max_images_per_set: int | None = None
    max_seconds: float | None = None
    should_stop: Callable[[], bool] | None = None
    estimate_after_s: float = 3.0  # judge the projected time only after this much work (a steady rate)
    clock: Callable[[], float] = time.monotonic


class Budget:
    """The running account of one request against its :class:`WorkLimits`."""

    def __init__(self, limits: WorkLimits | None):
        self.limits = limits or WorkLimits()
        self.started: float | None = None

    def check_count(self, n: int, label: str) -> None:
        cap = self.limits.max_images_per_set
        if cap is not None and n > cap:
            raise WorkLimitExceeded(
                f"The {label} set holds {n:,} images; this shared app measures at most {cap:,} per set. "
                f"Use a subset, or {CLI_HINT}."
            )

    def start(self) -> None:
        """Start the clock (after the networks are loaded: a first-use download is not the user's work)."""
        self.stop_if_asked()
        self.started = self.limits.clock()

    def stop_if_asked(self) -> None:
        if self.limits.should_stop is not None and self.limits.should_stop():
            raise RequestCancelled("Stopped: the page or client that asked for these metrics went away.")

    def checker(self, label: str) -> Callable[[int, int], None]:
        """``check(done, total)`` for one set's feature extraction (see ``extract_features``)."""
        stage_start = self.limits.clock()

        def check(done: int, total: int) -> None:
            self.stop_if_asked()
            cap = self.limits.max_seconds
            if cap is None or self.started is None:
                return
            now = self.limits.clock()
            if now - self.started > cap:
                raise WorkLimitExceeded(
                    f"Stopped after {cap:.0f} s: this shared app gives one request at most {cap:.0f} s of "
                    f"computing. Use fewer images, or {CLI_HINT}."
                )
            spent = now - stage_start
            if done > 0 and spent >= self.limits.estimate_after_s:
                rate = done / spent
                projected = (now - self.started) + (total - done) / rate
                if projected > cap:
                    fit = int(rate * cap)
                    raise WorkLimitExceeded(
                        f"At {rate:.1f} images/s this request needs at least {projected:.0f} s ({label} "
                        f"images: {done:,} of {total:,} done); this shared app gives one request at most "
                        f"{cap:.0f} s, so it stopped early. Use fewer images (about {fit:,} in all fit), "
                        f"or {CLI_HINT}."
                    )

        return check
