"""Zoo (the machines): every entry's rule table as data, with the algorithm it implements in a comment, its
independent plain-Python reference, its well-formed inputs and its step budget; :data:`ENTRIES` in registry
order (functions, recognisers, busy beavers)."""

from __future__ import annotations

from typing import Callable

from ..formats.standard import parse_standard
from .entry import ZooEntry, check_input, machine_from_rules
from .language import Language

__all__ = ["ENTRIES"]


# ------------------------------------------------------------------------------------------------ binary increment
# Algorithm: walk right to the end of the number, then add 1 from the least significant digit: a 1 becomes 0
# and the carry moves left; a 0 (or the blank left of the number, when every digit was 1) becomes 1 and we
# are done. The width is kept (leading zeros stay), so the empty input (read as 0) gives "1".
_INC_RULES = [
    ("right", "0", "0", "R", "right"),
    ("right", "1", "1", "R", "right"),
    ("right", "_", "_", "L", "carry"),
    ("carry", "1", "0", "L", "carry"),
    ("carry", "0", "1", "S", "done"),
    ("carry", "_", "1", "S", "done"),
]
_BITS = Language(("0", "1"))


def _increment(x: str | None) -> str:
    x = check_input(x, _BITS, "binary-increment")
    return format(int(x or "0", 2) + 1, f"0{len(x)}b")


# ------------------------------------------------------------------------------------------------ binary addition
# Tape: a+b, both MSB first. Repeat: go to the right end; erase b's last digit d (b shrinks); walk left past
# the rest of b and the '+', then past a's marked digits (x = 0, y = 1: digits of the sum already final) to
# a's rightmost unmarked digit (or the blank left of a, read as 0); add d there, marking it, and propagate a
# carry leftwards through unmarked digits (1 -> 0, then 0 or blank -> 1). When b is used up (the last symbol
# is '+'): erase '+', unmark x -> 0, y -> 1 walking left, then erase leading zeros from the left, keeping one
# digit: the non-blank span is exactly bin(a + b) without leading zeros ('0' for zero).
_ADD_RULES = [
    ("seek", "0", "0", "R", "seek"),
    ("seek", "1", "1", "R", "seek"),
    ("seek", "+", "+", "R", "seek"),
    ("seek", "x", "x", "R", "seek"),
    ("seek", "y", "y", "R", "seek"),
    ("seek", "_", "_", "L", "read_b"),
    ("read_b", "0", "_", "L", "add0_b"),
    ("read_b", "1", "_", "L", "add1_b"),
    ("read_b", "+", "_", "L", "unmark"),
    # carrying a 0 or a 1 left across the rest of b
    ("add0_b", "0", "0", "L", "add0_b"),
    ("add0_b", "1", "1", "L", "add0_b"),
    ("add0_b", "+", "+", "L", "add0_a"),
    ("add1_b", "0", "0", "L", "add1_b"),
    ("add1_b", "1", "1", "L", "add1_b"),
    ("add1_b", "+", "+", "L", "add1_a"),
    # ... then across a's final (marked) digits to the digit it is added to
    ("add0_a", "x", "x", "L", "add0_a"),
    ("add0_a", "y", "y", "L", "add0_a"),
    ("add0_a", "0", "x", "R", "seek"),
    ("add0_a", "1", "y", "R", "seek"),
    ("add0_a", "_", "x", "R", "seek"),
    ("add1_a", "x", "x", "L", "add1_a"),
    ("add1_a", "y", "y", "L", "add1_a"),
    ("add1_a", "0", "y", "R", "seek"),
    ("add1_a", "1", "x", "L", "carry"),
    ("add1_a", "_", "y", "R", "seek"),
    ("carry", "1", "0", "L", "carry"),
    ("carry", "0", "1", "R", "seek"),
    ("carry", "_", "1", "R", "seek"),
    # b used up: unmark walking left, then strip leading zeros walking right
    ("unmark", "x", "0", "L", "unmark"),
    ("unmark", "y", "1", "L", "unmark"),
    ("unmark", "0", "0", "L", "unmark"),
    ("unmark", "1", "1", "L", "unmark"),
    ("unmark", "_", "_", "R", "strip"),
    ("strip", "0", "_", "R", "strip"),
    ("strip", "1", "1", "S", "done"),
    ("strip", "_", "0", "S", "done"),
]
_ADD_LANG = Language(("0", "1"), operator="+", min_operand=1)


def _addition(x: str | None) -> str:
    a, _, b = check_input(x, _ADD_LANG, "binary-addition").partition("+")
    return format(int(a, 2) + int(b, 2), "b")


# ------------------------------------------------------------------------------------------------ multiplication
# Tape: a*b, both MSB first. The product P is built MSB first to the left of a, behind a marker:  P=a*b.
# Shift-and-add over b's digits from the least significant one: at step k, P += a << k, then P's k-th digit
# from the right is final. P's final digits are marked X (0) / Y (1); they sit at P's right end, so the k
# final ones are exactly the k lowest places and the next addition starts just left of them.
#   start:      write '=' left of a, go to the right end.
#   read_b:     erase b's last digit d (b shrinks). d = 0: go straight to finalize. d = 1: add a into P:
#   pick_a:       a's rightmost unmarked digit is marked (x = 0, y = 1) and carried left past '=' and P's
#                 final and already-added digits (X, Y, x, y) to P's next place, where it is added with a
#                 carry moving left through unmarked digits (the blank left of P reads as 0); then back to
#                 a. When every digit of a is marked: unmark a, unmark P's x/y, and finalize.
#   finalize:   the digit just left of P's final block becomes final (a blank there becomes X = 0).
# When b is used up (read_b reads '*'): erase '*', a and '=', unmark P (X -> 0, Y -> 1) and strip its
# leading zeros as in binary-addition. P then holds len(b) final digits, so it is never empty.
_MUL_RULES = [
    ("start", "0", "0", "L", "mark"),
    ("start", "1", "1", "L", "mark"),
    ("start", "*", "*", "L", "mark"),
    ("mark", "_", "=", "R", "seek"),
    ("seek", "0", "0", "R", "seek"),
    ("seek", "1", "1", "R", "seek"),
    ("seek", "*", "*", "R", "seek"),
    ("seek", "=", "=", "R", "seek"),
    ("seek", "X", "X", "R", "seek"),
    ("seek", "Y", "Y", "R", "seek"),
    ("seek", "_", "_", "L", "read_b"),
    ("read_b", "0", "_", "L", "to_p"),
    ("read_b", "1", "_", "L", "to_a"),
    ("read_b", "*", "_", "L", "erase_a"),
    # d = 1: walk left across the rest of b to a's right end
    ("to_a", "0", "0", "L", "to_a"),
    ("to_a", "1", "1", "L", "to_a"),
    ("to_a", "*", "*", "L", "pick_a"),
    ("pick_a", "x", "x", "L", "pick_a"),
    ("pick_a", "y", "y", "L", "pick_a"),
    ("pick_a", "0", "x", "L", "give0"),
    ("pick_a", "1", "y", "L", "give1"),
    ("pick_a", "=", "=", "R", "unmark_a"),
    ("give0", "0", "0", "L", "give0"),
    ("give0", "1", "1", "L", "give0"),
    ("give0", "x", "x", "L", "give0"),
    ("give0", "y", "y", "L", "give0"),
    ("give0", "=", "=", "L", "add0"),
    ("give1", "0", "0", "L", "give1"),
    ("give1", "1", "1", "L", "give1"),
    ("give1", "x", "x", "L", "give1"),
    ("give1", "y", "y", "L", "give1"),
    ("give1", "=", "=", "L", "add1"),
    ("add0", "X", "X", "L", "add0"),
    ("add0", "Y", "Y", "L", "add0"),
    ("add0", "x", "x", "L", "add0"),
    ("add0", "y", "y", "L", "add0"),
    ("add0", "0", "x", "R", "back"),
    ("add0", "1", "y", "R", "back"),
    ("add0", "_", "x", "R", "back"),
    ("add1", "X", "X", "L", "add1"),
    ("add1", "Y", "Y", "L", "add1"),
    ("add1", "x", "x", "L", "add1"),
    ("add1", "y", "y", "L", "add1"),
    ("add1", "0", "y", "R", "back"),
    ("add1", "1", "x", "L", "carry"),
    ("add1", "_", "y", "R", "back"),
    ("carry", "1", "0", "L", "carry"),
    ("carry", "0", "1", "R", "back"),
    ("carry", "_", "1", "R", "back"),
    ("back", "0", "0", "R", "back"),
    ("back", "1", "1", "R", "back"),
    ("back", "x", "x", "R", "back"),
    ("back", "y", "y", "R", "back"),
    ("back", "X", "X", "R", "back"),
    ("back", "Y", "Y", "R", "back"),
    ("back", "=", "=", "R", "back"),
    ("back", "*", "*", "L", "pick_a"),
    # a fully added: unmark a, then P's temporary marks, then finalize one digit of P
    ("unmark_a", "x", "0", "R", "unmark_a"),
    ("unmark_a", "y", "1", "R", "unmark_a"),
    ("unmark_a", "*", "*", "L", "to_p"),
    ("to_p", "0", "0", "L", "to_p"),
    ("to_p", "1", "1", "L", "to_p"),
    ("to_p", "*", "*", "L", "to_p"),
    ("to_p", "=", "=", "L", "unmark_p"),
    ("unmark_p", "X", "X", "L", "unmark_p"),
    ("unmark_p", "Y", "Y", "L", "unmark_p"),
    ("unmark_p", "x", "0", "L", "unmark_p"),
    ("unmark_p", "y", "1", "L", "unmark_p"),
    ("unmark_p", "0", "0", "R", "to_eq"),
    ("unmark_p", "1", "1", "R", "to_eq"),
    ("unmark_p", "_", "_", "R", "to_eq"),
    ("to_eq", "0", "0", "R", "to_eq"),
    ("to_eq", "1", "1", "R", "to_eq"),
    ("to_eq", "X", "X", "R", "to_eq"),
    ("to_eq", "Y", "Y", "R", "to_eq"),
    ("to_eq", "=", "=", "L", "finalize"),
    ("finalize", "X", "X", "L", "finalize"),
    ("finalize", "Y", "Y", "L", "finalize"),
    ("finalize", "0", "X", "R", "seek"),
    ("finalize", "1", "Y", "R", "seek"),
    ("finalize", "_", "X", "R", "seek"),
    # b used up: erase a and '=', unmark P walking left, strip leading zeros walking right
    ("erase_a", "0", "_", "L", "erase_a"),
    ("erase_a", "1", "_", "L", "erase_a"),
    ("erase_a", "=", "_", "L", "clean"),
    ("clean", "X", "0", "L", "clean"),
    ("clean", "Y", "1", "L", "clean"),
    ("clean", "0", "0", "L", "clean"),
    ("clean", "1", "1", "L", "clean"),
    ("clean", "_", "_", "R", "strip"),
    ("strip", "0", "_", "R", "strip"),
    ("strip", "1", "1", "S", "done"),
    ("strip", "_", "0", "S", "done"),
]
_MUL_LANG = Language(("0", "1"), operator="*", min_operand=1)


def _multiplication(x: str | None) -> str:
    a, _, b = check_input(x, _MUL_LANG, "binary-multiplication").partition("*")
    return format(int(a, 2) * int(b, 2), "b")


# ------------------------------------------------------------------------------------------------ unary addition
# 1^a+1^b: the '+' becomes a 1, then the last 1 is erased. a = b = 0 ("+") leaves a blank tape ('').
_UNARY_RULES = [
    ("scan", "1", "1", "R", "scan"),
    ("scan", "+", "1", "R", "to_end"),
    ("to_end", "1", "1", "R", "to_end"),
    ("to_end", "_", "_", "L", "erase"),
    ("erase", "1", "_", "S", "done"),
]
_UNARY_LANG = Language(("1",), operator="+", min_operand=0)


def _unary_addition(x: str | None) -> str:
    a, _, b = check_input(x, _UNARY_LANG, "unary-addition").partition("+")
    return "1" * (len(a) + len(b))


# ------------------------------------------------------------------------------------------------ copy
# w -> w#w. Write '#' after w; then repeatedly take w's leftmost unmarked digit, mark it (0 -> a, 1 -> b),
# carry it right to the end of the copy and write it there, and walk back left to the last mark. When the
# next digit is '#', unmark w walking left.
_COPY_RULES = [
    ("start", "0", "0", "R", "start"),
    ("start", "1", "1", "R", "start"),
    ("start", "_", "#", "L", "back_w"),
    ("back_copy", "0", "0", "L", "back_copy"),
    ("back_copy", "1", "1", "L", "back_copy"),
    ("back_copy", "#", "#", "L", "back_w"),
    ("back_w", "0", "0", "L", "back_w"),
    ("back_w", "1", "1", "L", "back_w"),
    ("back_w", "a", "a", "R", "pick"),
    ("back_w", "b", "b", "R", "pick"),
    ("back_w", "_", "_", "R", "pick"),
    ("pick", "0", "a", "R", "carry0"),
    ("pick", "1", "b", "R", "carry1"),
    ("pick", "#", "#", "L", "restore"),
    ("carry0", "0", "0", "R", "carry0"),
    ("carry0", "1", "1", "R", "carry0"),
    ("carry0", "#", "#", "R", "carry0"),
    ("carry0", "_", "0", "L", "back_copy"),
    ("carry1", "0", "0", "R", "carry1"),
    ("carry1", "1", "1", "R", "carry1"),
    ("carry1", "#", "#", "R", "carry1"),
    ("carry1", "_", "1", "L", "back_copy"),
    ("restore", "a", "0", "L", "restore"),
    ("restore", "b", "1", "L", "restore"),
    ("restore", "_", "_", "R", "done"),
]


def _copy(x: str | None) -> str:
    x = check_input(x, _BITS, "copy")
    return f"{x}#{x}"


# ------------------------------------------------------------------------------------------------ parity
# A two-state automaton walking right: the state is the parity of the 1s read so far.
_PARITY_RULES = [
    ("even", "0", "0", "R", "even"),
    ("even", "1", "1", "R", "odd"),
    ("even", "_", "_", "S", "reject"),
    ("odd", "0", "0", "R", "odd"),
    ("odd", "1", "1", "R", "even"),
    ("odd", "_", "_", "S", "accept"),
]


def _parity(x: str | None) -> bool:
    return check_input(x, _BITS, "parity").count("1") % 2 == 1


# The parity example of docs/theory.md#standard-machine-format: A = even, B = odd number of 1s so far; symbols 1 and 2 are copied unchanged and the
# blank after the input becomes 1 (even) or 2 (odd) as it halts in Z.
_PARITY_STANDARD = "1RZ1RB2RA_2RZ1RA2RB"
_ONE_TWO = Language(("1", "2"))


def _parity_standard(x: str | None) -> str:
    x = check_input(x, _ONE_TWO, "parity-standard")
    return x + ("2" if x.count("1") % 2 else "1")


# ------------------------------------------------------------------------------------------------ palindrome
# Erase the first symbol, remembering it; walk to the right end; the last symbol must match (erase it) or
# reject; walk back to the left end and repeat. Nothing left (or one symbol left) accepts.
_PAL_RULES = [
    ("start", "a", "_", "R", "have_a"),
    ("start", "b", "_", "R", "have_b"),
    ("start", "_", "_", "S", "accept"),
    ("have_a", "a", "a", "R", "have_a"),
    ("have_a", "b", "b", "R", "have_a"),
    ("have_a", "_", "_", "L", "check_a"),
    ("have_b", "a", "a", "R", "have_b"),
    ("have_b", "b", "b", "R", "have_b"),
    ("have_b", "_", "_", "L", "check_b"),
    ("check_a", "a", "_", "L", "back"),
    ("check_a", "b", "b", "S", "reject"),
    ("check_a", "_", "_", "S", "accept"),
    ("check_b", "b", "_", "L", "back"),
    ("check_b", "a", "a", "S", "reject"),
    ("check_b", "_", "_", "S", "accept"),
    ("back", "a", "a", "L", "back"),
    ("back", "b", "b", "L", "back"),
    ("back", "_", "_", "R", "start"),
]
_AB = Language(("a", "b"))


def _palindrome(x: str | None) -> bool:
    x = check_input(x, _AB, "palindrome")
    return x == x[::-1]


# ------------------------------------------------------------------------------------------------ busy beavers
_BLANK_ONLY = Language((), max_length=0)

# (standard-format machine, (steps, non-blank cells) on the blank tape, source). Published values; the halting
# transition counts as a step.
_BUSY_BEAVERS = {
    # Rado (1962), Lin & Rado (1965): S(2) = 6, Sigma(2) = 4, reached by the same machine.
    "bb2": ("1RB1LB_1LA1RZ", (6, 4), "BB(2) champion"),
    # Lin & Rado (1965): S(3) = 21 (this machine, which leaves 5 ones) and Sigma(3) = 6 (bb3-sigma).
    "bb3": ("1RB1RZ_1LB0RC_1LC1LA", (21, 5), "BB(3) step champion (S(3) = 21)"),
    "bb3-sigma": ("1RB1RZ_0RC1RB_1LC1LA", (14, 6), "BB(3) ones champion (Sigma(3) = 6)"),
    # Brady (1983): S(4) = 107, Sigma(4) = 13.
    "bb4": ("1RB1LB_1LA0LC_1RZ1LD_1RD0RA", (107, 13), "BB(4) champion"),
    # Marxen & Buntrock (1990) found it; The bbchallenge Collaboration (2024) proved S(5) = 47,176,870 and
    # Sigma(5) = 4,098.
    "bb5": ("1RB1LC_1RC1RB_1RD0LE_1LA1LD_1RZ0LA", (47_176_870, 4_098), "BB(5) champion"),
    # Lafitte & Papazian (2007): S(2,3) = 38, Sigma(2,3) = 9 (non-blank cells) for 2 states and 3 symbols.
    "bb2x3": ("1RB2LB1RZ_2LA2RB1LB", (38, 9), "BB(2,3) champion, 2 states and 3 symbols"),
}


def _busy_beaver_reference(name: str, known: tuple[int, int]) -> Callable[..., tuple[int, int]]:
    def reference(x: str | None = None) -> tuple[int, int]:
        check_input(x, _BLANK_ONLY, name)
        return known

    reference.__name__ = reference.__qualname__ = f"{name.replace('-', '_')}_reference"
    reference.__doc__ = f"The published (steps, non-blank cells) of the {name} champion on the blank tape."
    return reference


# ------------------------------------------------------------------------------------------------ the entries
def _build() -> tuple[ZooEntry, ...]:
    out: list[ZooEntry] = [
        ZooEntry(
            "binary-increment",
            machine_from_rules("binary-increment", _INC_RULES, symbols="_01", input_symbols="01", start="right",
                     halting=("done",)),
            "x + 1: input x in [01]* (binary, MSB first; '' reads as 0); output x + 1 in binary with len(x) "
            "digits (leading zeros kept), one more when x is all ones.",
            "function", _increment, verify_up_to=14, max_steps=64, language=_BITS),
        ZooEntry(
            "binary-addition",
            machine_from_rules("binary-addition", _ADD_RULES, symbols="_01+xy", input_symbols="01+", start="seek",
                     halting=("done",)),
            "a + b: input 'a+b', a and b non-empty binary (MSB first, leading zeros allowed); output a + b in "
            "binary without leading zeros ('0' for zero).",
            "function", _addition, verify_up_to=12, max_steps=500, language=_ADD_LANG),
        ZooEntry(
            "binary-multiplication",
            machine_from_rules("binary-multiplication", _MUL_RULES, symbols="_01*=xyXY", input_symbols="01*",
                     start="start", halting=("done",)),
            "a * b: input 'a*b', a and b non-empty binary (MSB first, leading zeros allowed); output a * b in "
            "binary without leading zeros ('0' for zero).",
            "function", _multiplication, verify_up_to=12, max_steps=2_000, language=_MUL_LANG),
        ZooEntry(
            "unary-addition",
            machine_from_rules("unary-addition", _UNARY_RULES, symbols="_1+", input_symbols="1+", start="scan",
                     halting=("done",)),
            "a + b in unary: input '1^a+1^b' (a, b >= 0); output '1' * (a + b) ('' for '+').",
            "function", _unary_addition, verify_up_to=20, max_steps=64, language=_UNARY_LANG),
        ZooEntry(
            "copy",
            machine_from_rules("copy", _COPY_RULES, symbols="_01#ab", input_symbols="01", start="start",
                     halting=("done",)),
            "Copy: input w in [01]*; output 'w#w'.",
            "function", _copy, verify_up_to=12, max_steps=500, language=_BITS),
        ZooEntry(
            "parity",
            machine_from_rules("parity", _PARITY_RULES, symbols="_01", input_symbols="01", start="even",
                     halting=("accept", "reject")),
            "Parity: input w in [01]*; accepts iff w has an odd number of 1s.",
            "accept", _parity, verify_up_to=14, max_steps=64, language=_BITS),
        ZooEntry(
            "parity-standard",
            parse_standard(_PARITY_STANDARD, name="parity-standard"),
            "Parity, standard format 1RZ1RB2RA_2RZ1RA2RB (docs/theory.md#standard-machine-format): input w "
            "in [12]* (blank 0); output w "
            "followed by '1' if w has an even number of 1s, '2' if odd.",
            "function", _parity_standard, verify_up_to=14, max_steps=64, language=_ONE_TWO),
        ZooEntry(
            "palindrome",
            machine_from_rules("palindrome", _PAL_RULES, symbols="_ab", input_symbols="ab", start="start",
                     halting=("accept", "reject")),
            "Palindrome: input w in [ab]*; accepts iff w reads the same backwards.",
            "accept", _palindrome, verify_up_to=14, max_steps=200, language=_AB),
    ]
    for name, (text, known, what) in _BUSY_BEAVERS.items():
        out.append(ZooEntry(
            name, parse_standard(text, name=name),
            f"{what}, {text}: blank input; halts after {known[0]:,} steps with {known[1]:,} non-blank cells; "
            f"answer (steps, nonblank).",
            "busy-beaver", _busy_beaver_reference(name, known), verify_up_to=0, max_steps=known[0],
            language=_BLANK_ONLY))
    return tuple(out)


#: Every entry, in the order of :func:`tmsim.zoo.names`.
ENTRIES = _build()
