"""Small pieces every tab shares: error handling, session keys, help text styling."""

from __future__ import annotations

import contextlib
import functools
import html
import inspect
import logging
import threading
import traceback

import gradio as gr

from playground.errors import UserError
from playground.safe_input import cut
from playground.ui.sessions import session_key  # re-exported for tab modules
from playground.visitor_log import VisitorLog

log = logging.getLogger("playground.ui")
# Refusals and failures of handlers: a visitor decides their text and how often they come.
handler_log = VisitorLog(log)

__all__ = ["user_errors", "toast", "warning_toast", "session_key", "explain", "named_inputs", "by_component", "on",
           "share_panel",
           "wire_copy_link", "LinkTarget", "server_started", "after_server_start",
           "started_lifespan"]

# Set when the web server has started (``started_lifespan``, passed to ``launch`` by ``app.launch_kwargs``): work
# that can wait (a precomputed example, warm-ups) starts then, so that it does not slow the page's first serving.
server_started = threading.Event()


@contextlib.asynccontextmanager
async def started_lifespan(app):
    """The web app's lifespan: marks the server started (:data:`server_started`)."""
    server_started.set()
    yield


def after_server_start(fn, name: str, max_wait: float = 30.0) -> threading.Thread:
    """Run ``fn()`` in a daemon thread once the server has started (or after ``max_wait`` seconds, for an app
    launched without ``started_lifespan``); an exception is logged."""

    def run():
        server_started.wait(max_wait)
        try:
            fn()
        except Exception:  # noqa: BLE001 - background work: the page goes on without it
            log.exception("background task %s failed", name)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


def toast(message: str) -> gr.Error:
    """An error toast showing ``message`` as text. Gradio renders a toast's message as HTML, and messages
    quote visitors' values (file and member names, group text), so the message is escaped here, once for
    every toast: a name like ``<a href=…>`` shows as those characters, never as a link. Gradio does not
    print the traceback (the caller logs what is worth logging, bounded)."""
    return gr.Error(html.escape(message, quote=False), print_exception=False)


def warning_toast(message: str) -> None:
    """Show ``message`` as a warning toast, escaped as :func:`toast` does. Unlike a raised error it leaves the
    event's outputs alone (a raised ``gr.Error`` also puts a red "Error" badge on every output)."""
    gr.Warning(html.escape(message, quote=False))


def _to_gr_error(exc: Exception) -> gr.Error:
    if isinstance(exc, UserError):
        handler_log.info("refused a request: %s", str(exc), key=type(exc).__name__)
        return toast(str(exc))
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"  # one bug, one key
    handler_log.error("unexpected error in a UI handler: %s: %s", type(exc).__name__, str(exc),
                      key=f"{type(exc).__name__} at {where}", stack_of=exc)
    return toast(f"Something went wrong ({type(exc).__name__}: {cut(str(exc), 200)}). The session is still usable.")


@contextlib.contextmanager
def _errors_as_toasts():
    """Exceptions raised inside leave as ``gr.Error`` toasts; a ``gr.Error`` and BaseExceptions (a closed
    generator's GeneratorExit, Ctrl-C) pass unchanged."""
    try:
        yield
    except gr.Error:
        raise
    except Exception as exc:  # noqa: BLE001 - shown to the user
        raise _to_gr_error(exc) from exc


def named_inputs(names, fn, clicked: bool = False):
    """A Gradio handler whose parameters are ``names`` (then ``request``) calling ``fn(values, request)``
    with the inputs as one dict keyed by those names.

    Handlers read their inputs by name instead of unpacking ``*values`` against a list kept in order by
    hand, and API users (gradio_client) see the real parameter names. Works for plain functions,
    generators, coroutines and async generators. When ``fn`` takes a ``progress`` argument, the handler
    declares one defaulting to ``gr.Progress()`` (that is how Gradio finds it) and passes it on.
    ``clicked=True`` (a gallery's select event): the clicked item's index comes as ``values["clicked"]``;
    Gradio hands a click only to a parameter annotated ``gr.SelectData``, which the handler declares.
    """
    names = list(names)
    n = len(names)
    wants_progress = "progress" in inspect.signature(fn).parameters
    params = [inspect.Parameter(x, inspect.Parameter.POSITIONAL_OR_KEYWORD) for x in names]
    params.append(inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.Request))
    if clicked:
        params.append(inspect.Parameter("clicked", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=gr.SelectData))
    if wants_progress:
        params.append(inspect.Parameter("progress", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=gr.Progress()))

    def split(args, kwargs):
        values = dict(zip(names, args[:n]))
        values.update({k: v for k, v in kwargs.items() if k in names})
        request = args[n] if len(args) > n else kwargs.get("request")
        rest = list(args[n + 1:])
        if clicked:
            event = rest.pop(0) if rest else kwargs.get("clicked")
            values["clicked"] = getattr(event, "index", None)
        extra = {}
        if wants_progress:
            extra["progress"] = rest.pop(0) if rest else kwargs.get("progress", gr.Progress())
        return (values, request), extra

    if inspect.isasyncgenfunction(fn):
        async def handler(*args, **kwargs):
            a, kw = split(args, kwargs)
            async for out in fn(*a, **kw):
                yield out
    elif inspect.iscoroutinefunction(fn):
        async def handler(*args, **kwargs):
            a, kw = split(args, kwargs)
            return await fn(*a, **kw)
    elif inspect.isgeneratorfunction(fn):
        def handler(*args, **kwargs):
            a, kw = split(args, kwargs)
            yield from fn(*a, **kw)
    else:
        def handler(*args, **kwargs):
            a, kw = split(args, kwargs)
            return fn(*a, **kw)

    handler.__signature__ = inspect.Signature(params)
    handler.__annotations__ = {"request": gr.Request, **({"clicked": gr.SelectData} if clicked else {})}
    handler.__name__ = getattr(fn, "__name__", "handler")
    handler.__doc__ = fn.__doc__
    return handler


def by_component(c: dict, outputs, fn):
    """``fn`` returns (or yields) its outputs as a dict by name, the keys of ``c``; Gradio gets them by
    component. An output ``fn`` leaves out stays as it is (no positional padding anywhere); a name that is not
    among ``outputs`` is a bug in the tab and raises ``KeyError``, so a test of the wiring catches it."""
    allowed = {name: c[name] for name in outputs}

    def convert(result):
        if not isinstance(result, dict):
            raise TypeError(f"{getattr(fn, '__name__', fn)} must return its outputs as a dict by name, "
                            f"not {type(result).__name__}")
        unknown = set(result) - set(allowed)
        if unknown:
            raise KeyError(f"{getattr(fn, '__name__', fn)} returned outputs it is not wired to: {sorted(unknown)}")
        if not allowed:  # an event with no outputs (Pause): Gradio wants nothing back
            return None
        # an empty answer changes nothing (Gradio reads an empty dict as one value, and one skip() as "all")
        return {allowed[k]: v for k, v in result.items()} if result else gr.skip()

    if inspect.isasyncgenfunction(fn):
        async def handler(*args, **kwargs):
            async for out in fn(*args, **kwargs):
                yield convert(out)
    elif inspect.iscoroutinefunction(fn):
        async def handler(*args, **kwargs):
            return convert(await fn(*args, **kwargs))
    elif inspect.isgeneratorfunction(fn):
        def handler(*args, **kwargs):
            for out in fn(*args, **kwargs):
                yield convert(out)
    else:
        def handler(*args, **kwargs):
            return convert(fn(*args, **kwargs))

    functools.update_wrapper(handler, fn)
    return handler


def on(trigger, c: dict, fn, inputs=(), outputs=(), clicked: bool = False, **event_kwargs):
    """Wire a tab's handler to an event: ``trigger`` (e.g. ``c["run"].click``) calls ``fn(values, request)``
    with the inputs named ``inputs`` as a dict by name, and ``fn`` returns (or yields) a dict of some of the
    outputs named ``outputs``. Errors become toasts (:func:`user_errors`). ``clicked=True`` for a gallery's
    select event: the clicked item's index is ``values["clicked"]``. Returns Gradio's event, for ``.then``.

    Every tab wires its Python handlers through here: handlers never see a component nor a position."""
    handler = named_inputs(inputs, user_errors(by_component(c, outputs, fn)), clicked=clicked)
    return trigger(handler, [c[n] for n in inputs], [c[n] for n in outputs], **event_kwargs)


def user_errors(fn):
    """Turn exceptions from library code into ``gr.Error`` toasts (never a traceback in the page).

    Works for plain functions, coroutines, and generator handlers (live training loops), sync or async.
    """
    if inspect.isasyncgenfunction(fn):

        @functools.wraps(fn)
        async def agen_wrapper(*args, **kwargs):
            with _errors_as_toasts():
                async for out in fn(*args, **kwargs):
                    yield out

        return agen_wrapper

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def coro_wrapper(*args, **kwargs):
            with _errors_as_toasts():
                return await fn(*args, **kwargs)

        return coro_wrapper

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            with _errors_as_toasts():
                yield from fn(*args, **kwargs)

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _errors_as_toasts():
            return fn(*args, **kwargs)

    return wrapper


def explain(text: str) -> gr.Markdown:
    """A one-line explanation under a control, in the muted style of the help texts."""
    return gr.Markdown(text, elem_classes=["explain"])


# The page composes the link from its own address and the query the handler made, and copies it.
COPY_LINK_JS = """(q) => { const u = location.origin + location.pathname + q;
  if (navigator.clipboard) navigator.clipboard.writeText(u).catch(() => {}); return u; }"""


def share_panel(c: dict, tab_id: str, groups, about: str, title: str = "Share this view / presenter view",
                lock_label: str | None = None, extra=None) -> None:
    """A tab's "Share / presenter view" panel, into ``c``: ``group:share``, ``link_hide``, ``link_big``,
    ``link_lock`` (with ``lock_label``), ``link_btn`` and ``link_box``; ``extra()`` adds a tab's own options."""
    with gr.Accordion(title, open=False) as c["group:share"]:
        explain(about)
        with gr.Row():
            c["link_hide"] = gr.CheckboxGroup(list(groups), value=[], label="Hide these groups")
            with gr.Column():
                if lock_label:
                    c["link_lock"] = gr.Checkbox(False, label=lock_label)
                c["link_big"] = gr.Checkbox(False, label="Large type (projector)")
                if extra is not None:
                    extra()
        with gr.Row():
            c["link_btn"] = gr.Button("Copy link", variant="primary", elem_id=f"{tab_id}-copy-link")
            c["link_box"] = gr.Textbox(label="Link", interactive=False, buttons=["copy"], elem_id=f"{tab_id}-link")


def wire_copy_link(c: dict, make_link, names: list[str]) -> None:
    """Copy link: ``make_link(values, request)`` returns the query of the inputs ``names``; the page adds its
    address, shows the link and copies it."""

    def copy_link(values: dict, request) -> dict:
        return {"link_box": make_link(values, request)}

    on(c["link_btn"].click, c, copy_link, names, ("link_box",), api_name=False,
       preprocess=False).then(None, c["link_box"], c["link_box"], js=COPY_LINK_JS)



class LinkTarget:
    """What an opened share link sets in one tab, built from the tab's link schema (``share.schema(tab)``).

    ``sets``: the names (keys of ``c``) of the components a link sets; ``values(state, options)`` returns the
    link's value or update for some of them by name (the others are left as they are). Every tab's link
    also shows or hides its control groups (``hide=``; the share panel goes when anything is hidden or the
    page is locked: a student's page has no link builder). ``after(event)``, when given, chains what the tab
    does once the controls are set (e.g. compute the link's pictures). ``playground/ui/app.py`` dispatches
    links to the targets by tab and wires :attr:`outputs`, the components of :attr:`names`.
    """

    def __init__(self, c: dict, tab: str, sets, values, after=None):
        from playground import share

        self.c, self.tab = c, tab
        self.groups = share.schema(tab).groups
        self.sets = tuple(sets)
        self.names = (*self.sets, *(f"group:{g}" for g in self.groups), "group:share")
        self.outputs = [c[n] for n in self.names]
        self._values, self._after = values, after

    def updates(self, state: dict, options: dict) -> dict:
        """The outputs the link changes, by name: the values it sets, and every group's visibility."""
        out = dict(self._values(state, options))
        unknown = set(out) - set(self.sets)
        if unknown:
            raise KeyError(f"the {self.tab} link sets components it did not declare: {sorted(unknown)}")
        hidden = set(options.get("hide") or ())
        out.update({f"group:{g}": gr.update(visible=g not in hidden) for g in self.groups})
        out["group:share"] = gr.update(visible=not (hidden or options.get("lock")))
        return out

    def by_component(self, state: dict, options: dict) -> dict:
        """:meth:`updates` keyed by component, as Gradio takes them."""
        return {self.c[n]: v for n, v in self.updates(state, options).items()}

    def after(self, event) -> None:
        if self._after is not None:
            self._after(event)
