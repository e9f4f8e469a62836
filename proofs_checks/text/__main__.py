"""``python -m proofs_checks.text``: the text experiment's command line."""

import sys

from .experiment import main

sys.exit(main())
