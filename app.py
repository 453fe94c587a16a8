"""GAN Playground: `python app.py` (add `--share` for a public link).

Honours GRADIO_SERVER_NAME and GRADIO_SERVER_PORT like any Gradio app.
"""

import ctypes.util
import os
import sys


# jemalloc's settings when app.py preloads it: a background thread hands freed pages back to the system 2 s after
# they are freed (its default waits 10 s, and only when the process allocates again), at once and for good
# (muzzy_decay_ms 0: no lazily freed middle state that still counts in RSS).
JEMALLOC_CONF = "background_thread:true,dirty_decay_ms:2000,muzzy_decay_ms:0"


def use_the_system_allocator() -> None:
    """Run the server on a C allocator (``PYTHONMALLOC=malloc``): jemalloc where it is installed (Debian's
    ``libjemalloc2``; a Space gets it only from a ``packages.txt`` naming it, which this repository does not
    carry), else glibc's with two heaps per core (``MALLOC_ARENA_MAX``), restarting this process once.

    Sessions come and go by the thousand on a public Space (each ~45 KB of Gradio state, plus what its requests
    made), and their objects are made and freed on many threads at once. With Python's own small-object
    allocator, freed memory stays with the process: its 1 MiB arenas are returned only when entirely empty, and a
    few long-lived objects pin them (measured with benchmarks/memory.py: 600 page loads left ~113 MB behind
    after every session was gone). glibc's allocator hands freed pages back (``malloc_trim``, called by the
    session sweep): 13 MB left. But what it cannot hand back lies in the heaps of its other threads: after the
    full flood (3,000 page loads, 1,000 sample grids, 2,000 abandoned runs) the server kept 1.13x its starting
    memory with two heaps per core (one run on a 2-core AMD EPYC; 1.18x on an Intel machine, and 1.31-1.38x
    there with glibc's default of eight), though each part alone left under 1.03x. jemalloc keeps small objects
    of one size together and hands back each freed page on its own: the same full flood ended at 1.067-1.076x
    (three runs, peaks 1,010-1,058 MB; same machine and sitting), and the class trained as fast as on glibc's
    (benchmarks/classroom.py, one sitting: own30 3.7-4.4 it/s per student against 4.3, alone 342-421 it/s
    against 399, on that slower machine). An explicit ``PYTHONMALLOC``, ``MALLOC_ARENA_MAX``,
    ``LD_PRELOAD`` or ``MALLOC_CONF`` is kept as it is (``LD_PRELOAD=`` runs glibc's allocator).
    """
    if "PYTHONMALLOC" not in os.environ:
        os.environ["PYTHONMALLOC"] = "malloc"
        os.environ.setdefault("MALLOC_ARENA_MAX", str(2 * len(os.sched_getaffinity(0))))
        jemalloc = ctypes.util.find_library("jemalloc")
        if jemalloc and "LD_PRELOAD" not in os.environ:
            os.environ["LD_PRELOAD"] = jemalloc
            os.environ.setdefault("MALLOC_CONF", JEMALLOC_CONF)
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
