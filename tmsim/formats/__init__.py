"""Formats: read and write machines in the standard text format, YAML (turingmachine.io style),
Morphett lines, native JSON, and convert to and from automata-lib's DTM."""

from .io import EXTENSIONS, FORMATS, dumps, format_for_path, load, loads, save
from .json_format import from_dict, parse_json, to_dict, to_json
from .morphett import MorphettNames, morphett_initial_tape, morphett_names, parse_morphett, to_morphett
from .standard import looks_standard, parse_standard, to_standard
from .yaml_format import parse_yaml, to_yaml

# automata-lib is a test-only dependency: tmsim.formats.automata_lib imports it lazily, inside its
# functions, so importing that module (or this package) never needs it.
from .automata_lib import AutomataRun, from_automata, run_automata, to_automata

__all__ = [
    "parse_standard", "to_standard", "looks_standard",
    "parse_yaml", "to_yaml",
    "parse_morphett", "to_morphett", "morphett_names", "morphett_initial_tape", "MorphettNames",
    "parse_json", "to_json", "to_dict", "from_dict",
    "to_automata", "from_automata", "run_automata", "AutomataRun",
    "FORMATS", "EXTENSIONS", "load", "loads", "dumps", "save", "format_for_path",
]
