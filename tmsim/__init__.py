"""tmsim: Turing machines you can trust: definition, formats, fast simulation, a zoo and a CLI."""

from .errors import (ConversionError, FormatError, InputError, MachineError, OutputError, ParameterError,
                     TmsimError)
from .formats import parse_standard, to_standard
from .machine import Machine, Move, Rule
from . import zoo
from .formats import dumps, load, loads, save
from .simulate import (DEFAULT_MAX_STEPS, DEFAULT_MAX_TAPE, BatchJobs, BatchResult, Configuration, RunResult,
                       Status, configurations, prepare_batch, run, run_batch)

__version__ = "0.1.0"

__all__ = [
    "Machine", "Move", "Rule",
    "run", "run_batch", "prepare_batch", "BatchJobs", "configurations",
    "load", "loads", "save", "dumps", "zoo", "RunResult", "BatchResult", "Configuration", "Status",
    "DEFAULT_MAX_STEPS", "DEFAULT_MAX_TAPE",
    "parse_standard", "to_standard",
    "TmsimError", "MachineError", "FormatError", "InputError", "ConversionError", "ParameterError", "OutputError",
    "__version__",
]
