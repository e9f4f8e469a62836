"""Benchmark: training throughput (tokens/s) of the paper's linear text model in numpy
(:class:`learners.MLPAR`, ``context="causal", activation="identity", hidden_layer_sizes=()``) beside
PyTorch running the same model on the CPU: same Austen chunks, same batches, same thread count.

The model: token embedding (V, d) -> masked block-causal linear layer over T + 1 positions (output ``q``
reads the embeddings at positions ``< q``; the paper's Linear(T*d -> T*d)) -> output layer (d, V); cross-
entropy over every target of a chunk, AdamW (lr 1e-2, weight decay 0.1), clipping at norm 1, float32.
Two PyTorch implementations are timed: ``packed`` -- the same algorithm as numpy (one ``(q d) x d`` block per
position, a matmul per position) -- and ``dense`` -- the paper's: one dense ``(T+1) d x (T+1) d`` weight
multiplied by a block-triangular mask on every step. The ratio is numpy against the faster of the two.
Target: numpy <= 1.2x the torch time. The sides alternate and the best of ``repeat`` is kept, so other
jobs on a shared machine slow both alike.

PyTorch is a benchmark-only optional dependency (``pip install 'ar-universal[bench]'``); without it the
torch columns are skipped with a message and the numpy throughput is still reported.

Usage::

    python benchmarks/bench_text.py [--quick] [--threads 1,2] [--dims 32,48,64] [--chunks 512] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from learners import MLPAR
from proofs_checks.experiments.text.corpora import load_austen, split_documents
from proofs_checks.experiments.text.models import make_chunks
from proofs_checks.experiments.text.tokenizers import PAD, WordTokenizer
from _timing import best_of  # benchmarks/_timing.py (run as a script from benchmarks/)

T = 64
BATCH = 32


def torch_epoch_fns(chunks, V: int, d: int, threads: int):
    """{"packed": fn, "dense": fn} running one torch epoch each, or a string saying why there are none."""
    try:
        import torch
    except ImportError:
        return "PyTorch is not installed (pip install 'ar-universal[bench]'): the torch side is skipped."
    torch.set_num_threads(threads)
    L = T + 1
    starts, lens = chunks.offsets[:-1], np.diff(chunks.offsets)
    data = np.full((len(starts), L), PAD, dtype=np.int64)
    for i, (s, n) in enumerate(zip(starts, lens)):
        data[i, :n] = chunks.tokens[s:s + n]
    data = torch.from_numpy(data)
    target = data.clone()
    target[:, 0] = -100  # position 0 is context only
    target[data == PAD] = -100

    def make(kind: str):
        torch.manual_seed(0)
        emb = torch.nn.Embedding(V, d)
        out = torch.nn.Linear(d, V)
        if kind == "dense":
            W = torch.nn.Parameter(torch.empty(L * d, L * d).uniform_(-(L * d) ** -0.5, (L * d) ** -0.5))
            mask = torch.zeros(L, L)
            mask[torch.tril_indices(L, L, offset=-1).unbind()] = 1.0  # output q reads inputs < q
            mask = mask.repeat_interleave(d, 0).repeat_interleave(d, 1).T.contiguous()  # (in, out)
            bias = torch.nn.Parameter(torch.zeros(L * d))
            mid = [W, bias]

            def causal(x):  # x: (B, L*d)
                return x @ (W * mask) + bias
        else:
            blocks = torch.nn.ParameterList([torch.nn.Parameter(torch.empty(q * d, d).uniform_(-0.01, 0.01))
                                             for q in range(1, L)])
            bias = torch.nn.Parameter(torch.zeros(L, d))
            mid = list(blocks) + [bias]

            def causal(x):
                B = x.shape[0]
                hs = [bias[0].expand(B, d)] + [x[:, :q * d] @ blocks[q - 1] + bias[q] for q in range(1, L)]
                return torch.stack(hs, dim=1)
        params = list(emb.parameters()) + mid + list(out.parameters())
        decay = [emb.weight, out.weight] + [p for p in mid if p.dim() == 2]
        ids = {id(p) for p in decay}
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                 {"params": [p for p in params if id(p) not in ids], "weight_decay": 0.0}], lr=1e-2)
        gen = torch.Generator().manual_seed(0)

        def epoch():
            order = torch.randperm(len(data), generator=gen)
            for i in range(0, len(data), BATCH):
                b = order[i:i + BATCH]
                x = emb(data[b]).reshape(len(b), -1)
                h = causal(x).reshape(len(b), L, d)
                logits = out(h)
                loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), target[b].reshape(-1))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
            return loss.item()

        return epoch

    return {"packed": make("packed"), "dense": make("dense")}


def bench(n_chunks: int, dims: list[int], threads: int, repeat: int) -> list[dict]:
    docs = split_documents(load_austen().documents).train
    tok = WordTokenizer(4096).fit(docs)  # the full text run's vocabulary
    chunks = make_chunks(tok.encode_documents(docs), T, tok.vocab_size)
    chunks = chunks.subset(np.arange(n_chunks))
    n_tok = int(np.count_nonzero(chunks.kinds))
    rows = []
    for d in dims:
        row = {"T": T, "d": d, "V": tok.vocab_size, "batch": BATCH, "threads": threads, "tokens": n_tok}
        model = MLPAR(context="causal", context_length=T + 1, embedding_dim=d, hidden_layer_sizes=(),
                      activation="identity", learning_rate=1e-2, weight_decay=0.1, batch_size=BATCH, max_epochs=1,
                      validation_fraction=0, early_stopping=False, verbose=0, random_state=0, n_threads=threads)
        model.fit(chunks)  # warm-up
        row["parameters"] = model.n_parameters_
        fns = torch_epoch_fns(chunks, tok.vocab_size, d, threads)
        if isinstance(fns, str):
            row["torch_skipped"] = fns
            row["numpy_s"] = best_of(lambda: model.fit(chunks), repeat)
        else:
            times: dict[str, list[float]] = {"numpy": [], "packed": [], "dense": []}
            with threadpool_limits(limits=threads):
                for fn in fns.values():
                    fn()  # warm-up
            for _ in range(repeat):
                times["numpy"].append(best_of(lambda: model.fit(chunks), 1))
                with threadpool_limits(limits=threads):
                    for k, fn in fns.items():
                        times[k].append(best_of(fn, 1))
            row["numpy_s"] = min(times["numpy"])
            row["torch_packed_s"], row["torch_dense_s"] = min(times["packed"]), min(times["dense"])
            best = min(row["torch_packed_s"], row["torch_dense_s"])
            row["torch_packed_tokens_per_s"] = n_tok / row["torch_packed_s"]
            row["torch_dense_tokens_per_s"] = n_tok / row["torch_dense_s"]
            row["numpy_over_torch"] = row["numpy_s"] / best
        row["numpy_tokens_per_s"] = n_tok / row["numpy_s"]
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="128 chunks, d = 64 only, one repeat")
    ap.add_argument("--threads", default="1", help="comma-separated BLAS/torch thread counts (default 1)")
    ap.add_argument("--dims", default="32,48,64", help="embedding sizes d (default 32,48,64; 48 is the full text run's)")
    ap.add_argument("--chunks", type=int, default=512, help="training chunks of 65 tokens per epoch")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    repeat = 1 if args.quick else 3
    dims = [64] if args.quick else [int(x) for x in args.dims.split(",")]
    rows = [r for th in (int(x) for x in args.threads.split(","))
            for r in bench(128 if args.quick else args.chunks, dims, th, repeat)]
    target = 1.2
    if args.json:
        print(json.dumps({"results": rows, "target_numpy_over_torch": target,
                          "seconds": time.perf_counter() - t0}, indent=2))
        return 0
    print(f"one epoch of the linear text model on {rows[0]['tokens']:,} Austen targets, T = {T}, V = {rows[0]['V']}, "
          f"batch {BATCH} (best of {repeat}, interleaved); tokens/s")
    print(f"{'threads':>7} {'d':>4} {'params':>12} {'numpy':>9} {'torch packed':>13} {'torch dense':>12} "
          f"{'numpy/torch time':>17}")
    nan = float("nan")
    for r in rows:
        ratio = r.get("numpy_over_torch")
        mark = "" if ratio is None else ("   target <= 1.2: " + ("yes" if ratio <= target else "NO"))
        print(f"{r['threads']:>7} {r['d']:>4} {r['parameters']:>12,} {r['numpy_tokens_per_s']:>9.0f} "
              f"{r.get('torch_packed_tokens_per_s', nan):>13.0f} {r.get('torch_dense_tokens_per_s', nan):>12.0f} "
              f"{ratio if ratio is not None else nan:>17.2f}{mark}")
    for r in rows:
        if "torch_skipped" in r:
            print(r["torch_skipped"])
            break
    return 0


if __name__ == "__main__":
    sys.exit(main())
