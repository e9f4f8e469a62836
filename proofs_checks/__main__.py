"""CLI entry point: ``python -m proofs_checks`` (the ``proofs-checks`` command)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
