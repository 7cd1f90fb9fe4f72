"""Privacy invariants of the MyData service, as properties over random inputs (Hypothesis):

* a transmission request names exactly what the customer chose — the chosen holder as sender,
  us as receiver, only that holder's industry scopes, the optional items as ticked, ≤ 1 year;
* a withdrawal deletes exactly the assets and records its consent brought, nothing of another
  consent or another person;
* the combined picture of a person contains only that person's data.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samgak.config import Settings
from samgak.kit.db import Database
from samgak.kit.timeutil import today_kst, utcnow
from samgak.mydata import INDUSTRY_SCOPES, Request, build_mydata, portfolio
from samgak.mydata.consent import consent_document
from samgak.mydata.models import Base
from samgak.mydata.repository import MydataRepository

SETTINGS = Settings()
MYDATA = build_mydata(SETTINGS, ca_url="http://127.0.0.1:9")
ORGS = sorted(MYDATA.holders)


@settings(max_examples=200, deadline=None)
@given(
    chosen=st.lists(st.sampled_from(ORGS), min_size=1, max_size=5, unique=True),
    purpose=st.text(min_size=1, max_size=30).filter(str.strip),
    scheduled=st.booleans(),
    cycle=st.sampled_from(["1/w", "2/m", "1/m"]),
    memo=st.booleans(),
    merchants=st.booleans(),
)
def test_a_transmission_request_names_exactly_what_was_chosen(
    chosen: list[str], purpose: str, scheduled: bool, cycle: str, memo: bool, merchants: bool
) -> None:
    asked = Request(chosen, purpose, scheduled, cycle, memo, merchants)
    for org in chosen:
        document = json.loads(consent_document(MYDATA, org, asked))
        industry = MYDATA.holders[org].member.industry
        assert document["snd_org_code"] == org and document["rcv_org_code"] == "SAMGAKMD01"
        assert {t["scope"] for t in document["target_info"]} == set(INDUSTRY_SCOPES[industry])
        assert document["is_scheduled"] == ("true" if scheduled else "false")
        assert document["is_consent_trans_memo"] == ("true" if memo else "false")
        assert document["is_consent_merchant_name_regno"] == ("true" if merchants else "false")
        assert document["purpose"] == purpose
        assert document["end_date"] <= f"{today_kst() + timedelta(days=365):%Y%m%d}"


_holdings = st.lists(
    st.tuples(st.sampled_from(["p1", "p2"]), st.sampled_from(["c1", "c2", "c3"]), st.integers(0, 6)),
    min_size=1,
    max_size=12,
)


async def _stock(database: Database, holdings: list[tuple[str, str, int]]) -> dict[int, tuple[str, str]]:
    """Assets (person, consent) with ``n`` records each; asset id → (person, consent)."""
    owners: dict[int, tuple[str, str]] = {}
    now = utcnow()
    async with database.unit_of_work() as session:
        repo = MydataRepository(session)
        for index, (person, consent, n) in enumerate(holdings):
            ids = await repo.upsert_assets(
                [
                    {
                        "subject": person,
                        "org_code": "WRBK000020",
                        "kind": "deposit",
                        "key_digest": f"k{index}",
                        "key_sealed": "-",
                        "name": f"예금{index}",
                        "masked": "••••0000",
                        "status": "01",
                        "balance": 1000 * (index + 1),
                        "detail": "{}",
                        "consent_id": f"{person}-{consent}",
                        "first_seen": now,
                        "updated_at": now,
                    }
                ]
            )
            asset_id = ids[(person, "WRBK000020", f"k{index}")]
            owners[asset_id] = (person, f"{person}-{consent}")
            await repo.add_records(
                [
                    {
                        "asset_id": asset_id,
                        "kind": "deposit_tx",
                        "at": f"{today_kst():%Y%m%d}1200{r:02d}",
                        "amount": -100 * (r + 1),
                        "description": "이체",
                        "category": "이체",
                        "dedup_key": f"d{r}",
                        "raw": "{}",
                    }
                    for r in range(n)
                ]
            )
    return owners


def _fresh_database(folder: str) -> Database:
    from sqlalchemy import create_engine

    url = f"sqlite:///{folder}/p.db"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return Database(f"sqlite+aiosqlite:///{folder}/p.db")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(holdings=_holdings, person=st.sampled_from(["p1", "p2"]), consent=st.sampled_from(["c1", "c2", "c3"]))
def test_withdrawal_deletes_exactly_what_its_consent_brought(
    holdings: list[tuple[str, str, int]], person: str, consent: str
) -> None:
    async def run(database: Database) -> None:
        owners = await _stock(database, holdings)
        target = f"{person}-{consent}"
        expected_records = sum(n for p, c, n in holdings if f"{p}-{c}" == target)
        async with database.unit_of_work() as session:
            assets, records = await MydataRepository(session).forget_consent(target)
        assert assets == sum(1 for owner in owners.values() if owner[1] == target)
        assert records == expected_records
        async with database.read_sessions() as session:
            left = {a.id for p in ("p1", "p2") for a in await MydataRepository(session).assets_of(p)}
        assert left == {i for i, owner in owners.items() if owner[1] != target}
        await database.dispose()

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(_fresh_database(folder)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(holdings=_holdings)
def test_a_persons_picture_holds_only_their_own_data(holdings: list[tuple[str, str, int]]) -> None:
    async def run(database: Database) -> None:
        owners = await _stock(database, holdings)
        async with database.read_sessions() as session:
            for person in ("p1", "p2"):
                picture = await portfolio(session, person)
                mine = {i for i, owner in owners.items() if owner[0] == person}
                assert {a.id for a in picture.assets} == mine
                own_spending = sum(100 * (r + 1) for p, _, n in holdings if p == person for r in range(n))
                assert sum(m.spending for m in picture.months) == own_spending
        await database.dispose()

    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(run(_fresh_database(folder)))
