"""``python -m proofs_checks.experiments.text``: the text experiment's command line."""

import sys

from .experiment import main

sys.exit(main())
