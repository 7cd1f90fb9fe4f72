"""Scoring a person for a member: the credit-assessment consent checked, the newest model's score,
probability of default, band and reasons, and every call audited (``analytics_score_call``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from samgak import mydata
from samgak.analytics.errors import AnalyticsError
from samgak.analytics.models import AnalyticsScoreCall
from samgak.analytics.repository import AnalyticsRepository
from samgak.analytics.scoring.develop import NAME, band, psi
from samgak.analytics.scoring.features import NAMES, features
from samgak.analytics.scoring.registry import Model, load, versions
from samgak.config import Settings
from samgak.kit.db import Database
from samgak.kit.timeutil import today_kst, utcnow


@dataclass(frozen=True, slots=True)
class Decision:
    score: int
    probability: float
    band: str
    words: str
    reasons: list[str]
    thin_file: bool
    members: list[str]  # org codes whose data were used
    model_version: str


def models_dir(settings: Settings) -> Path:
    return Path(settings.analytics.models_dir)


@lru_cache(maxsize=4)
def _cached(root: str, version: str) -> Model | None:
    return load(Path(root), NAME, version)


def current_model(settings: Settings) -> Model:
    """The newest trained model (cached per version)."""
    found = versions(models_dir(settings), NAME)
    model = _cached(str(models_dir(settings)), max(found)) if found else None
    if model is None:
        raise AnalyticsError(
            "아직 학습된 신용평가 모형이 없습니다: samgak score train", status_code=503, code="no_model"
        )
    return model


def decide(model: Model, history: mydata.CreditHistory) -> Decision:
    frame = pd.DataFrame([features(history)], columns=list(NAMES))
    points = model.scorecard.points(frame)
    score = points.sum(axis=1).to_numpy()
    probability = float(model.scorecard.probability(frame, score)[0])
    code, words = band(probability)
    return Decision(
        score=round(float(score[0])),
        probability=round(probability, 4),
        band=code,
        words=words,
        reasons=list(model.scorecard.reasons(points)[0]),
        thin_file=history.thin_file,
        members=sorted(history.members),
        model_version=model.version,
    )


async def prescreen(
    database: Database, settings: Settings, subject: str, *, org_code: str, channel: str
) -> Decision:
    """Score ``subject`` for ``org_code``; refused (and audited) without a credit-assessment consent."""
    model = current_model(settings)
    async with database.read_sessions() as session:
        history = await mydata.credit_history(session, subject, today_kst())
    decision = decide(model, history) if history is not None else None
    async with database.unit_of_work() as session:
        AnalyticsRepository(session).add(
            AnalyticsScoreCall(
                at=utcnow(),
                org_code=org_code,
                channel=channel,
                subject=subject,
                consented=decision is not None,
                model_version=model.version,
                score=decision.score if decision else None,
                probability=decision.probability if decision else None,
                band=decision.band if decision else None,
                reasons=json.dumps(decision.reasons, ensure_ascii=False) if decision else None,
            )
        )
    if decision is None:
        raise AnalyticsError(
            "신용평가 목적으로 연결한 마이데이터가 없습니다. 마이데이터에서 목적을 '신용평가'로 기관을 연결하세요",
            status_code=403,
            code="no_credit_consent",
        )
    return decision


async def drift(database: Database, settings: Settings, days: int = 30) -> tuple[float | None, int]:
    """PSI of the last ``days`` of answered scores against the training scores, and how many."""
    model = current_model(settings)
    async with database.read_sessions() as session:
        scores = await AnalyticsRepository(session).scores_since(
            utcnow() - timedelta(days=days), model.version
        )
    if len(scores) < 10:
        return None, len(scores)
    return round(psi(model.card["score_reference"], np.array(scores)), 4), len(scores)
