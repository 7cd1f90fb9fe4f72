"""Scorecards: optimal binning + weight of evidence + logistic regression, scaled to points, with a
calibrated probability of default and reason codes; a gradient-boosted challenger beside them.

* **Binning** — optbinning's ``BinningProcess`` (optimal binning by mixed-integer programming),
  each feature held to the monotonic trend of risk the catalogue declares; missing values get
  their own bin.
* **Points** — Siddiqi's scaling: ``score = offset − factor · ln(odds of bad)`` with
  ``factor = PDO / ln 2`` and ``offset = base − factor · ln(1 / base_odds)`` (``base`` points at
  good:bad odds ``base_odds``:1; every ``PDO`` points double the odds). A feature's points are
  ``−factor · β · WoE`` plus an equal share of the intercept, so the points of a person's bins add
  up to the score.
* **Probability of default** — Platt scaling of the scorecard's logit fitted on out-of-fold
  predictions (the score itself stays the scorecard's).
* **Reason codes** — the features where the person's bin gives the most points fewer than the
  feature's best bin (adverse action reasons), in plain Korean from the catalogue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from optbinning import BinningProcess
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from samgak.analytics.scoring.features import BY_NAME


def binned_woe(binning: BinningProcess, frame: pd.DataFrame) -> pd.DataFrame:
    found: pd.DataFrame = binning.transform(
        frame, metric="woe", metric_missing="empirical", metric_special="empirical"
    )
    return found


@dataclass
class Scorecard:
    features: list[str]
    binning: BinningProcess
    logistic: LogisticRegression
    calibration: LogisticRegression
    pdo: float = 20.0
    base: float = 600.0
    base_odds: float = 50.0
    best: dict[str, float] = field(default_factory=dict)  # each feature's most points
    # per numeric feature: the bins' split points, each bin's WOE and the Missing bin's — what
    # scoring reads instead of optbinning's transform (None: a categorical feature is present)
    tables: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], float]] | None = None

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base - self.factor * math.log(1 / self.base_odds)

    def woe(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Each value's bin's weight of evidence; a missing value gets its own (Missing) bin's.
        Numeric features are looked up in the fitted tables (bins are ``[split_i, split_i+1)``)."""
        if self.tables is None:
            return binned_woe(self.binning, frame[self.features])
        columns = {}
        for name in self.features:
            splits, woes, missing = self.tables[name]
            values = frame[name].to_numpy(dtype=float)
            found = woes[np.searchsorted(splits, values, side="right")]
            found[np.isnan(values)] = missing
            columns[name] = found
        return pd.DataFrame(columns, index=frame.index)

    def points(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Points per feature per row (they add up to the score)."""
        woe = self.woe(frame).to_numpy()
        share = (self.offset - self.factor * float(self.logistic.intercept_[0])) / len(self.features)
        values = share - self.factor * woe * self.logistic.coef_[0]
        return pd.DataFrame(values, columns=self.features, index=frame.index)

    def score(self, frame: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.asarray(self.points(frame).sum(axis=1).to_numpy(), dtype=np.float64)

    def probability(
        self, frame: pd.DataFrame, score: np.ndarray[Any, np.dtype[np.float64]] | None = None
    ) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Calibrated probability of default (from the score when it is known: the scorecard's
        logit is ``(offset − score) / factor``)."""
        score = self.score(frame) if score is None else score
        logit = (self.offset - score) / self.factor
        calibrated = float(self.calibration.coef_[0, 0]) * logit + float(self.calibration.intercept_[0])
        return np.asarray(1 / (1 + np.exp(-calibrated)), dtype=np.float64)

    def reasons(self, points: pd.DataFrame, top: int = 3) -> list[tuple[str, ...]]:
        """Each row's adverse reasons: the features whose points fall furthest below their best
        bin's (more than half a point), largest first. Rows share a few hundred combinations, so
        each combination's words are built once."""
        best = np.array([self.best[f] for f in self.features])
        gap = best - points[self.features].to_numpy()
        order = np.argsort(-gap, axis=1, kind="stable")[:, :top]
        codes = np.where(np.take_along_axis(gap, order, axis=1) > 0.5, order, -1)
        combinations, inverse = np.unique(codes, axis=0, return_inverse=True)
        words = [BY_NAME[f].adverse if f in BY_NAME else f for f in self.features]
        phrases = [tuple(words[c] for c in row if c >= 0) for row in combinations.tolist()]
        return [phrases[i] for i in inverse.ravel().tolist()]


def fit_scorecard(
    frame: pd.DataFrame,
    y: np.ndarray[Any, Any],
    features: list[str],
    *,
    trends: dict[str, str] | None = None,
    categorical: list[str] | None = None,
    C: float = 1.0,
    min_prebin_size: float = 0.05,
    categorical_prebin_size: float | None = None,
) -> Scorecard:
    """Bin, fit, calibrate and scale a scorecard on ``frame[features]`` with outcome ``y`` (1 = bad);
    categorical variables may get their own (smaller) pre-bin size."""
    trends = trends or {}
    categorical = categorical or []
    params: dict[str, dict[str, Any]] = {
        f: {"monotonic_trend": t} for f, t in trends.items() if f in features
    }
    if categorical_prebin_size is not None:
        for name in categorical:
            params.setdefault(name, {})["min_prebin_size"] = categorical_prebin_size
    binning = BinningProcess(
        variable_names=features,
        categorical_variables=categorical,
        min_prebin_size=min_prebin_size,
        binning_fit_params=params,
    )
    binning.fit(frame[features], y)
    woe = binned_woe(binning, frame[features])
    logistic = LogisticRegression(C=C, max_iter=2000).fit(woe, y)
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    logits = cross_val_predict(
        LogisticRegression(C=C, max_iter=2000), woe, y, cv=folds, method="decision_function"
    )
    calibration = LogisticRegression().fit(np.asarray(logits).reshape(-1, 1), y)
    card = Scorecard(features, binning, logistic, calibration)
    if not categorical:
        card.tables = {name: _table(binning, name) for name in features}
    card.best = card.points(frame).max(axis=0).to_dict()
    return card


def _table(binning: BinningProcess, name: str) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], float]:
    """A numeric feature's fitted bins: split points, each bin's WOE, the Missing bin's WOE."""
    variable = binning.get_binned_variable(name)
    splits = np.asarray(variable.splits, dtype=float)
    table = variable.binning_table.build()
    woes = np.asarray(table["WoE"].iloc[: len(splits) + 1], dtype=float)
    missing = float(table.loc[table["Bin"] == "Missing", "WoE"].iloc[0])
    return splits, woes, missing


def fit_challenger(
    frame: pd.DataFrame, y: np.ndarray[Any, Any], features: list[str]
) -> HistGradientBoostingClassifier:
    """The gradient-boosted challenger: shallow trees, missing values native."""
    return HistGradientBoostingClassifier(
        max_iter=200, learning_rate=0.05, max_depth=3, l2_regularization=1.0, random_state=0
    ).fit(frame[features], y)
