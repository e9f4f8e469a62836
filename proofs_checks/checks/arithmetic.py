"""Check ``multiplication``: a thin adapter over :func:`proofs_checks.experiments.multiplication.run_multiplication` (the
paper's arithmetic experiment, maintained there): runs it and maps its verdicts, table rows and curves."""

from __future__ import annotations

from dataclasses import dataclass

from ..experiments.multiplication import MultiplicationConfig, figures, run_multiplication

from ..registry import Outcome, register


@dataclass(frozen=True)
class MultiplicationCheckConfig:
    """``quick`` selects the experiment's own quick or full plan; ``formats`` runs a subset of its task
    formats (None: all); ``mlp_time`` caps the seconds of each paper/no-CoT MLP in the full plan (None: only
    its step budget, deterministic);
    ``plans`` replaces the plan by custom :class:`proofs_checks.experiments.multiplication.FormatPlan` s (small test runs;
    with ``n_test`` held-out pairs); ``shuffle_cot`` the negative control (every training CoT and answer
    permuted)."""

    quick: bool = True
    formats: tuple[str, ...] | None = None
    mlp_time: float | None = None
    seed: int = 0
    plans: tuple | None = None
    n_test: int = 100
    shuffle_cot: bool = False


def _run(cfg: MultiplicationCheckConfig):
    config = None
    if cfg.plans is not None:
        config = MultiplicationConfig(cfg.quick, tuple(cfg.plans), n_test=cfg.n_test, n_test_long=cfg.n_test,
                                      n_curve_test=cfg.n_test, seed=cfg.seed)
    return run_multiplication(cfg.quick, config=config, formats=list(cfg.formats) if cfg.formats else None,
                              mlp_time=cfg.mlp_time, seed=cfg.seed, verbose=0, plots=False,
                              shuffle_cot=cfg.shuffle_cot)


#: (format, model) of the rows the sub-checks of the experiment decide on.
_VERDICT_ROWS = {("mul-local", "perceptron"), ("mul-paper", "mlp"), ("mul-nocot", "mlp")}


def _local_mlp_row(r: dict) -> dict:
    """The window MLP on the local CoT, in no verdict: what it measures and what it is given. Its inputs, the
    offsets the task declares, are given by construction (not discovered); its exact match and per-token
    accuracy are measured on held-out pairs after a small budget (the model's learning curve by operand
    length is ``proofs_checks.experiments.mul_curves``'s). Per-token accuracy far above exact match is the
    compounding of a few wrong tokens over a CoT of hundreds."""
    return {"exact_match": r["exact_match"], "token_accuracy": round(r["token_accuracy"], 4),
            "train_pairs": r["train_examples"], "train_digits": r["train_digits"],
            "inputs": "the offsets the task declares (by construction)", "measured": "exact match, token accuracy"}


def row_measurements(rows: list[dict]) -> dict:
    """``{"FORMAT / MODEL / D digits": exact match}`` for the rows a sub-check reads; every other row is
    information and says so in its name (the local-CoT MLP with what it measures: :func:`_local_mlp_row`)."""
    measured = {}
    for r in rows:
        key = f"{r['format']} / {r['model']} / {r['digits']} digits"
        if (r["format"], r["model"]) in _VERDICT_ROWS:
            measured[key] = r["exact_match"]
        elif (r["format"], r["model"]) == ("mul-local", "mlp"):
            measured[key + " (information)"] = _local_mlp_row(r)
        else:
            measured[key + " (information)"] = r["exact_match"]
    return measured


@register("multiplication",
          claim="On multiplication, a linear learner on a local CoT is exact on held-out and on longer operands, "
                "and with the paper's own CoT (2-digit operands) an MLP beats the same MLP without a CoT, given "
                "the same optimizer steps (the paper's experiment, scaled down).",
          theorem="[paper] section 4 (arithmetic experiment); docs/theory.md#multiplication",
          quick=MultiplicationCheckConfig(quick=True), full=MultiplicationCheckConfig(quick=False),
          control={"shuffle_cot": True}, control_breaks="the CoT's order: every training CoT and answer permuted")
def run_mul(cfg: MultiplicationCheckConfig, runner) -> Outcome:
    result = _run(cfg)
    checks = result.checks
    passed = bool(checks) and all(c["passed"] for c in checks.values())
    rows = [dict(format=r.format, model=r.model, digits=r.digits, train_digits=r.train_digits,
                 exact_match=r.exact_match, token_accuracy=r.token_accuracy, cot_exact=r.cot_exact,
                 per_digit=list(r.per_digit), parameters=r.parameters, train_examples=r.train_examples,
                 train_time=r.train_time, n_test=r.n_test, note=r.note) for r in result.rows]
    measured = row_measurements(rows)
    # Each sub-check: its measured value here, its fixed threshold (a number) in the threshold column.
    measured.update({name: c["measured"] for name, c in checks.items()})
    measured["sub_checks_passed"] = f"{sum(c['passed'] for c in checks.values())}/{len(checks)}"
    threshold = {name: c["threshold"] for name, c in checks.items()}
    verdict = "; ".join(f"{name}: {'PASS' if c['passed'] else 'FAIL'} ({c['detail']})" for name, c in checks.items())
    if not checks:
        verdict = "no sub-check of the arithmetic experiment applies to the formats run"
    figs = {f"multiplication_{k}": v for k, v in figures(result).items()}
    return Outcome(passed, measured, threshold, verdict, {}, {"rows": rows, "curves": result.curves,
                                                               "checks": checks, "table": result.table()}, figs)

