"""Command line: ``python -m playground.translation {train,run} ...`` (see ``--help``)."""

from playground.translation.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
