"""Tokens -> dataset for arithmetic: named task generators (the paper's 4-digit multiplication CoT, no-CoT
multiplication, and local CoTs of our own for multiplication and addition), each producing a
:class:`tmsim.datasets.Dataset` (tokens, kinds, offsets, vocabulary, provenance), deterministic by seed.

==============  =====================================================================================
task            sequence (``n`` = operand digits)
==============  =====================================================================================
``mul-paper``   the paper's CoT [paper+code], docs/theory.md#multiplication: ``<bos> 1 2 3 4 x 5 6 7 8 = ( 4 x 1
                + 3 x 1 0 + ... ) x ( 8 x 1 + ... ) = 4x8 x 1 x 1 + 4x7 x 1 x 1 0 + ... = 3 2 + 2 8 0 +
                ... = 0 7 0 0 6 6 5 2``: 307 tokens for n = 4, vocabulary 117
``mul-nocot``   the same vocabulary, ``<bos> 1 2 3 4 x 5 6 7 8 =`` then the 2n answer digits only
``mul-local``   ours: the schoolbook method as a tableau of fixed-width register rows, every token a function
                of tokens at fixed offsets, so a linear learner emulates it exactly, at every operand
                length the width holds (938 tokens for n = 4, vocabulary 580)
``add-local``   ours: column addition with carries in the same style
==============  =====================================================================================

Every task draws operand pairs ``(a, b)`` of ``n`` digits from ``[11...1, 10**n - 1]`` (the paper's
``1111-9999`` for ``n = 4``) and splits *all* pairs 75/25 into train and test by the paper's hash,
``idx = (a - lo) + span * (b - lo)``, train iff ``idx * PRIME mod span**2 > span**2 // 4``, in exact integer
arithmetic (``PRIME`` is coprime to every ``span**2``, so the map is a bijection and the test part holds
exactly ``span**2 // 4 + 1`` pairs). A pair and its swap may fall in different parts, as in the paper.

The paper's formats keep the paper's tokenizer (ids 0-1 ``<pad>`` = its ``[UNK]``, ``<bos>``; then digits,
symbols and digit pairs): 117 tokens, without the toolkit's ``<sep> <ans> <eos>`` at ids 2-4 (every
sequence has the same length; a rollout is cut there). The local formats use the toolkit's five special
tokens first.

The local formats pay for locality in the layout, not in the learner. Operands are written
least-significant digit first and zero-padded to a fixed ``width`` of columns, one row of ``R = width + 1``
tokens per register (a header, then one token per column), so "the same column one row up" is always
``R`` tokens back, whatever the operand length. Each row is one elementary step over whole registers --
copy/shift, a *tuple* token joining the values of two or three single-digit tokens (``z4+7+1``: old sum
digit, partial product digit, carry; the right tuple is the only one matching every input, the
tableau-triples trick of docs/theory.md#tableau-triples), a *lookup* of a digit off a tuple, or a *carry*, a linear
threshold of digits. Every input of a tuple is a token that stands for one digit, so what a linear
learner must learn is small and fully covered by short operands. The top column is a guard, zero for every
operand length the width allows, so that nothing a learner sees near the row ends is constant in short
operands only. :meth:`Task.layout` says which offsets each position reads (a
:class:`~tmsim.encodings.PositionLayout`, what every learner takes as ``layout=``); :attr:`Task.offsets` is
their union.

Examples
--------
>>> from tmsim.datasets.tasks import get_task, make_task_dataset
>>> paper = get_task("mul-paper")
>>> seq, kinds = paper.encode([1234], [5678])
>>> seq.shape, len(paper.vocabulary)
((1, 307), 117)
>>> " ".join(paper.vocabulary.names(seq[0, 11:34]))
'( 4 x 1 + 3 x 1 0 + 2 x 1 0 0 + 1 x 1 0 0 0 )'
>>> " ".join(paper.vocabulary.names(seq[0, -9:])), paper.decode(seq[0])
('= 0 7 0 0 6 6 5 2', 7006652)
>>> ds = make_task_dataset("mul-local", 3, digits=2, width=6, random_state=0)
>>> len(ds), ds.inputs[0], ds.sources[0].encoding
(3, '86x88', 'mul-local(digits=2,width=6)')
"""


from __future__ import annotations

import itertools
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np

from ..._validate import check_int
from ...encodings import PositionLayout
from ...encodings.vocab import ANS, BOS, EOS, SPECIAL_TOKENS
from ..dataset import Dataset
from ..errors import TaskError
from ._base import Task, digits_least_first

__all__ = ["MulPaper", "MulNoCoT", "MulLocal", "AddLocal", "TASKS", "get_task", "make_task_dataset"]


# ---------------------------------------------------------------------------------------------- the paper
_PAPER_SYMBOLS = ("(", ")", "+", "x", "=")


@dataclass(frozen=True)
class MulPaper(Task):
    """The paper's multiplication CoT, token for token [paper+code] (docs/theory.md#multiplication).

    Vocabulary (117, in the paper's tokenizer order): ``<pad>`` (the paper's ``[UNK]``, also its padding),
    ``<bos>``, the digits ``0``-``9``, ``( ) + x =``, and the 100 joined digit-pair tokens ``0x0`` ... ``9x9``.
    No ``<sep>``/``<ans>``/``<eos>``: every sequence has the same length (307 for 4 digits), so a rollout
    is cut at that length.

    Sequence: ``<bos>``, the operands most-significant digit first around ``x`` (the prompt, as the
    paper's ``[BOS] 1 2 3 4 x 5 6 7 8``); ``=``; each operand as a sum of digit x place value,
    least-significant first, in brackets; ``=``; the ``n*n`` terms ``d1xd2 x e1 x e2`` (``d1`` over the first
    operand's digits, outer); ``=``; their values, each zero-padded to ``len(str(e1*e2)) + 1`` digits;
    ``=``; the product zero-padded to ``2n`` digits (the answer).
    """

    name: ClassVar[str] = "mul-paper"

    def _vocab_tokens(self) -> tuple[str, ...]:
        return (("<pad>", "<bos>") + tuple(str(i) for i in range(10)) + _PAPER_SYMBOLS
                + tuple(f"{i}x{j}" for i, j in itertools.product(range(10), range(10))))

    def _prompt(self, a, b):
        ids, n = self._ids, self.digits
        da, db = digits_least_first(a, n), digits_least_first(b, n)
        digit = 2  # id of "0"
        cols = [ids["<bos>"]] + [da[:, i] + digit for i in reversed(range(n))] + [ids["x"]] \
            + [db[:, i] + digit for i in reversed(range(n))]
        return cols, da, db

    def _answer(self, a, b):
        return [d + 2 for d in reversed(list(digits_least_first(a * b, 2 * self.digits).T))]

    def _encode(self, a, b):
        ids, n = self._ids, self.digits
        zero, one = ids["0"], ids["1"]
        plus, times, eq = ids["+"], ids["x"], ids["="]
        cols, da, db = self._prompt(a, b)
        kinds = [0] * len(cols)
        cot: list = [eq]

        def place(e):  # "1 0 0" for 10**2
            return [one] + [zero] * e

        for d in (da, db):
            cot.append(ids["("])
            for e in range(n):
                if e:
                    cot.append(plus)
                cot += [d[:, e] + zero, times] + place(e)
            cot.append(ids[")"])
            cot.append(times if d is da else eq)
        pair0 = ids["0x0"]
        for k, (i, j) in enumerate(itertools.product(range(n), range(n))):
            if k:
                cot.append(plus)
            cot += [pair0 + 10 * da[:, i] + db[:, j], times] + place(i) + [times] + place(j)
        cot.append(eq)
        for k, (i, j) in enumerate(itertools.product(range(n), range(n))):
            if k:
                cot.append(plus)
            p = da[:, i] * db[:, j]  # d1*d2*10^(i+j), zero-padded to i+j+2 digits: two digits, then zeros
            cot += [p // 10 + zero, p % 10 + zero] + [zero] * (i + j)
        cot.append(eq)
        answer = self._answer(a, b)
        return cols + cot + answer, kinds + [1] * len(cot) + [2] * len(answer)

    def answer_digits(self, seq):
        seq = np.asarray(seq)
        m = self.n_answer_digits
        tail = seq[len(seq) - m:][::-1].astype(np.int64) - 2 if len(seq) >= m else np.full(m, -1)
        out = np.full(m, -1, dtype=np.int64)
        out[:len(tail)] = np.where((tail >= 0) & (tail <= 9), tail, -1)
        return out

    @property
    def length(self) -> int:
        """Tokens per sequence, counted from the format (307 for 4 digits)."""
        n = self.digits
        prompt = 1 + n + 1 + n                                          # <bos> a x b
        operand = 1 + sum(1 + 1 + (1 + e) for e in range(n)) + (n - 1) + 1 + 1  # ( d x 1 0.. + ... ) x|=
        terms = sum(1 + 1 + (1 + i) + 1 + (1 + j) for i in range(n) for j in range(n)) + (n * n - 1) + 1
        values = sum(i + j + 2 for i in range(n) for j in range(n)) + (n * n - 1) + 1
        return prompt + 1 + 2 * operand + terms + values + 2 * n

    @property
    def vocabulary_size(self) -> int:
        """Tokens in the vocabulary, counted from the format: 2 + 10 + 5 + 100 = 117."""
        return 2 + 10 + len(_PAPER_SYMBOLS) + 10 * 10


@dataclass(frozen=True)
class MulNoCoT(MulPaper):
    """Multiplication without a chain of thought, in the paper's vocabulary (117 tokens): the prompt
    ``<bos> 1 2 3 4 x 5 6 7 8 =`` and the ``2n``-digit zero-padded product, most-significant digit first."""

    name: ClassVar[str] = "mul-nocot"

    def _encode(self, a, b):
        cols, _, _ = self._prompt(a, b)
        cols.append(self._ids["="])
        answer = self._answer(a, b)
        return cols + answer, [0] * len(cols) + [2] * len(answer)

    @property
    def length(self) -> int:
        return 2 * self.digits + 3 + 2 * self.digits


# ---------------------------------------------------------------------------------------------- local CoTs
def _check_width(width: Any, need: int, owner: str) -> int:
    return check_int("width", width, low=need, owner=owner, error=TaskError,
                     constraint=f"an int in [{need}, inf) for these operands")


class _LocalTask(Task):
    """Shared machinery of the local formats: rows of ``R = width + 1`` tokens (a header, then columns
    0 (units) .. width-1), built column-array by column-array."""

    @property
    def row(self) -> int:
        """Tokens per row (``width + 1``)."""
        return self.width + 1

    def _row(self, cols: list, header: Any, values: np.ndarray, base: str) -> None:
        """Append a row: ``header`` (an id or an id array), then token ``base + value`` for each column."""
        cols.append(header if not isinstance(header, str) else self._ids[header])
        b = self._ids[base]
        cols.extend(values[:, i] + b for i in range(self.width))

    def answer_digits(self, seq):
        seq = np.asarray(seq)
        out = np.full(self.n_answer_digits, -1, dtype=np.int64)
        where = np.flatnonzero(seq == ANS)
        if where.size:
            d = seq[where[-1] + 1: where[-1] + 1 + self.n_answer_digits].astype(np.int64) - self._ids["0"]
            out[:len(d)] = np.where((d >= 0) & (d <= 9), d, -1)
        return out


def _digit_tokens(prefix: str, n: int = 10) -> tuple[str, ...]:
    return tuple(f"{prefix}{d}" for d in range(n))


@dataclass(frozen=True)
class MulLocal(_LocalTask):
    """Schoolbook multiplication as a tableau of fixed-width register rows in which every token is one
    elementary step over tokens at fixed offsets (:attr:`offsets`): a linear learner with that window
    emulates it exactly, at every operand length up to ``width // 2`` digits.

    Every row is a header and one token per column ``i`` (units first), so the same column one row up is
    always ``R = width + 1`` tokens back. Each row is one kind of step, and every step reads only
    *single-valued* tokens (a token that stands for one digit of one register), which keeps what a linear
    learner must learn small and fully covered by short operands:

    - copy / shift: a token equal to one token at a fixed offset;
    - tuple: a joined token for the values of two or three tokens (``5*7``, ``v4+2+1``): the right tuple is
      the only one matching every input, so a linear argmax picks it (docs/theory.md#tableau-triples);
    - lookup: a digit read off one tuple token (``l:5`` from ``5*7``);
    - carry: a linear threshold, ``[x + y + carry_in >= 10]`` over the digit tokens and the carry one
      column down (offset 1); the tuples then take that carry as an input.

    Layout. Prompt: ``<bos>``, then the registers of "block -1": ``<a> a:a_i`` (the multiplicand,
    zero-padded), ``<b> b:b_i`` (the multiplier, then ``b:$``), ``<s> s:0`` (the accumulator). Then one block
    of 12 rows per multiplier digit ``b_j`` (the CoT):

    ======  ==========  =========================================================================
    row     header      column ``i`` (``A``, ``B``, ``S``: the registers of the block before)
    ======  ==========  =========================================================================
    M       ``m:b_j``   ``m:b_j`` (the header is ``B_0``; each column copies the token before it)
    X       ``<x>``     ``A_i*m``
    L       ``<lo>``    ``l:`` low digit of ``A_i m``
    H       ``<hi>``    ``h:`` high digit of ``A_i m``
    C       ``<c>``     ``c:`` carry out of ``lo_i + hi_(i-1) + c_(i-1)``
    V       ``<v>``     ``v<lo_i>+<hi_(i-1)>+<c_(i-1)>``
    P       ``<p>``     ``p:`` digit of ``V_i``: the partial product ``a b_j``, shifted by ``j``
    K       ``<k>``     ``k:`` carry out of ``S_i + p_i + k_(i-1)``
    Z       ``<z>``     ``z<S_i>+<p_i>+<k_(i-1)>``
    A       ``<a>``     ``a:`` ``A_(i-1)``: the multiplicand shifted up one column
    B       ``<b>``     ``b:`` ``B_(i+1)``: the multiplier shifted down one digit
    S       ``<s>``     ``s:`` digit of ``Z_i``: the new accumulator
    ======  ==========  =========================================================================

    A header standing where a column ``i - 1`` would be reads as 0. When the multiplier register's column
    0 is ``b:$``, the next row is the answer instead of a block: ``<ans>``, the accumulator's digits
    least-significant first (``0``-``9``, copied from the S row above), ``<eos>``.

    Offsets used: ``1, R, R+1, 2R-1, 2R, 2R+1, 3R, 4R, 8R, 9R, 12R-1, 12R+1``. Length ``2 + (4 + 12 n) R``
    for ``n``-digit operands (938 tokens for n = 4, width 17): the price of locality, in CoT length. The
    vocabulary has 580 tokens.

    Examples
    --------
    >>> t = get_task("mul-local", digits=2, width=5)
    >>> seq, kinds = t.encode([57], [68])
    >>> rows = [" ".join(t.vocabulary.names(seq[0, 1 + r * 6:7 + r * 6])) for r in range(15)]
    >>> print("\\n".join(rows))       # the prompt's registers, then the block of b_0 = 8
    <a> a:7 a:5 a:0 a:0 a:0
    <b> b:8 b:6 b:$ b:$ b:$
    <s> s:0 s:0 s:0 s:0 s:0
    m:8 m:8 m:8 m:8 m:8 m:8
    <x> 7*8 5*8 0*8 0*8 0*8
    <lo> l:6 l:0 l:0 l:0 l:0
    <hi> h:5 h:4 h:0 h:0 h:0
    <c> c:0 c:0 c:0 c:0 c:0
    <v> v6+0+0 v0+5+0 v0+4+0 v0+0+0 v0+0+0
    <p> p:6 p:5 p:4 p:0 p:0
    <k> k:0 k:0 k:0 k:0 k:0
    <z> z0+6+0 z0+5+0 z0+4+0 z0+0+0 z0+0+0
    <a> a:0 a:7 a:5 a:0 a:0
    <b> b:6 b:$ b:$ b:$ b:$
    <s> s:6 s:5 s:4 s:0 s:0
    >>> " ".join(t.vocabulary.names(seq[0, -7:])), t.decode(seq[0]), len(seq[0]) == 2 + (4 + 12 * 2) * 6
    ('<ans> 6 7 8 3 0 <eos>', 3876, True)
    """

    name: ClassVar[str] = "mul-local"
    width: int = 17
    #: Rows of a block, in order.
    ROWS: ClassVar[tuple[str, ...]] = ("M", "X", "L", "H", "C", "V", "P", "K", "Z", "A", "B", "S")
    #: The classes of :meth:`layout`: per row of a block, its header and its columns.
    class_names: ClassVar[tuple[str, ...]] = tuple(f"{r}:{part}" for r in ROWS for part in ("header", "column"))

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_width(self.width, 2 * self.digits + 1, f"task {self.name!r} with {self.digits} digits")

    @property
    def offsets(self) -> tuple[int, ...]:
        R = self.row
        return (1, R, R + 1, 2 * R - 1, 2 * R, 2 * R + 1, 3 * R, 4 * R, 8 * R, 9 * R, 12 * R - 1, 12 * R + 1)

    def layout(self) -> PositionLayout:
        """Per row of a block, header and columns: the offsets its tokens read (see :meth:`Task.layout`).

        >>> lay = get_task("mul-local", digits=2, width=5).layout()
        >>> lay.period, len(lay.offsets), lay.offsets[lay.classes[1 + 3 * 6 + 6 + 1]]
        (72, 24, (6, 24))
        """
        R = self.row
        reads = {  # row -> (header offsets, column offsets); the answer row shares M's, <eos> shares X's
            "M": ((2 * R - 1,), (1, R)), "X": ((R,), (R, 4 * R)), "L": ((R,), (R,)), "H": ((R,), (2 * R,)),
            "C": ((R,), (1, R + 1, 2 * R)), "V": ((R,), (R + 1, 2 * R + 1, 3 * R)), "P": ((R,), (R,)),
            "K": ((R,), (1, R, 8 * R)), "Z": ((R,), (R + 1, 2 * R, 9 * R)), "A": ((R,), (12 * R + 1,)),
            "B": ((R,), (12 * R - 1,)), "S": ((R,), (3 * R,)),
        }
        class_offsets = []
        for row in self.ROWS:
            class_offsets += [reads[row][0], reads[row][1]]
        period = 12 * R
        classes = []
        for t in range(period):
            r, col = divmod((t - 1 - 3 * R) % period, R)
            classes.append(2 * r + (col > 0))
        return PositionLayout(period=period, classes=tuple(classes), names=self.class_names,
                              offsets=tuple(class_offsets))

    def _vocab_tokens(self):
        return (SPECIAL_TOKENS + ("<a>", "<b>", "<s>", "<x>", "<lo>", "<hi>", "<c>", "<v>", "<p>", "<k>", "<z>")
                + _digit_tokens("a:") + _digit_tokens("b:") + ("b:$",) + _digit_tokens("s:") + _digit_tokens("m:")
                + tuple(f"{x}*{m}" for x in range(10) for m in range(10))
                + _digit_tokens("l:") + _digit_tokens("h:", 9) + _digit_tokens("c:", 2)
                + tuple(f"v{lo}+{hi}+{c}" for lo in range(10) for hi in range(9) for c in range(2))
                + _digit_tokens("p:") + _digit_tokens("k:", 2)
                + tuple(f"z{s}+{p}+{k}" for s in range(10) for p in range(10) for k in range(2))
                + _digit_tokens(""))

    def _encode(self, a, b):
        ids, n, W = self._ids, self.digits, self.width
        N = len(a)
        A = np.zeros((N, W), np.int64)
        A[:, :n] = digits_least_first(a, n)
        B = np.full((N, W), 10, np.int64)  # 10: "b:$", past the multiplier's last digit
        B[:, :n] = digits_least_first(b, n)
        S = np.zeros((N, W), np.int64)
        zero = np.zeros(N, np.int64)
        cols: list = [BOS]
        self._row(cols, "<a>", A, "a:0")
        self._row(cols, "<b>", B, "b:0")
        self._row(cols, "<s>", S, "s:0")
        kinds = [0] * len(cols)
        for _ in range(n):
            m = B[:, 0]
            self._row(cols, m + ids["m:0"], np.repeat(m[:, None], W, axis=1), "m:0")
            self._row(cols, "<x>", A * 10 + m[:, None], "0*0")
            prod = A * m[:, None]
            lo, hi = prod % 10, prod // 10
            hi_prev = np.concatenate([zero[:, None], hi[:, :-1]], axis=1)
            self._row(cols, "<lo>", lo, "l:0")
            self._row(cols, "<hi>", hi, "h:0")
            c_in, c_out, p = self._carry_chain(lo + hi_prev)
            self._row(cols, "<c>", c_out, "c:0")
            self._row(cols, "<v>", (lo * 9 + hi_prev) * 2 + c_in, "v0+0+0")
            self._row(cols, "<p>", p, "p:0")
            k_in, k_out, s_new = self._carry_chain(S + p)
            self._row(cols, "<k>", k_out, "k:0")
            self._row(cols, "<z>", (S * 10 + p) * 2 + k_in, "z0+0+0")
            A = np.concatenate([zero[:, None], A[:, :-1]], axis=1)
            B = np.concatenate([B[:, 1:], np.full((N, 1), 10, np.int64)], axis=1)
            S = s_new
            self._row(cols, "<a>", A, "a:0")
            self._row(cols, "<b>", B, "b:0")
            self._row(cols, "<s>", S, "s:0")
            kinds += [1] * (12 * self.row)
        self._row(cols, ANS, S, "0")
        cols.append(EOS)
        kinds += [2] * (self.row + 1)
        return cols, kinds

    @staticmethod
    def _carry_chain(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Column-wise sums ``x`` (n, W) plus carries: (carry in, carry out, digit) per column."""
        c_in = np.zeros_like(x)
        c_out = np.zeros_like(x)
        digit = np.zeros_like(x)
        c = np.zeros(len(x), np.int64)
        for i in range(x.shape[1]):
            c_in[:, i] = c
            t = x[:, i] + c
            digit[:, i], c = t % 10, t // 10
            c_out[:, i] = c
        return c_in, c_out, digit


@dataclass(frozen=True)
class AddLocal(_LocalTask):
    """Column addition, local, in the style of :class:`MulLocal`: rows of ``R = width + 1`` tokens.

    Prompt: ``<bos>``, ``<a> a:a_i``, ``<b> b:b_i`` (least-significant first, zero-padded). CoT: a carry row
    ``<k> k:`` (``[a_i + b_i + k_(i-1) >= 10]``, a linear threshold) and a tuple row ``<z> z<a_i>+<b_i>+<k_(i-1)>``.
    Answer: ``<ans>``, the sum's digits least-significant first (each read off the tuple above), ``<eos>``.
    Offsets used: ``1, R, R+1, 2R, 3R``. Vocabulary: 241 tokens.

    Examples
    --------
    >>> t = get_task("add-local", digits=2, width=4)
    >>> seq, _ = t.encode([57], [68])
    >>> " ".join(t.vocabulary.names(seq[0, 11:])), t.decode(seq[0])
    ('<k> k:1 k:1 k:0 k:0 <z> z7+8+0 z5+6+1 z0+0+1 z0+0+0 <ans> 5 2 1 0 <eos>', 125)
    """

    name: ClassVar[str] = "add-local"
    op: ClassVar[str] = "+"
    width: int = 10
    #: The classes of :meth:`layout`: the prompt shares ``<k>`` (the carry row's header), ``<eos>``
    #: shares ``<ans>``.
    class_names: ClassVar[tuple[str, ...]] = ("<k>", "k", "<z>", "z", "<ans>", "answer")

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_width(self.width, self.digits + 2, f"task {self.name!r} with {self.digits} digits")

    @property
    def offsets(self) -> tuple[int, ...]:
        R = self.row
        return (1, R, R + 1, 2 * R, 3 * R)

    @property
    def n_answer_digits(self) -> int:
        return self.digits + 1

    def layout(self) -> PositionLayout:
        """Classes: the carry row, the tuple row, the answer row (headers read the header above)."""
        R = self.row
        reads = [(R,), (1, R, 2 * R), (R,), (R + 1, 2 * R, 3 * R), (R,), (R,)]  # <k>, k:, <z>, z, <ans>, digits
        classes = [0] * (5 * R + 2)  # the whole sequence: <bos>, five rows, <eos>
        for row in range(3):
            start = 1 + (2 + row) * R
            classes[start] = 2 * row
            classes[start + 1:start + R] = [2 * row + 1] * (R - 1)
        classes[1 + 5 * R] = 4  # <eos>: reads the <ans> one row up
        return PositionLayout(period=5 * R + 2, classes=tuple(classes), names=self.class_names, offsets=tuple(reads))

    def result(self, a, b):
        return a + b

    def _vocab_tokens(self):
        return (SPECIAL_TOKENS + ("<a>", "<b>", "<k>", "<z>") + _digit_tokens("a:") + _digit_tokens("b:")
                + _digit_tokens("k:", 2) + tuple(f"z{x}+{y}+{c}" for x in range(10) for y in range(10) for c in range(2))
                + _digit_tokens(""))

    def _encode(self, a, b):
        n, W = self.digits, self.width
        N = len(a)
        A = np.zeros((N, W), np.int64)
        B = np.zeros((N, W), np.int64)
        A[:, :n], B[:, :n] = digits_least_first(a, n), digits_least_first(b, n)
        cols: list = [BOS]
        self._row(cols, "<a>", A, "a:0")
        self._row(cols, "<b>", B, "b:0")
        n_prompt = len(cols)
        k_in, k_out, s = MulLocal._carry_chain(A + B)
        self._row(cols, "<k>", k_out, "k:0")
        self._row(cols, "<z>", (A * 10 + B) * 2 + k_in, "z0+0+0")
        self._row(cols, ANS, s, "0")
        cols.append(EOS)
        R = self.row
        return cols, [0] * n_prompt + [1] * (2 * R) + [2] * (R + 1)


#: Task name -> class.
TASKS: dict[str, type[Task]] = {t.name: t for t in (MulPaper, MulNoCoT, MulLocal, AddLocal)}


def get_task(name: str, **params: Any) -> Task:
    """The task ``name`` (a key of :data:`TASKS`) with ``params`` (``digits``, and ``width`` for the local ones).

    Raises
    ------
    TaskError
        An unknown name or parameter.

    >>> get_task("mul-local", digits=3).spec
    'mul-local(digits=3,width=17)'
    """
    if name not in TASKS:
        raise TaskError(f"Unknown task {name!r}; the tasks are {', '.join(sorted(TASKS))}.")
    cls = TASKS[name]
    names = [f.name for f in fields(cls)]
    unknown = set(params) - set(names)
    if unknown:
        raise TaskError(f"Task {name!r} has no parameter {sorted(unknown)[0]!r}; its parameters are "
                           f"{', '.join(names)}.")
    return cls(**params)


def make_task_dataset(name: str, n: int, *, split: str | None = "train", random_state: Any = None,
                      unique: bool = False, **params: Any) -> Dataset:
    """``n`` operand pairs of ``split`` (``"train"``, ``"test"``, or None for any) encoded by task ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`TASKS`.
    n : int
    split : {"train", "test", None}
        The part of the paper's 75/25 hash split the pairs come from.
    random_state : int, Generator or None
        All randomness from ``numpy.random.default_rng(random_state)``; None draws a seed and records it.
    unique : bool, default False
        Distinct pairs (else i.i.d., as the paper samples).
    **params
        Task parameters: ``digits`` (2-8, default 4); ``width`` for the local tasks.

    Returns
    -------
    tmsim.datasets.Dataset
    """
    return get_task(name, **params).make_dataset(n, split=split, random_state=random_state, unique=unique)
