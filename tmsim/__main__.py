"""CLI: ``python -m tmsim`` runs the ``tmsim`` command line (see :mod:`tmsim.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":  # not when a tool (pytest --doctest-modules, pydoc) merely imports it
    sys.exit(main())
