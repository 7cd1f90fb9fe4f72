"""Store referrals: what each KT store brought, counted fairly.

A customer who opens a store's link or QR (``/r/{code}``) carries the store's code (a cookie, 30
days). Signed in at the alliance identity, they are attributed to it: they *join* through it,
each member they linked through MyData is a *link*, each product they enrol in is an *enrol*.
Fraud checks: a store's own staff (registered with the store's PIN) are never counted — not for
their store, nor for another; a customer (one CI, one subject) is counted once per event, for
the store that brought them first — another store's claim is kept uncounted with the reason; more than
``BURST_JOINS`` joins at one store within ``BURST_WINDOW`` are kept uncounted as a burst for a
person to review. Reports by store, region and month count only what was counted.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from samgak import mydata
from samgak.kit.db import Database
from samgak.kit.timeutil import KST, today_kst, utcnow
from samgak.offers.models import OffersReferral
from samgak.offers.repository import OffersRepository
from samgak.offers.service import OffersError
from samgak.offers.stores import Store, directory

COOKIE = "samgak_store"
COOKIE_DAYS = 30
BURST_JOINS, BURST_WINDOW = 20, timedelta(minutes=10)


async def attribute(database: Database, shop: Store, subject: str, enrolled: str | None = None) -> int:
    """Record what ``shop`` brought of this customer now (their join and links, or an enrolment);
    how many events were counted."""
    now = utcnow()
    async with database.unit_of_work() as session:
        repo = OffersRepository(session)
        if enrolled is None:
            facts = await mydata.month_facts(session, subject, f"{today_kst():%Y%m}")
            events = [("join", ""), *(("link", org) for org in sorted(facts.linked))]
        else:
            events = [("enrol", enrolled)]
        staff_of = await repo.staff_store(subject)
        known = {(r.store, r.event, r.detail): r for r in await repo.referrals_of(subject)}
        counted_by = {(r.event, r.detail): r.store for r in known.values() if r.counted}
        counted = 0
        for event, detail in events:
            if (shop.code, event, detail) in known:
                continue  # recorded before, for this store
            reason = None
            first = counted_by.get((event, detail))
            if staff_of is not None:
                reason = f"{directory()[staff_of].name} 직원 본인 (자기 실적)"
            elif first is not None:
                reason = f"이미 {directory()[first].name} 실적으로 집계된 고객"
            elif (
                event == "join"
                and await repo.counted_joins_since(shop.code, now - BURST_WINDOW) >= BURST_JOINS
            ):
                reason = (
                    f"{int(BURST_WINDOW.total_seconds() // 60)}분에 {BURST_JOINS}명 넘게 몰림 (검토 필요)"
                )
            await repo.add_referral(
                OffersReferral(
                    store=shop.code,
                    region=shop.region,
                    subject=subject,
                    event=event,
                    detail=detail,
                    at=now,
                    counted=reason is None,
                    reason=reason,
                )
            )
            counted += reason is None
    return counted


@dataclass
class StoreLine:
    code: str
    name: str
    region: str
    joins: int = 0
    links: int = 0
    enrols: int = 0
    flagged: int = 0


@dataclass
class Report:
    month: str
    stores: list[StoreLine] = field(default_factory=list)  # most joins first
    regions: dict[str, StoreLine] = field(default_factory=dict)
    flagged: int = 0


async def report(database: Database, month: str) -> Report:
    """Counted joins, links and enrolments per store and region for ``month`` (YYYYMM, KST)."""
    start = datetime(int(month[:4]), int(month[4:]), 1, tzinfo=KST)
    end = (start + timedelta(days=32)).replace(day=1)
    async with database.read_sessions() as session:
        rows = await OffersRepository(session).referral_counts(start, end)
    stores: dict[str, StoreLine] = {}
    regions: dict[str, StoreLine] = defaultdict(lambda: StoreLine("", "", ""))
    found = Report(month)
    fields = {"join": "joins", "link": "links", "enrol": "enrols"}
    for code, region, event, is_counted, n in rows:
        line = stores.setdefault(code, StoreLine(code, directory()[code].name, region))
        area = regions[region]
        area.region = region
        if is_counted:
            setattr(line, fields[event], getattr(line, fields[event]) + n)
            setattr(area, fields[event], getattr(area, fields[event]) + n)
        else:
            line.flagged += n
            area.flagged += n
            found.flagged += n
    found.stores = sorted(stores.values(), key=lambda s: (-s.joins, -s.enrols, s.code))
    found.regions = dict(sorted(regions.items()))
    return found


def store_pin(code: str, key: bytes) -> str:
    """The six-digit PIN a store's staff register with (given to the store by the alliance)."""
    digest = hmac.new(key, code.encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:4], 'big') % 1_000_000:06d}"


async def register_staff(database: Database, shop: Store, subject: str, pin: str, key: bytes) -> None:
    if not hmac.compare_digest(pin.strip(), store_pin(shop.code, key)):
        raise OffersError("매장 직원 PIN이 맞지 않습니다", code="wrong_pin")
    async with database.unit_of_work() as session:
        await OffersRepository(session).add_staff(subject, shop.code, utcnow())
