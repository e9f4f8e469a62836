"""``python -m proofs_checks``: the ``proofs-checks`` CLI."""

import sys

from .cli import main

sys.exit(main())
