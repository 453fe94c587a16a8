"""GAN Playground: `python app.py` (add `--share` for a public link).

Honours GRADIO_SERVER_NAME and GRADIO_SERVER_PORT like any Gradio app.
"""

import os
import sys


def use_the_system_allocator() -> None:
    """Run the server on the C library's allocator (``PYTHONMALLOC=malloc``) with a few heaps
    (``MALLOC_ARENA_MAX``: two per core), restarting this process once.

    Sessions come and go by the thousand on a public Space (each ~0.5 MB of Gradio state, made and freed on
    many threads at once). With Python's own small-object allocator, freed memory stays with the process: its
    1 MiB arenas are returned only when entirely empty, and a few long-lived objects pin them (measured with
    benchmarks/memory.py: 600 page loads left ~113 MB behind after every session was gone). glibc's allocator
    hands freed pages back (``malloc_trim``, called by the session sweep): 13 MB left.

    What it cannot hand back lies in the heaps of its other threads (glibc makes up to 8 per core): after a
    flood (600 page loads, 200 sample grids, 400 abandoned runs) the live heap had grown by 7-12 MB but the
    server kept 130-200 MB more, and ``malloc_trim`` found nothing to free. Fewer heaps keep the freed memory
    together: with two per core the end of that flood was 1.12x the start, against 1.17x (memory.py, the same
    sitting), and the class trained as fast (benchmarks/classroom.py own30, five runs: 77-86 it/s per student
    against 81-84). The full flood (3,000 / 1,000 / 2,000) still ended at 1.32x, as it had without (1.31x and
    1.38x in earlier sittings): the gain shows on the smaller flood only. One per core (2 here) left 1.11x, but
    one of two class runs halved the training (36.5 it/s), the training workers queueing for a shared heap:
    not used. An explicit ``PYTHONMALLOC`` is kept as it is,
    and so is an explicit ``MALLOC_ARENA_MAX``.
    """
    if "PYTHONMALLOC" not in os.environ:
        os.environ["PYTHONMALLOC"] = "malloc"
        os.environ.setdefault("MALLOC_ARENA_MAX", str(2 * len(os.sched_getaffinity(0))))
        os.execv(sys.executable, [sys.executable, *sys.argv])


if __name__ == "__main__":
    use_the_system_allocator()

from playground.zerogpu import import_spaces_first  # noqa: E402

import_spaces_first()  # on a ZeroGPU Space, `spaces` must come before anything that loads torch

import argparse  # noqa: E402
import gc  # noqa: E402
import logging  # noqa: E402

from playground.device import default_threads  # noqa: E402
from playground.ui.app import build_demo, launch_kwargs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description="GAN Playground")
    parser.add_argument("--share", action="store_true", help="create a public gradio.live link")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    default_threads()
    demo = build_demo()
    quiet_garbage_collector()
    demo.launch(share=args.share, **launch_kwargs())


def quiet_garbage_collector() -> None:
    """Keep Python's cyclic garbage collector from pausing a busy server.

    A class leaves many sessions' objects alive (Gradio's per-session state, labs), and every full collection
    walks them all while holding the interpreter lock: measured with benchmarks/classroom.py after 60
    students had played, 30 DCGAN clicks waited 2.6 s (p95) with the default collector and 1.9 s with
    this. The app's own objects from start-up (models, the page's blocks) are moved out of its way.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(200_000, 50, 1000)


if __name__ == "__main__":
    main()
