"""Benchmark: one training epoch of the numpy MLP (:class:`learners.MLPAR`) against the same architecture in
PyTorch on the CPU, side by side, same data, same batches, same thread count.

Both sides train the window model -- embedding (V, d), the k embeddings before each position
concatenated, ReLU layers, logits over V -- with cross-entropy on the loss-masked positions, AdamW
(lr 1e-3, weight decay 0.01), gradient clipping at norm 1, float32, on the paper's multiplication CoT
(``mul-paper``: V = 117, 297 training positions per sequence). The numpy side is ``MLPAR.fit`` for one
epoch (data preparation, shuffling and the optimiser included); the torch side is a plain training loop
over the same batch size (``nn.Embedding``, ``nn.Linear``, ``torch.optim.AdamW``,
``clip_grad_norm_``), its windows precomputed (a cost the numpy side pays inside its epoch).
Target: numpy <= 1.2x the torch time per epoch. The two sides alternate epoch by epoch and the best of each
is kept, so that other jobs on a shared machine slow both alike.

PyTorch is a benchmark-only optional dependency (``pip install torch``); without it the torch column is
skipped with a message and the numpy times are still reported.

Usage::

    python benchmarks/bench_mlp.py [--quick] [--threads 1,2] [--sequences 500] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from learners import MLPAR, as_sequences
from learners.mlp._layers import _window_tokens
from tmsim.datasets.tasks import get_task
from _timing import best_of  # benchmarks/_timing.py (run as a script from benchmarks/)

#: (window k, embedding d, hidden layers, batch): a mid-size model and the kind the experiment trains.
CONFIGS = [(32, 32, (512,), 1024), (64, 16, (256, 256), 512)]


def torch_epoch_fn(seqs, k: int, d: int, hidden: tuple[int, ...], batch: int, threads: int):
    """A function running one torch epoch over the same windows, or a string saying why there is none."""
    try:
        import torch
    except ImportError:
        return "PyTorch is not installed (pip install torch): the torch side is skipped."
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    V = seqs.vocab_size
    pos = np.flatnonzero(seqs.kinds != 0)
    win = torch.from_numpy(_window_tokens(seqs.tokens, seqs.offsets, pos, np.arange(1, k + 1)))
    y = torch.from_numpy(seqs.tokens[pos].astype(np.int64))
    layers, width = [], k * d
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    emb = torch.nn.Embedding(V, d)
    head = torch.nn.Sequential(*layers, torch.nn.Linear(width, V))
    params = list(emb.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
    gen = torch.Generator().manual_seed(0)

    def epoch():
        order = torch.randperm(len(pos), generator=gen)
        for i in range(0, len(pos), batch):
            b = order[i:i + batch]
            logits = head(emb(win[b]).reshape(len(b), -1))
            loss = torch.nn.functional.cross_entropy(logits, y[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
        return loss.item()

    return epoch


def bench(n_seq: int, threads: int, repeat: int) -> list[dict]:
    """Per config, numpy and torch epochs interleaved (numpy, torch, numpy, ...), best of ``repeat`` each:
    on a machine shared with other jobs both sides then see the same conditions."""
    data = get_task("mul-paper").make_dataset(n_seq, split="train", random_state=0)
    seqs = as_sequences(data)
    n_pos = int(np.count_nonzero(seqs.kinds))
    out = []
    for k, d, hidden, batch in CONFIGS:
        row = {"k": k, "d": d, "hidden": list(hidden), "batch": batch, "positions": n_pos, "threads": threads}
        model = MLPAR(window=k, embedding_dim=d, hidden_layer_sizes=hidden, batch_size=batch, max_epochs=1,
                      validation_fraction=0, early_stopping=False, verbose=0, random_state=0, n_threads=threads)
        fn = torch_epoch_fn(seqs, k, d, hidden, batch, threads)
        model.fit(seqs)  # warm-up
        row["parameters"] = model.n_parameters_
        if isinstance(fn, str):
            row["torch_skipped"] = fn
            row["numpy_s"] = best_of(lambda: model.fit(seqs), repeat)
        else:
            with threadpool_limits(limits=threads):
                fn()  # warm-up
            t_np, t_torch = [], []
            for _ in range(repeat):
                t_np.append(best_of(lambda: model.fit(seqs), 1))
                with threadpool_limits(limits=threads):
                    t_torch.append(best_of(fn, 1))
            row["numpy_s"], row["torch_s"] = min(t_np), min(t_torch)
            row["torch_positions_per_s"] = n_pos / row["torch_s"]
            row["numpy_over_torch"] = row["numpy_s"] / row["torch_s"]
        row["numpy_positions_per_s"] = n_pos / row["numpy_s"]
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="100 sequences (29,700 positions), one repeat")
    ap.add_argument("--threads", default="1,2", help="comma-separated BLAS/torch thread counts (default 1,2)")
    ap.add_argument("--sequences", type=int, default=500, help="training sequences (297 positions each)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    repeat = 1 if args.quick else 3
    rows = [r for th in (int(x) for x in args.threads.split(","))
            for r in bench(100 if args.quick else args.sequences, th, repeat)]
    target = 1.2
    if args.json:
        print(json.dumps({"results": rows, "target_numpy_over_torch": target,
                          "seconds": time.perf_counter() - t0}, indent=2))
        return 0
    print(f"one epoch of mul-paper windows, {rows[0]['positions']:,} positions (best of {repeat}, interleaved)")
    print(f"{'threads':>7} {'k':>4} {'d':>4} {'hidden':>12} {'batch':>6} {'params':>9} {'numpy s':>9} "
          f"{'torch s':>9} {'numpy/torch':>12}")
    for r in rows:
        ratio = r.get("numpy_over_torch")
        mark = "" if ratio is None else ("   target <= 1.2: " + ("yes" if ratio <= target else "NO"))
        print(f"{r['threads']:>7} {r['k']:>4} {r['d']:>4} {str(tuple(r['hidden'])):>12} {r['batch']:>6} "
              f"{r['parameters']:>9,} {r['numpy_s']:>9.3f} {r.get('torch_s', float('nan')):>9.3f} "
              f"{ratio if ratio is not None else float('nan'):>12.2f}{mark}")
    for r in rows:
        if "torch_skipped" in r:
            print(r["torch_skipped"])
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
