"""tmsim: Turing machines you can trust: definition, formats, fast simulation, a zoo and a CLI."""

from .errors import (ConversionError, FormatError, InputError, MachineError, ParameterError, TmsimError)
from .formats import parse_standard, to_standard
from .machine import Machine, Move, Rule
from .simulate import (DEFAULT_MAX_STEPS, DEFAULT_MAX_TAPE, BatchResult, Configuration, RunResult, Status,
                       configurations, run, run_batch)

__version__ = "0.1.0"

__all__ = [
    "Machine", "Move", "Rule",
    "run", "run_batch", "configurations", "RunResult", "BatchResult", "Configuration", "Status",
    "DEFAULT_MAX_STEPS", "DEFAULT_MAX_TAPE",
    "parse_standard", "to_standard",
    "TmsimError", "MachineError", "FormatError", "InputError", "ConversionError", "ParameterError",
    "__version__",
]
