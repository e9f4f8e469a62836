"""Learner internals of :class:`learners.TransformerAR` that need no PyTorch: the ALiBi head slopes and the
tensor shapes a saved network must hold (checked before PyTorch sees a loaded file)."""

from __future__ import annotations

__all__ = ["geometric_slopes", "state_shapes"]

def geometric_slopes(n_heads: int) -> tuple[float, ...]:
    """ALiBi's head slopes (Press et al.): ``2^(-8 h / H)`` for ``h = 1..H``.

    >>> geometric_slopes(4)
    (0.25, 0.0625, 0.015625, 0.00390625)
    """
    return tuple(2.0 ** (-8.0 * (h + 1) / n_heads) for h in range(n_heads))


def state_shapes(vocab_size: int, d_model: int, n_layers: int, context: int | None,
                 positional: str) -> dict[str, tuple[int, ...]]:
    """The name and shape of every tensor of :class:`Net`'s ``state_dict`` (what a saved file must hold),
    computed without PyTorch.

    >>> s = state_shapes(5, 8, 1, 4, "learned")
    >>> s["tok.weight"], s["pos.weight"], s["blocks.0.qkv.weight"], len(s)
    ((6, 8), (4, 8), (24, 8), 16)
    """
    d = d_model
    out: dict[str, tuple[int, ...]] = {"tok.weight": (vocab_size + 1, d)}
    if positional == "learned":
        out["pos.weight"] = (int(context), d)
    for i in range(n_layers):
        b = f"blocks.{i}."
        out.update({b + "ln1.weight": (d,), b + "ln1.bias": (d,), b + "ln2.weight": (d,), b + "ln2.bias": (d,),
                    b + "qkv.weight": (3 * d, d), b + "qkv.bias": (3 * d,), b + "proj.weight": (d, d),
                    b + "proj.bias": (d,), b + "fc.weight": (4 * d, d), b + "fc.bias": (4 * d,),
                    b + "out.weight": (d, 4 * d), b + "out.bias": (d,)})
    out.update({"ln.weight": (d,), "ln.bias": (d,)})
    return out
