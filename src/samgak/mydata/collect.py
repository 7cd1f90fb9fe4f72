"""The collection engine: every linked holder's data, read through the standard APIs.

Per link, first the industry's list API (은행-001, 카드-001, 통신-001), then for every consented
asset its detail and history APIs over the window the call type allows (user-consent and
user-refresh: 12 months back, standard 2.7), every page (2.5). Holders are read in parallel, at
most ``mydata.holder_concurrency`` calls in flight per holder. All HTTP happens before anything is
written; one unit of work per holder then upserts its assets (an asset keeps its id: it is found
again by a keyed digest of the holder's number) and adds only records not seen before (de-duplicated
by ``(asset, dedup_key)``), with the access log.

A holder that answers 40101/40103/40105/40305/40404 (or a refused token) needs the customer to link
again; the report says so in Korean instead of failing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.kit.crypto import keyed_digest
from samgak.kit.db import Database
from samgak.kit.timeutil import coerce_datetime, today_kst, utcnow
from samgak.mydata.holder_client import HolderClient, HolderError, Tokens
from samgak.mydata.models import MydataLink
from samgak.mydata.repository import MydataRepository
from samgak.mydata.runtime import Mydata

API_TYPES = ("user-consent", "user-refresh", "scheduled")
REFRESH_AHEAD = timedelta(days=7)  # refresh a link's tokens this long before they expire


@dataclass
class Fetched:
    """One asset as a holder described it, with its records."""

    kind: str
    key: str
    name: str
    masked: str
    status: str
    balance: int | None
    detail: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)  # rows of mydata_record, no asset_id


@dataclass
class HolderResult:
    org_code: str
    org_name: str
    assets: list[Fetched] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (api, rsp_code)
    error: HolderError | None = None
    tokens: Tokens | None = None  # refreshed before collecting (to be stored with the data)

    @property
    def message(self) -> str:
        if self.error is None:
            return f"{self.org_name}: 자산 {len(self.assets)}건을 가져왔습니다"
        if self.error.needs_relink:
            return f"{self.org_name}: 연결이 만료되었거나 철회되었습니다. 다시 연결해 주세요"
        return f"{self.org_name}: 잠시 후 다시 시도해 주세요 ({self.error.rsp_code})"


@dataclass(frozen=True, slots=True)
class Window:
    from_date: str
    to_date: str
    from_month: str
    to_month: str

    @classmethod
    def months_back(cls, months: int, today: date) -> Window:
        """The last ``months`` months up to today: days for date APIs, months for month APIs."""
        year, month = divmod(today.year * 12 + today.month - months, 12)
        first_day = today - timedelta(days=round(months * 365 / 12)) + timedelta(days=1)
        return cls(
            f"{first_day:%Y%m%d}", f"{today:%Y%m%d}", f"{date(year, month + 1, 1):%Y%m}", f"{today:%Y%m}"
        )


def _int(value: Any) -> int:
    try:
        return int(float(str(value)))
    except ValueError:
        return 0


def _key(*parts: Any) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:40]


def _mask(number: str) -> str:
    return number if len(number) <= 4 else "•" * min(len(number) - 4, 8) + number[-4:]


def _record(
    kind: str, at: str, amount: int, description: str, category: str | None, key: str, raw: dict[str, Any]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "at": at,
        "amount": amount,
        "description": description[:200],
        "category": category,
        "dedup_key": key,
        "raw": orjson.dumps(raw).decode(),
    }


class _Reader:
    """One holder, one link: the calls of one collection, logged."""

    def __init__(
        self,
        client: HolderClient,
        token: str,
        api_type: str,
        window: Window,
        result: HolderResult,
        limit: asyncio.Semaphore,
        scopes: frozenset[str],
    ) -> None:
        self.client, self.token, self.api_type, self.window = client, token, api_type, window
        self.result, self.limit, self.scopes = result, limit, scopes

    async def _each(self, reads: Iterable[Awaitable[Fetched]]) -> list[Fetched]:
        """Every asset's read; an asset whose calls fail is left out (and the failure reported),
        the others are kept."""
        kept = []
        for outcome in await asyncio.gather(*reads, return_exceptions=True):
            if isinstance(outcome, HolderError):
                self.result.error = self.result.error or outcome
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                kept.append(outcome)
        return kept

    async def pages(
        self, method: str, path: str, api: str, list_field: str, **args: str
    ) -> list[dict[str, Any]]:
        async with self.limit:
            try:
                items = await self.client.all_pages(
                    method, path, self.token, api_type=self.api_type, args=args, list_field=list_field
                )
            except HolderError as refused:
                self.result.calls.append((api, refused.rsp_code))
                raise
        self.result.calls.append((api, "00000"))
        return items

    async def one(self, method: str, path: str, api: str, **args: str) -> dict[str, Any]:
        async with self.limit:
            try:
                body = await self.client.call(method, path, self.token, api_type=self.api_type, args=args)
            except HolderError as refused:
                self.result.calls.append((api, refused.rsp_code))
                raise
        self.result.calls.append((api, "00000"))
        return body

    # ---------------------------------------------------------------- bank
    async def bank(self) -> None:
        accounts = await self.pages("GET", "/v1/bank/accounts", "은행-001", "account_list", limit="500")
        consented = [a for a in accounts if str(a.get("is_consent")).lower() == "true"]
        self.result.assets = await self._each(self._account(a) for a in consented)

    async def _account(self, item: dict[str, Any]) -> Fetched:
        number = str(item["account_num"])
        w = self.window
        if str(item.get("account_type", "")).startswith("3"):
            detail = await self.one("POST", "/v1/bank/accounts/loan/detail", "은행-009", account_num=number)
            trans = await self.pages(
                "POST",
                "/v1/bank/accounts/loan/transactions",
                "은행-010",
                "trans_list",
                account_num=number,
                from_date=w.from_date,
                to_date=w.to_date,
                limit="500",
            )
            records = [
                _record(
                    "loan_tx",
                    t["trans_dtime"],
                    -_int(t.get("trans_amt")),
                    "대출 상환",
                    "대출",
                    _key(t.get("trans_dtime"), t.get("trans_no")),
                    t,
                )
                for t in trans
            ]
            return Fetched(
                "loan",
                number,
                str(item.get("prod_name", "대출")),
                _mask(number),
                str(item.get("account_status", "")),
                _int(detail.get("balance_amt")),
                _without(item, "account_num"),
                records,
            )
        detail = await self.one("POST", "/v1/bank/accounts/deposit/detail", "은행-003", account_num=number)
        trans = await self.pages(
            "POST",
            "/v1/bank/accounts/deposit/transactions",
            "은행-004",
            "trans_list",
            account_num=number,
            from_date=w.from_date,
            to_date=w.to_date,
            limit="500",
        )
        records = [
            _record(
                "deposit_tx",
                t["trans_dtime"],
                -abs(_int(t.get("trans_amt")))
                if t.get("trans_type") == "03"
                else abs(_int(t.get("trans_amt"))),
                str(t.get("trans_memo") or t.get("trans_class") or ""),
                t.get("trans_class"),
                _key(t.get("trans_dtime"), t.get("trans_no")),
                t,
            )
            for t in trans
        ]
        balance = _int((detail.get("detail_list") or [{}])[0].get("balance_amt"))
        return Fetched(
            "deposit",
            number,
            str(item.get("prod_name", "예금")),
            _mask(number),
            str(item.get("account_status", "")),
            balance,
            _without(item, "account_num"),
            records,
        )

    # ---------------------------------------------------------------- card
    async def card(self) -> None:
        cards = await self.pages("GET", "/v1/card/cards", "카드-001", "card_list", limit="500")
        consented = [c for c in cards if str(c.get("is_consent")).lower() == "true"]
        fetched = await self._each(self._card(c) for c in consented)
        w = self.window
        if "card.bill" not in self.scopes:  # only what the consent covers is asked for
            self.result.assets = fetched
            return
        bills = await self.pages(
            "GET",
            "/v1/card/bills",
            "카드-004",
            "bill_list",
            from_month=w.from_month,
            to_month=w.to_month,
            limit="500",
        )
        if bills:
            records = [
                _record(
                    "card_bill",
                    str(b.get("charge_month", "")) + str(b.get("charge_day", "01")).zfill(2),
                    -_int(b.get("charge_amt")),
                    "카드 청구",
                    "카드대금",
                    _key(b.get("charge_month"), b.get("seqno"), b.get("charge_day")),
                    b,
                )
                for b in bills
            ]
            fetched.append(
                Fetched("card_bills", "bills", f"{self.result.org_name} 청구서", "", "01", None, {}, records)
            )
        self.result.assets = fetched

    async def _card(self, item: dict[str, Any]) -> Fetched:
        card_id = str(item["card_id"])
        w = self.window
        approvals = await self.pages(
            "GET",
            f"/v1/card/cards/{card_id}/approval-domestic",
            "카드-008",
            "approved_list",
            from_date=w.from_date,
            to_date=w.to_date,
            limit="500",
        )
        records = []
        for a in approvals:
            amount = _int(a.get("modified_amt", a.get("approved_amt")))
            if a.get("status") == "02":  # cancelled
                amount = 0
            records.append(
                _record(
                    "approval",
                    str(a.get("approved_dtime", "")),
                    -amount,
                    str(a.get("merchant_name", "")),
                    None,
                    _key(a.get("approved_num"), a.get("approved_dtime")),
                    a,
                )
            )
        return Fetched(
            "card",
            card_id,
            str(item.get("card_name", "카드")),
            str(item.get("card_num", "")),
            "01",
            None,
            _without(item, "card_id"),
            records,
        )

    # ---------------------------------------------------------------- telecom
    async def telecom(self) -> None:
        contracts = await self.pages("GET", "/v1/telecom/telecoms", "통신-001", "telecom_list", limit="500")
        consented = [c for c in contracts if str(c.get("is_consent")).lower() == "true"]
        self.result.assets = await self._each(self._contract(c) for c in consented)

    async def _contract(self, item: dict[str, Any]) -> Fetched:
        mgmt_id = str(item["mgmt_id"])
        w = self.window
        bills, paid, micro = await asyncio.gather(
            self.one(
                "POST",
                "/v1/telecom/telecoms/bills",
                "통신-002",
                mgmt_id=mgmt_id,
                from_month=w.from_month,
                to_month=w.to_month,
            ),
            self.one(
                "POST",
                "/v1/telecom/telecoms/transactions",
                "통신-003",
                mgmt_id=mgmt_id,
                from_month=w.from_month,
                to_month=w.to_month,
            ),
            self.pages(
                "POST",
                "/v1/telecom/telecoms/paid-transactions",
                "통신-004",
                "trans_list",
                mgmt_id=mgmt_id,
                from_date=w.from_date,
                to_date=w.to_date,
                limit="500",
            ),
        )
        records = [
            _record(
                "telecom_bill",
                str(b.get("charge_date") or b.get("charge_month", "")),
                -_int(b.get("charge_amt")),
                "통신 요금 청구",
                "통신요금",
                _key("bill", b.get("charge_month")),
                b,
            )
            for b in bills.get("charge_list") or []
        ]
        records += [
            _record(
                "telecom_paid",
                str(p.get("trans_month", "")),
                -_int(p.get("paid_amt")),
                f"통신 요금 납부 ({p.get('pay_method', '')})",
                "통신요금",
                _key("paid", p.get("trans_month")),
                p,
            )
            for p in paid.get("trans_list") or []
        ]
        records += [
            _record(
                "micro_payment",
                str(m.get("trans_date", "")),
                -_int(m.get("trans_amt")),
                str(m.get("merchant_name", "소액결제")),
                "소액결제",
                _key("micro", m.get("trans_date"), m.get("trans_amt"), m.get("merchant_name"), n),
                m,
            )
            for n, m in enumerate(micro)
        ]
        number = str(item.get("telecom_num", ""))
        return Fetched(
            "telecom",
            mgmt_id,
            _TELECOM_TYPES.get(str(item.get("type")), "통신"),
            number,
            str(item.get("status", "")),
            None,
            _without(item, "mgmt_id"),
            records,
        )


_TELECOM_TYPES = {"01": "이동전화", "02": "유선전화", "03": "인터넷"}


def _without(item: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in keys}


@dataclass
class CollectReport:
    results: list[HolderResult]

    @property
    def needs_relink(self) -> list[str]:
        return [r.org_name for r in self.results if r.error is not None and r.error.needs_relink]


async def collect(
    database: Database,
    mydata: Mydata,
    subject: str,
    *,
    api_type: str = "user-consent",
    only: Collection[str] | None = None,
) -> CollectReport:
    """Collect every linked holder of ``subject`` (or the org codes in ``only``); see the module
    docstring. A scheduled collection reads the last month (the standard's per-call windows for
    scheduled calls: ≤ 31 days, ≤ 3 months); the others the last ``collect_months``."""
    if api_type not in API_TYPES:
        raise ValueError(f"x-api-type must be one of {API_TYPES}")
    async with database.read_sessions() as session:
        links = [
            link
            for link in await MydataRepository(session).links_of(subject)
            if only is None or link.org_code in only
        ]
    months = 1 if api_type == "scheduled" else mydata.settings.mydata.collect_months
    window = Window.months_back(months, today_kst())
    results = await asyncio.gather(*(_fetch(mydata, link, api_type, window) for link in links))
    for link, result in zip(links, results, strict=True):
        await _store(database, mydata, link, result, api_type)
    return CollectReport(list(results))


async def collect_many(
    database: Database,
    mydata: Mydata,
    subjects: Iterable[str],
    *,
    api_type: str = "scheduled",
    concurrency: int = 32,
    done: Callable[[str, CollectReport], None] | None = None,
) -> None:
    """Collect many customers, ``concurrency`` at a time (memory stays flat however many there are:
    subjects are pulled from the iterable as workers free up); ``done`` hears each report."""
    queue = iter(subjects)

    async def worker() -> None:
        for subject in queue:
            report = await collect(database, mydata, subject, api_type=api_type)
            if done is not None:
                done(subject, report)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def collect_many_links(
    database: Database, mydata: Mydata, links: Sequence[MydataLink], *, api_type: str, concurrency: int = 16
) -> None:
    """Collect exactly these links (grouped per customer), ``concurrency`` customers at a time."""
    by_subject: dict[str, set[str]] = {}
    for link in links:
        by_subject.setdefault(link.subject, set()).add(link.org_code)
    queue = iter(by_subject.items())

    async def worker() -> None:
        for subject, orgs in queue:
            await collect(database, mydata, subject, api_type=api_type, only=orgs)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _fetch(mydata: Mydata, link: MydataLink, api_type: str, window: Window) -> HolderResult:
    holder = mydata.holders[link.org_code]
    result = HolderResult(link.org_code, holder.member.org_name)
    access = mydata.sealer.open(link.access_sealed)
    expires = coerce_datetime(link.expires_at)
    if link.refresh_sealed and expires is not None and expires - utcnow() < REFRESH_AHEAD:
        try:  # 개별인증-003 before the access token runs out
            result.tokens = await holder.client.refresh(mydata.sealer.open(link.refresh_sealed))
        except HolderError as refused:
            result.error = refused
            return result
        access = result.tokens.access_token
    reader = _Reader(
        holder.client,
        access,
        api_type,
        window,
        result,
        asyncio.Semaphore(mydata.settings.mydata.holder_concurrency),
        frozenset(link.scope.split()),
    )
    try:
        await getattr(reader, holder.member.industry)()
    except HolderError as refused:
        result.error, result.assets = refused, []
    return result


async def _store(
    database: Database, mydata: Mydata, link: MydataLink, result: HolderResult, api_type: str
) -> None:
    now = utcnow()
    assets = [
        {
            "subject": link.subject,
            "org_code": link.org_code,
            "kind": fetched.kind,
            "key_digest": keyed_digest(mydata.digest_key, f"{fetched.kind}:{fetched.key}"),
            "key_sealed": mydata.sealer.seal(fetched.key),
            "name": fetched.name,
            "masked": fetched.masked,
            "status": fetched.status,
            "balance": fetched.balance,
            "detail": json.dumps(fetched.detail, ensure_ascii=False),
            "consent_id": link.consent_id,
            "first_seen": now,
            "updated_at": now,
        }
        for fetched in result.assets
    ]
    async with database.unit_of_work() as session:
        repo = MydataRepository(session)
        ids = await repo.upsert_assets(assets)  # an asset found again keeps its id
        await repo.add_records(
            [
                record | {"asset_id": ids[str(row["key_digest"])]}
                for row, fetched in zip(assets, result.assets, strict=True)
                for record in fetched.records
            ]
        )  # rows already stored are skipped
        await repo.log_calls(
            [
                {
                    "subject": link.subject,
                    "org_code": link.org_code,
                    "api": api,
                    "api_type": api_type,
                    "asset_id": None,
                    "purpose": "통합 자산관리",
                    "rsp_code": code,
                    "at": now,
                }
                for api, code in result.calls
            ]
        )
        if result.tokens is not None:
            await repo.store_tokens(
                link.consent_id,
                access_sealed=mydata.sealer.seal(result.tokens.access_token),
                refresh_sealed=mydata.sealer.seal(result.tokens.refresh_token)
                if result.tokens.refresh_token
                else None,
                expires_at=now + timedelta(seconds=result.tokens.expires_in),
            )
        if result.error is None:
            await repo.touch_link(link.consent_id, now)


async def links_by_member(session: AsyncSession, subject: str | None = None) -> dict[str, list[str]]:
    """Who is linked where: org code → subjects (for progress and scheduling)."""
    return await MydataRepository(session).links_by_member(subject)
