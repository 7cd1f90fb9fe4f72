"""Model development: a scorecard and its challenger from examples, measured on a held-out third —
overall, for thin and thick files, with and without the telecom features (the lift they give thin
files), calibration, and fairness across age and sex bands — and written into the model card."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split

from samgak.analytics.scoring.features import BY_NAME, NAMES, TELECOM, features
from samgak.analytics.scoring.model import fit_challenger, fit_scorecard
from samgak.analytics.scoring.registry import Model, new_version

NAME = "alt-credit"
BANDS = (
    (0.02, "A", "우수"),
    (0.05, "B", "양호"),
    (0.10, "C", "보통"),
    (0.20, "D", "주의"),
    (1.01, "E", "위험"),
)
APPROVE_BELOW = 0.05  # the pre-screen's "likely" line: bands A and B
PREBIN = 0.01  # bads are a few percent: pre-bins of 1% let a missed phone bill stand on its own
AGE_BANDS = ((19, 29), (30, 39), (40, 49), (50, 59), (60, 120))


def band(probability: float) -> tuple[str, str]:
    return next((code, words) for limit, code, words in BANDS if probability < limit)


def frame_of(examples: Iterable[Any]) -> tuple[pd.DataFrame, np.ndarray[Any, Any], pd.DataFrame]:
    """``(features, outcome, who)`` of training examples (``who``: thin file, age, sex)."""
    rows, outcome, who = [], [], []
    for example in examples:
        rows.append(features(example.history))
        outcome.append(int(example.bad))
        who.append({"thin_file": example.history.thin_file, "age": example.age, "sex": example.sex})
    return pd.DataFrame(rows, columns=list(NAMES)), np.array(outcome), pd.DataFrame(who)


def _auc(y: np.ndarray[Any, Any], p: np.ndarray[Any, Any]) -> float | None:
    return round(float(roc_auc_score(y, p)), 4) if 0 < y.sum() < len(y) else None


def _ks(y: np.ndarray[Any, Any], p: np.ndarray[Any, Any]) -> float:
    fpr, tpr, _ = roc_curve(y, p)
    return round(float(np.max(tpr - fpr)), 4)


def fairness(
    y: np.ndarray[Any, Any], pd_: np.ndarray[Any, Any], score: np.ndarray[Any, Any], who: pd.DataFrame
) -> list[dict[str, Any]]:
    """Per age band and per sex: people, bad rate, mean score, share pre-approved, AUC, and the
    pre-approval rate relative to the best-treated group (the four-fifths rule's ratio)."""
    groups = [
        (f"{low}–{high if high < 120 else ''}세", (who.age >= low) & (who.age <= high))
        for low, high in AGE_BANDS
    ]
    groups += [("여성" if s == "F" else "남성", who.sex == s) for s in ("F", "M")]
    out: list[dict[str, Any]] = []
    for label, mask in groups:
        chosen = mask.to_numpy()
        if not chosen.any():
            continue
        out.append(
            {
                "group": label,
                "people": int(chosen.sum()),
                "bad_rate": round(float(y[chosen].mean()), 4),
                "mean_score": round(float(score[chosen].mean()), 1),
                "approved": round(float((pd_[chosen] < APPROVE_BELOW).mean()), 4),
                "auc": _auc(y[chosen], pd_[chosen]),
            }
        )
    best = max((float(g["approved"]) for g in out), default=0.0) or 1.0
    for g in out:
        g["approval_ratio"] = round(float(g["approved"]) / best, 3)
    return out


def score_deciles(score: np.ndarray[Any, Any]) -> dict[str, list[float]]:
    """The training scores' decile edges and shares: the reference of the drift (PSI) report."""
    edges = np.unique(np.quantile(score, np.linspace(0, 1, 11)[1:-1]))
    shares = np.bincount(np.searchsorted(edges, score, side="right"), minlength=len(edges) + 1) / len(score)
    return {"edges": [round(float(e), 3) for e in edges], "shares": [round(float(s), 5) for s in shares]}


def psi(reference: dict[str, list[float]], scores: np.ndarray[Any, Any]) -> float:
    """Population stability index of ``scores`` against the training deciles."""
    edges = np.array(reference["edges"])
    expected = np.clip(np.array(reference["shares"]), 1e-4, None)
    actual = np.bincount(np.searchsorted(edges, scores, side="right"), minlength=len(edges) + 1) / max(
        len(scores), 1
    )
    actual = np.clip(actual, 1e-4, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def develop(frame: pd.DataFrame, y: np.ndarray[Any, Any], who: pd.DataFrame, *, source: str) -> Model:
    """Train on two thirds, measure on the held-out third, write the model card."""
    version, digest = new_version(frame)
    trends = {f.name: f.trend for f in BY_NAME.values()}
    train, test = train_test_split(np.arange(len(y)), test_size=1 / 3, stratify=y, random_state=0)
    features_all = list(NAMES)
    card = fit_scorecard(frame.iloc[train], y[train], features_all, trends=trends, min_prebin_size=PREBIN)
    challenger = fit_challenger(frame.iloc[train], y[train], features_all)
    finance_only = [f for f in features_all if f not in TELECOM]
    without_telecom = fit_scorecard(
        frame.iloc[train], y[train], finance_only, trends=trends, min_prebin_size=PREBIN
    )
    X, yt, held = frame.iloc[test], y[test], who.iloc[test].reset_index(drop=True)
    probability, score = card.probability(X), card.score(X)
    thin = held.thin_file.to_numpy()
    measured = {
        "auc": _auc(yt, probability),
        "ks": _ks(yt, probability),
        "gini": round(2 * (_auc(yt, probability) or 0.5) - 1, 4),
        "brier": round(float(brier_score_loss(yt, probability)), 5),
        "challenger_auc": _auc(yt, challenger.predict_proba(X)[:, 1]),
        "thin_file_auc": _auc(yt[thin], probability[thin]),
        "thick_file_auc": _auc(yt[~thin], probability[~thin]),
        "thin_file_auc_without_telecom": _auc(yt[thin], without_telecom.probability(X)[thin]),
        "thin_file_share": round(float(thin.mean()), 4),
    }
    if measured["thin_file_auc"] and measured["thin_file_auc_without_telecom"]:
        measured["telecom_lift_thin_file"] = round(
            measured["thin_file_auc"] - measured["thin_file_auc_without_telecom"], 4
        )
    model_card = {
        "name": NAME,
        "version": version,
        "trained_at": datetime.now(UTC).isoformat(),
        "intended_use": "대출 사전심사: 신용 이력이 얇은 고객을 포함해, 신용평가 목적으로 연결한 마이데이터로 부도 확률을 추정하고 이유를 알려 준다. 최종 심사 결정에 단독으로 쓰지 않는다.",
        "training_data": {
            "source": source,
            "rows": len(y),
            "bad_rate": round(float(y.mean()), 4),
            "fingerprint_sha256": digest,
            "outcome": "컷오프 후 6개월 안에 휴대폰 요금 2개월 이상 미납",
            "window": "컷오프 전 12개월 (point-in-time)",
        },
        "features": [
            {"name": f.name, "label": f.label, "group": f.group, "trend": f.trend} for f in BY_NAME.values()
        ],
        "scaling": {"pdo": card.pdo, "base": card.base, "base_odds": card.base_odds},
        "bands": [{"band": code, "words": words, "pd_below": limit} for limit, code, words in BANDS],
        "held_out": measured,
        "fairness": fairness(yt, probability, score, held),
        "score_reference": score_deciles(card.score(frame.iloc[train])),
        "challenger": "HistGradientBoostingClassifier(max_depth=3, 200 iterations, learning rate 0.05)",
        "limitations": "합성 제휴 데이터로 학습: 불량 정의가 통신요금 미납뿐이고, 카드·대출 연체는 합성 데이터에 없다.",
    }
    return Model(NAME, version, card, challenger, model_card)
