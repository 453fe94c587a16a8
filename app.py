"""GAN Playground: `python app.py` (add `--share` for a public link).

Honours GRADIO_SERVER_NAME and GRADIO_SERVER_PORT like any Gradio app.
"""

import os
import sys


def use_the_system_allocator() -> None:
    """Run the server on the C library's allocator (``PYTHONMALLOC=malloc``), restarting this process once.

    Sessions come and go by the thousand on a public Space (each ~0.8 MB of Gradio state, made and freed on
    many threads at once). With Python's own small-object allocator, freed memory stays with the process: its
    1 MiB arenas are returned only when entirely empty, and a few long-lived objects pin them (measured with
    benchmarks/memory.py: 600 page loads left ~113 MB behind after every session was gone). glibc's allocator
    hands freed pages back (``malloc_trim``, called by the session sweep): 13 MB left. It costs the class some
    training (benchmarks/classroom.py own30, one run each: 70.7 it/s per student against 82.0). Two heaps only
    (``MALLOC_ARENA_MAX=2``) kept ~75 MB less after a flood but halved own30 (38.9 it/s): not used. An explicit
    ``PYTHONMALLOC`` is kept as it is.
    """
    if "PYTHONMALLOC" not in os.environ:
        os.environ["PYTHONMALLOC"] = "malloc"
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
