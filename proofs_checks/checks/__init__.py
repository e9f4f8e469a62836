"""Check modules: importing this package registers every check, in report order."""

from . import emulation  # noqa: F401
from . import parity  # noqa: F401
from . import samples  # noqa: F401
from . import rollout  # noqa: F401
from . import arithmetic  # noqa: F401
from . import text  # noqa: F401
from . import architectures  # noqa: F401
