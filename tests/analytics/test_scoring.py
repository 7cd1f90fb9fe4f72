"""Alternative credit scoring on the synthetic alliance: point-in-time features, a versioned
scorecard with its card, and the pre-screen: refused (and audited) without data linked for credit
assessment, answered with a band and reasons with it — on the members' API and on the member's
page."""

from __future__ import annotations

import math
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from samgak import directory
from samgak.analytics.models import AnalyticsScoreCall
from samgak.analytics.scoring.develop import develop, frame_of
from samgak.analytics.scoring.features import CATALOGUE, NAMES, TELECOM, features
from samgak.analytics.scoring.model import binned_woe
from samgak.analytics.scoring.registry import load, save
from samgak.institution.core.synthetic import SyntheticAlliance
from samgak.kit.timeutil import today_kst
from samgak.training import example, examples
from tests.identity.softauthn import SoftAuthenticator
from tests.identity.test_passkeys import enrol as enrol_passkey
from tests.identity.test_signup import prove
from tests.identity.test_sso import visit
from tests.mydata.test_linking import sign

KT = "KTTC000030"
PERSON = 56  # K bank and KT (seed 7)
PEOPLE = 800


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model for the session, developed on the alliance of the tests' seed."""
    folder = tmp_path_factory.mktemp("models")
    found = examples(7, today_kst(), PEOPLE, workers=2)
    frame, outcome, who = frame_of(found)
    save(folder, develop(frame, outcome, who, source=f"test alliance, {PEOPLE} persons"))
    return folder


@pytest.fixture(scope="module")
def model_in_place(trained: Path, settings: Any) -> None:
    shutil.copytree(trained, settings.analytics.models_dir, dirs_exist_ok=True)


def test_features_see_only_the_twelve_months_before_the_cutoff() -> None:
    alliance = SyntheticAlliance(7, date(2026, 11, 30), 2)
    cutoff = date(2026, 5, 1)
    for index in range(40):
        history = example(alliance, index, cutoff).history
        dated = [d for d, *_ in history.deposits + history.card_approvals + history.micro_payments]
        months = [m for m, *_ in history.telecom_bills + history.telecom_paid + history.card_bills]
        assert all("20250501" <= d < "20260501" for d in dated) and all(
            "202505" <= m < "202605" for m in months
        )
        again = example(alliance, index, cutoff).history
        first, second = features(history), features(again)
        assert all(first[n] == second[n] or (math.isnan(first[n]) and math.isnan(second[n])) for n in NAMES)
        if history.thin_file:  # no bank, no card: finance features missing, telecom ones present
            assert all(math.isnan(first[n]) for n in NAMES if n not in TELECOM and n != "spend_cv")


def test_the_model_is_versioned_with_its_card(trained: Path) -> None:
    model = load(trained, "alt-credit")
    assert model is not None
    card = model.card
    assert card["training_data"]["rows"] == PEOPLE and len(card["training_data"]["fingerprint_sha256"]) == 64
    assert model.version.endswith(card["training_data"]["fingerprint_sha256"][:8])
    assert {"auc", "challenger_auc", "thin_file_auc", "thick_file_auc"} <= set(card["held_out"])
    assert {g["group"] for g in card["fairness"]} >= {"여성", "남성", "30–39세"}
    assert sum(card["score_reference"]["shares"]) == pytest.approx(1, abs=1e-3)
    frame = frame_of([example(SyntheticAlliance(7, today_kst(), 2), i, date(2026, 5, 1)) for i in range(20)])[
        0
    ]
    points = model.scorecard.points(frame)
    assert points.sum(axis=1).to_numpy() == pytest.approx(model.scorecard.score(frame))  # points add up
    looked_up = model.scorecard.woe(frame).to_numpy()  # the fitted tables give optbinning's WOE
    assert looked_up == pytest.approx(binned_woe(model.scorecard.binning, frame[list(NAMES)]).to_numpy())
    adverse = {f.adverse for f in CATALOGUE}
    assert all(set(reasons) <= adverse for reasons in model.scorecard.reasons(points))


@pytest.fixture(scope="module")
async def applicant(app: Any, alliance: Any, model_in_place: None) -> Any:
    person = alliance.person(PERSON)
    browser = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")
    authenticator = SoftAuthenticator()
    assert (await prove(browser, person)).status_code == 303
    assert (await enrol_passkey(browser, authenticator)).status_code == 201
    yield browser, authenticator, person
    await browser.aclose()


async def _link(browser: httpx.AsyncClient, authenticator: SoftAuthenticator, purpose: str) -> None:
    asked = await browser.post(
        "/mydata/link", data={"org": [KT], "purpose": purpose, "scheduled": "true", "cycle": "1/w"}
    )
    assert asked.status_code == 303, asked.text
    assert (await sign(browser, authenticator, asked.headers["location"])).status_code == 200


async def test_scores_need_data_linked_for_credit_assessment_and_every_call_is_audited(
    app: Any, client: httpx.AsyncClient, applicant: Any, settings: Any
) -> None:
    browser, authenticator, person = applicant
    token = directory.issue_support_token(settings, "WRBK000020").access_token
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.post("/api/scoring/v1/scores", json={"ci": person.ci})).status_code == 401
    await _link(browser, authenticator, "통합 자산관리")  # linked, but not for credit assessment
    refused = await client.post("/api/scoring/v1/scores", json={"ci": person.ci}, headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "no_credit_consent"
    await _link(browser, authenticator, "신용평가")
    answered = await client.post("/api/scoring/v1/scores", json={"ci": person.ci}, headers=headers)
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["band"] in "ABCDE" and 0 <= body["probability_of_default"] <= 1 and body["members"] == [KT]
    assert isinstance(body["reasons"], list) and all(isinstance(r, str) for r in body["reasons"])
    async with app.state.platform_db.read_sessions() as session:
        from sqlalchemy import select

        calls = (await session.scalars(select(AnalyticsScoreCall).order_by(AnalyticsScoreCall.id))).all()
    mine = [c for c in calls if c.org_code == "WRBK000020" and c.channel == "api"]
    assert [c.consented for c in mine[-2:]] == [False, True] and mine[-1].band == body["band"]
    unknown = await client.post("/api/scoring/v1/scores", json={"ci": "no-such-ci"}, headers=headers)
    assert unknown.status_code == 404


async def test_the_loan_pre_screen_page_shows_band_and_reasons(app: Any, applicant: Any) -> None:
    browser, authenticator, _ = applicant
    await _link(browser, authenticator, "신용평가")
    home = await visit(browser, "/apps/woori-won")  # single sign-on into the bank's app
    assert "대출 사전심사" in home.text
    page = await browser.get("/apps/woori-won/loan")
    assert page.status_code == 200 and "대출 사전심사" in page.text and 'id="band"' in page.text, page.text[
        -600:
    ]
    assert "점수를 낮춘" in page.text and "신용점수" in page.text
    kt_app = await browser.get("/apps/kt-mobile/loan")  # the carrier does not lend
    assert kt_app.status_code == 404


async def test_the_model_card_page_shows_fairness_and_drift(
    app: Any, applicant: Any, model_in_place: None
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as staff:
        await staff.post("/analytics/staff/login", data={"key": app.state.staff_key})
        page = await staff.get("/analytics/staff/scoring")
    assert page.status_code == 200 and "모형 카드" in page.text and "여성" in page.text and "PSI" in page.text
    assert "<svg" in page.text and "WRBK000020" in page.text  # the audit trail of the calls above
