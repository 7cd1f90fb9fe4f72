"""Seeding, the public member list, non-peak windows and 지원-002 (orgs)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import text

from samgak.config import Settings
from samgak.directory import (
    OrgCreate,
    check_np_times,
    list_orgs,
    public_orgs,
    register_org,
    retire_org,
    seed_alliance,
)
from samgak.kit.db import Database

MEMBERS = {
    "BCCD000031": "card",
    "KBNK000089": "bank",
    "KTTC000030": "telecom",
    "WRBK000020": "bank",
    "WRCD000041": "card",
}


async def test_seed_is_idempotent(seeded: Database, settings: Settings) -> None:
    async with seeded.read_sessions() as session:
        before = (await list_orgs(session)).orgs
    async with seeded.unit_of_work() as session:
        await seed_alliance(session, settings)
    async with seeded.read_sessions() as session:
        after = (await list_orgs(session)).orgs
    assert after == before
    assert len(after) == 6
    assert {o.op_type for o in after} == {"I"}
    operator = next(o for o in after if o.org_code == "SAMGAKMD01")
    assert (operator.org_type, operator.is_rcv_org, operator.np_times) == ("03", True, [])


async def test_reseed_with_a_new_base_url_modifies_members(seeded: Database, settings: Settings) -> None:
    async with seeded.unit_of_work() as session:
        await seed_alliance(
            session, settings.model_copy(update={"public_base_url": "https://samgak.example"})
        )
    async with seeded.read_sessions() as session:
        orgs = (await list_orgs(session)).orgs
    assert {o.op_type for o in orgs} == {"M"}
    assert all(o.base_url and o.base_url.startswith("https://samgak.example") for o in orgs)


async def test_public_list_has_the_five_members(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.get("/api/directory/orgs")
    assert response.status_code == 200
    body = response.json()
    assert [o["org_code"] for o in body] == sorted(MEMBERS)
    assert {o["org_code"]: o["industry"] for o in body} == MEMBERS
    kt = next(o for o in body if o["org_code"] == "KTTC000030")
    assert kt == {
        "org_code": "KTTC000030",
        "org_name": "KT",
        "org_name_en": "KT",
        "industry": "telecom",
        "base_url": f"{settings.public_base_url}/inst/kt",
    }


async def test_public_org_and_unknown(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/directory/orgs/WRBK000020")
    assert response.status_code == 200
    assert response.json()["org_name"] == "우리은행"
    missing = await client.get("/api/directory/orgs/NOPE000000")
    assert missing.status_code == 404
    assert missing.json()["rsp_code"] == "40402"
    assert "detail" not in missing.json()
    operator = await client.get("/api/directory/orgs/SAMGAKMD01")
    assert operator.status_code == 404  # not a member (정보제공자)


async def test_retired_org_leaves_the_public_list(seeded: Database) -> None:
    async with seeded.unit_of_work() as session:
        retired = await retire_org(session, "KBNK000089")
    assert retired.op_type == "D"
    async with seeded.read_sessions() as session:
        assert "KBNK000089" not in [o.org_code for o in await public_orgs(session)]
        assert {o.org_code: o.op_type for o in (await list_orgs(session)).orgs}["KBNK000089"] == "D"


@pytest.mark.parametrize(
    ("windows", "ok"),
    [
        (["0000:0600"], True),
        (["0000:0200", "0300:0500", "2200:2400"], True),
        (["0000:0559"], False),  # under 6 hours
        (["0000:0300", "0200:0700"], False),  # overlap
        (["0000:0200", "0300:0500", "0600:0800", "2200:2400"], False),  # more than 3
        (["2200:0400"], False),  # wraps midnight: split it at 2400
        (["0000:0660"], False),
        (["000:0600"], False),
        ([], True),
    ],
)
def test_np_time_rules(windows: list[str], ok: bool) -> None:
    if ok:
        assert check_np_times(windows) == windows
    else:
        with pytest.raises(ValueError):
            check_np_times(windows)


def test_a_holder_must_publish_windows() -> None:
    with pytest.raises(ValidationError):
        OrgCreate(org_code="ABCD000001", org_type="01", org_name="x", np_times=[])
    assert OrgCreate(org_code="ABCD000001", org_type="05", org_name="CA", np_times=[]).np_times == []


async def test_mgmt_orgs_lists_every_org_as_strings(
    client: httpx.AsyncClient, mgmt_headers: dict[str, str]
) -> None:
    response = await client.get("/portal/v1/mgmts/orgs", headers=mgmt_headers)
    assert response.status_code == 200, response.text
    assert response.headers["x-api-tran-id"] == mgmt_headers["x-api-tran-id"]
    body = response.json()
    assert (body["rsp_code"], body["rsp_msg"], body["org_cnt"]) == ("00000", "성공", "6")
    assert len(body["search_timestamp"]) == 14 and body["search_timestamp"].isdigit()
    orgs = {o["org_code"]: o for o in body["org_list"]}
    bank = orgs["WRBK000020"]
    assert bank["op_type"] == "I"
    assert (bank["org_type"], bank["industry"], bank["auth_type"], bank["is_rcv_org"]) == (
        "01",
        "bank",
        "03",
        "false",
    )
    assert bank["corp_regno"] == "1101110000020"
    assert bank["domain"].endswith("/inst/woori-bank")
    assert bank["np_time_cnt"] == "2"
    assert bank["np_time_list"] == [{"np_time": "0000:0600"}, {"np_time": "2200:2400"}]
    assert orgs["SAMGAKMD01"]["is_rcv_org"] == "true"
    assert "industry" not in orgs["SAMGAKMD01"]  # unknown optional fields are omitted

    def all_strings(value: object) -> bool:
        if isinstance(value, dict):
            return all(all_strings(v) for v in value.values())
        if isinstance(value, list):
            return all(all_strings(v) for v in value)
        return isinstance(value, str)

    assert all_strings(body)


async def test_search_timestamp_returns_only_changed_orgs(
    seeded: Database, client: httpx.AsyncClient, mgmt_headers: dict[str, str]
) -> None:
    async with seeded.unit_of_work() as session:
        await session.execute(
            text("UPDATE directory_org SET modified_at = :t"), {"t": datetime(2024, 1, 1, tzinfo=UTC)}
        )
    async with seeded.unit_of_work() as session:
        await register_org(
            session,
            OrgCreate(
                org_code="KTTC000030",
                org_name="KT",
                org_name_en="KT",
                industry="telecom",
                corp_regno="1101110000030",
                base_url="http://127.0.0.1:8000/inst/kt",
                np_times=["0100:0700"],
            ),
        )

    changed = await client.get("/portal/v1/mgmts/orgs?search_timestamp=20240102000000", headers=mgmt_headers)
    assert changed.status_code == 200
    body = changed.json()
    assert body["org_cnt"] == "1"
    assert [(o["org_code"], o["op_type"], o["np_time_list"]) for o in body["org_list"]] == [
        ("KTTC000030", "M", [{"np_time": "0100:0700"}])
    ]

    for everything in ("?search_timestamp=0", ""):
        response = await client.get(f"/portal/v1/mgmts/orgs{everything}", headers=mgmt_headers)
        assert response.json()["org_cnt"] == "6"

    later = await client.get(
        f"/portal/v1/mgmts/orgs?search_timestamp={body['search_timestamp']}", headers=mgmt_headers
    )
    assert later.json()["org_cnt"] in ("0", "1")  # at least once: a change within the settle window repeats

    bad = await client.get("/portal/v1/mgmts/orgs?search_timestamp=2024", headers=mgmt_headers)
    assert bad.status_code == 400
    assert bad.json() == {"rsp_code": "40001", "rsp_msg": "search_timestamp must be N(14) YYYYMMDDhhmmss"}
    assert bad.headers["x-api-tran-id"] == mgmt_headers["x-api-tran-id"]


async def test_unchanged_register_org_is_a_no_op(seeded: Database, settings: Settings) -> None:
    member = settings.member("kt")
    async with seeded.read_sessions() as session:
        before = next(o for o in (await list_orgs(session)).orgs if o.org_code == member.org_code)
    async with seeded.unit_of_work() as session:
        after = await register_org(
            session,
            OrgCreate(
                org_code=member.org_code,
                org_name=member.org_name,
                org_name_en=member.org_name_en,
                industry=member.industry,
                corp_regno=member.corp_regno,
                base_url=settings.institution_base_url(member),
            ),
        )
    assert after == before
