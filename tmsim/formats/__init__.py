"""Formats: read and write machines in the standard text format, YAML (turingmachine.io style),
Morphett lines, native JSON, and convert to and from automata-lib's DTM."""

from .standard import looks_standard, parse_standard, to_standard

__all__ = ["parse_standard", "to_standard", "looks_standard"]
