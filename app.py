"""GAN Playground: `python app.py` (add `--share` for a public link).

Honours GRADIO_SERVER_NAME and GRADIO_SERVER_PORT like any Gradio app.
"""

import argparse
import logging

from playground.device import default_threads
from playground.ui.app import build_demo, launch_kwargs


def main() -> None:
    parser = argparse.ArgumentParser(description="GAN Playground")
    parser.add_argument("--share", action="store_true", help="create a public gradio.live link")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    default_threads()
    demo = build_demo()
    demo.launch(share=args.share, **launch_kwargs())


if __name__ == "__main__":
    main()
