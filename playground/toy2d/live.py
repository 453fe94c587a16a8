"""Training on its own thread while somebody else draws: the engine behind the tab's Play button.

Drawing a frame (pictures, JPEG, the web framework sending it) takes a few tens of milliseconds; done
on the training thread, that time is lost to training. :class:`LiveRun` trains a
:class:`~playground.toy2d.trainer.Trainer` on a background thread in small chunks and, when the
drawing thread asks, copies the weights *between two chunks* (:meth:`Trainer.view_copy`, a fraction
of a millisecond: the picture always shows one consistent state); the drawing thread then takes the
:meth:`~Trainer.snapshot` of that copy while training goes on. Only the training thread touches the
trainer while it runs.

Safety: ``stop()`` ends it within one chunk; it also ends by itself when ``stop_event`` is set, after
``max_seconds``, when nobody asked for a snapshot for ``idle_seconds`` (the page went away), or when
training fails (the exception is kept in ``error`` and re-raised by :meth:`snapshot`).
"""

from __future__ import annotations

import threading
import time

from playground.toy2d.trainer import Trainer


class LiveRun:
    def __init__(self, trainer: Trainer, lock: threading.Lock | None = None, *, max_rate: float | None = None,
                 chunk: int = 10, stop_event: threading.Event | None = None, max_seconds: float = 600.0,
                 idle_seconds: float = 10.0):
        self.trainer = trainer
        self.lock = lock or threading.Lock()  # held while training a chunk (other handlers take it too)
        self.max_rate = max_rate  # iterations per second at most (None: as fast as possible)
        self.chunk = int(chunk)
        self.stop_event = stop_event or threading.Event()
        self.max_seconds = max_seconds
        self.idle_seconds = idle_seconds
        self.error: BaseException | None = None
        self._halt = threading.Event()
        self._request: dict | None = None
        self._answer = None
        self._copy: Trainer | None = None
        self._cond = threading.Condition()
        self._last_request = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="toy2d-live", daemon=True)

    # ---- the training thread ----------------------------------------------------------------------

    def _should_stop(self, started: float) -> bool:
        now = time.monotonic()
        return (self._halt.is_set() or self.stop_event.is_set() or now - started > self.max_seconds
                or now - self._last_request > self.idle_seconds)

    def _serve_request(self) -> None:
        with self._cond:
            req = self._request
        if req is None:
            return
        try:
            self._copy = self.trainer.view_copy(self._copy)
            answer = self._copy
        except BaseException as exc:  # noqa: BLE001 - handed to the drawing thread
            answer = exc
        with self._cond:
            self._answer, self._request = answer, None
            self._cond.notify_all()

    def _run(self) -> None:
        started = time.monotonic()
        it0 = self.trainer.iteration
        try:
            while not self._should_stop(started):
                with self.lock:
                    self.trainer.step(self.chunk)
                self._serve_request()
                if self.max_rate:  # slow motion: never run ahead of the requested rate
                    ahead = (self.trainer.iteration - it0) / self.max_rate - (time.monotonic() - started)
                    while ahead > 0 and not self._should_stop(started):
                        with self._cond:
                            if self._request is None:
                                self._cond.wait(min(ahead, 0.02))
                        self._serve_request()
                        ahead = (self.trainer.iteration - it0) / self.max_rate - (time.monotonic() - started)
        except BaseException as exc:  # noqa: BLE001 - kept for the drawing thread
            self.error = exc
        finally:
            with self._cond:
                self._halt.set()
                self._cond.notify_all()

    # ---- the drawing thread -----------------------------------------------------------------------

    def start(self) -> "LiveRun":
        self._last_request = time.monotonic()
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def snapshot(self, timeout: float = 5.0, **kwargs) -> dict:
        """The snapshot of the weights as they were between two training chunks (taken directly
        once training has ended). Runs in the caller's thread, while training continues."""
        self._last_request = time.monotonic()
        if self.error is not None:
            raise self.error
        answer = None
        with self._cond:
            if not self._halt.is_set():
                self._request, self._answer = kwargs, None
                deadline = time.monotonic() + timeout
                while self._answer is None and not self._halt.is_set() and time.monotonic() < deadline:
                    self._cond.wait(0.05)
                answer, self._answer, self._request = self._answer, None, None
                if isinstance(answer, BaseException):
                    raise answer
        if answer is not None:
            return answer.snapshot(**kwargs)
        if self.error is not None:
            raise self.error
        with self.lock:  # training has stopped: draw the final state ourselves
            return self.trainer.snapshot(**kwargs)

    def stop(self, timeout: float = 5.0) -> None:
        self._halt.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
