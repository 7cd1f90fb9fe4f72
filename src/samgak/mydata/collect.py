"""The collection engine: every linked holder's data, read through the standard APIs.

Per link, first the industry's list API (은행-001, 카드-001, 통신-001) with the
``search_timestamp`` it last answered (2.6: an unchanged list comes back empty and the assets
known from the last collection are read again), then for every consented asset its detail and
history APIs over the window the call type allows (2.7: user-consent 12 months back; user-refresh
and scheduled from the day before the link's last collection), every page (2.5). At most
``mydata.holder_concurrency`` calls are in flight per link. All HTTP happens before anything is
written; an asset keeps its id (found again by a keyed digest of the holder's number) and only
records not seen before are added (de-duplicated by ``(asset, dedup_key)``), with the access log.

Many links are collected as a *run* of jobs, one per link: a job is leased, its link collected,
and what came back is written in the same unit of work that marks the job done (a single writer
batches the writes of many links). A collector killed at any point leaves its leased jobs to be
claimed again once the lease runs out, and the de-duplication makes the second write of a link
add nothing: no duplicates, no gaps. (A scheduled job cut off midway is not called again: the
holder allows one scheduled call per asset and API a week (42901), and the next cycle's window
starts from the last complete collection, so it fills the gap.) Jobs come from the database
(in-process) or from a broker (``workers``).

A holder that answers 40101/40103/40105/40305/40404 (or a refused token) needs the customer to link
again; the report says so in Korean instead of failing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import orjson

from samgak.kit.crypto import keyed_digest
from samgak.kit.db import Database
from samgak.kit.timeutil import KST, coerce_datetime, today_kst, utcnow
from samgak.mydata.categories import category_of
from samgak.mydata.holder_client import HolderClient, HolderError, Listing, Tokens
from samgak.mydata.models import MydataAsset, MydataLink
from samgak.mydata.repository import MydataRepository
from samgak.mydata.runtime import Mydata
from samgak.mydata.words import _

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


Asset = tuple[str, str]  # (kind, the holder's number): which asset a call read
T = TypeVar("T")


@dataclass
class HolderResult:
    org_code: str
    org_name: str
    assets: list[Fetched] = field(default_factory=list)
    calls: list[tuple[str, str, Asset | None]] = field(default_factory=list)  # (api, rsp_code, asset read)
    error: HolderError | None = None
    tokens: Tokens | None = None  # refreshed before collecting (to be stored with the data)
    list_timestamp: str | None = None  # what the list API answered (sent again next time)

    @property
    def message(self) -> str:
        if self.error is None:
            return _("{org}: 자산 {n}건을 가져왔습니다", org=self.org_name, n=len(self.assets))
        if self.error.needs_relink:
            return _("{org}: 연결이 만료되었거나 철회되었습니다. 다시 연결해 주세요", org=self.org_name)
        return _("{org}: 잠시 후 다시 시도해 주세요 ({code})", org=self.org_name, code=self.error.rsp_code)


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

    @classmethod
    def for_call(cls, api_type: str, months: int, collected_at: datetime | None, today: date) -> Window:
        """The window of one link's collection (2.7). A first collection (user-consent) reads
        ``months`` back; a scheduled one at most a month (31 days, 3 months per call). Later
        collections start the day before the last one (that day's late rows are read again and
        de-duplicated), never further back than those limits."""
        widest = cls.months_back(months if api_type != "scheduled" else 1, today)
        if api_type == "user-consent" or collected_at is None:
            return widest
        since = collected_at.astimezone(KST).date() - timedelta(days=1)
        if f"{since:%Y%m%d}" <= widest.from_date:
            return widest
        return cls(f"{since:%Y%m%d}", widest.to_date, f"{since:%Y%m}", widest.to_month)


def _int(value: Any) -> int:
    try:
        return int(float(str(value)))
    except ValueError:
        return 0


def _key(*parts: Any) -> str:
    """A record's de-duplication key: its identifying fields, hashed when longer than 64."""
    text = "|".join(map(str, parts))
    return text if len(text) <= 64 else hashlib.sha256(text.encode()).hexdigest()


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
        since: str | None = None,
        known: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.client, self.token, self.api_type, self.window = client, token, api_type, window
        self.result, self.limit, self.scopes = result, limit, scopes
        self.since, self.known = since, known

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
        self, method: str, path: str, api: str, list_field: str, *, asset: Asset, **args: str
    ) -> list[dict[str, Any]]:
        return (await self._listing(method, path, api, list_field, asset=asset, **args)).items

    async def _listing(
        self, method: str, path: str, api: str, list_field: str, *, asset: Asset | None, **args: str
    ) -> Listing:
        return await self._logged(
            api,
            asset,
            self.client.all_pages(
                method, path, self.token, api_type=self.api_type, args=args, list_field=list_field
            ),
        )

    async def _logged(self, api: str, asset: Asset | None, call: Awaitable[T]) -> T:
        """``call`` within the link's concurrency limit, its answer kept for the access log."""
        async with self.limit:
            try:
                answer = await call
            except HolderError as refused:
                self.result.calls.append((api, refused.rsp_code, asset))
                raise
        self.result.calls.append((api, "00000", asset))
        return answer

    async def listed(self, path: str, api: str, list_field: str) -> list[dict[str, Any]]:
        """The consented assets of a list API (은행-001, 카드-001, 통신-001), asked with the last
        ``search_timestamp``; a list the holder reports unchanged is the one known (2.6)."""
        since = {"search_timestamp": self.since} if self.since else {}
        listing = await self._listing("GET", path, api, list_field, asset=None, limit="500", **since)
        self.result.list_timestamp = listing.search_timestamp
        if self.since and not listing.items and listing.search_timestamp == self.since:
            return list(self.known)
        return [item for item in listing.items if str(item.get("is_consent")).lower() == "true"]

    async def one(self, method: str, path: str, api: str, *, asset: Asset, **args: str) -> dict[str, Any]:
        return await self._logged(
            api, asset, self.client.call(method, path, self.token, api_type=self.api_type, args=args)
        )

    # ---------------------------------------------------------------- bank
    async def bank(self) -> None:
        accounts = await self.listed("/v1/bank/accounts", "은행-001", "account_list")
        self.result.assets = await self._each(self._account(a) for a in accounts)

    async def _account(self, item: dict[str, Any]) -> Fetched:
        number = str(item["account_num"])
        w = self.window
        if str(item.get("account_type", "")).startswith("3"):
            loan = ("loan", number)
            detail = await self.one(
                "POST", "/v1/bank/accounts/loan/detail", "은행-009", asset=loan, account_num=number
            )
            trans = await self.pages(
                "POST",
                "/v1/bank/accounts/loan/transactions",
                "은행-010",
                "trans_list",
                asset=loan,
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
        deposit = ("deposit", number)
        detail = await self.one(
            "POST", "/v1/bank/accounts/deposit/detail", "은행-003", asset=deposit, account_num=number
        )
        trans = await self.pages(
            "POST",
            "/v1/bank/accounts/deposit/transactions",
            "은행-004",
            "trans_list",
            asset=deposit,
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
        cards = await self.listed("/v1/card/cards", "카드-001", "card_list")
        fetched = await self._each(self._card(c) for c in cards)
        w = self.window
        if "card.bill" not in self.scopes:  # only what the consent covers is asked for
            self.result.assets = fetched
            return
        bills = await self.pages(
            "GET",
            "/v1/card/bills",
            "카드-004",
            "bill_list",
            asset=("card_bills", "bills"),
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
            asset=("card", card_id),
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
                    category_of(str(a.get("merchant_name", ""))),
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
        contracts = await self.listed("/v1/telecom/telecoms", "통신-001", "telecom_list")
        self.result.assets = await self._each(self._contract(c) for c in contracts)

    async def _contract(self, item: dict[str, Any]) -> Fetched:
        mgmt_id = str(item["mgmt_id"])
        w = self.window
        bills, paid, micro = await asyncio.gather(
            self.one(
                "POST",
                "/v1/telecom/telecoms/bills",
                "통신-002",
                asset=("telecom", mgmt_id),
                mgmt_id=mgmt_id,
                from_month=w.from_month,
                to_month=w.to_month,
            ),
            self.one(
                "POST",
                "/v1/telecom/telecoms/transactions",
                "통신-003",
                asset=("telecom", mgmt_id),
                mgmt_id=mgmt_id,
                from_month=w.from_month,
                to_month=w.to_month,
            ),
            self.pages(
                "POST",
                "/v1/telecom/telecoms/paid-transactions",
                "통신-004",
                "trans_list",
                asset=("telecom", mgmt_id),
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
        same: Counter[tuple[str, str, str]] = Counter()  # identical payments of one day are told apart
        for m in micro:  # by their order within that day, which does not move as windows do
            day = (str(m.get("trans_date", "")), str(m.get("trans_amt")), str(m.get("merchant_name")))
            same[day] += 1
            records.append(
                _record(
                    "micro_payment",
                    day[0],
                    -_int(m.get("trans_amt")),
                    str(m.get("merchant_name", "소액결제")),
                    "소액결제",
                    _key("micro", *day, same[day]),
                    m,
                )
            )
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


_KEY_FIELDS = {"deposit": "account_num", "loan": "account_num", "card": "card_id", "telecom": "mgmt_id"}
WRITE_BATCH = 64  # links written per unit of work at most


@dataclass
class CollectReport:
    results: list[HolderResult]

    @property
    def needs_relink(self) -> list[str]:
        return [r.org_name for r in self.results if r.error is not None and r.error.needs_relink]


@dataclass
class Job:
    """One link to collect, on demand or as a job of a run (``job_id``)."""

    consent_id: str
    api_type: str
    link: MydataLink | None  # None: withdrawn since the job was made
    known: Sequence[MydataAsset] = ()  # collected under this consent before
    job_id: int | None = None
    attempt: int = 1
    settle: Callable[[], Awaitable[None]] | None = None  # once its write is committed (broker ack)
    result: HolderResult | None = None


async def collect(
    database: Database,
    mydata: Mydata,
    subject: str,
    *,
    api_type: str = "user-consent",
    only: Collection[str] | None = None,
) -> CollectReport:
    """Collect every linked holder of ``subject`` (or the org codes in ``only``) now, in parallel,
    and write it all in one unit of work (a customer waiting for a refresh); see the module
    docstring."""
    if api_type not in API_TYPES:
        raise ValueError(f"x-api-type must be one of {API_TYPES}")
    async with database.read_sessions() as session:
        repo = MydataRepository(session)
        links = [link for link in await repo.links_of(subject) if only is None or link.org_code in only]
        known = await repo.assets_of_links([link.consent_id for link in links])
    jobs = [Job(link.consent_id, api_type, link, known.get(link.consent_id, [])) for link in links]
    await asyncio.gather(*(_fetch(mydata, job) for job in jobs))
    await _store(database, mydata, jobs)
    return CollectReport([job.result for job in jobs if job.result is not None])


async def start_run(
    database: Database,
    consent_ids: Collection[str] | None = None,
    *,
    api_type: str,
    origin: str,
    subject: str | None = None,
) -> int:
    """A run of one job per link — every link, one ``subject``'s, or those of ``consent_ids`` —
    (see the module docstring); its id."""
    if api_type not in API_TYPES:
        raise ValueError(f"x-api-type must be one of {API_TYPES}")
    async with database.unit_of_work() as session:
        return await MydataRepository(session).start_run(
            api_type, origin, utcnow(), consent_ids=consent_ids, subject=subject
        )


async def open_or_start_run(
    database: Database, *, api_type: str, subject: str | None = None, fresh: bool = False
) -> tuple[int | None, bool]:
    """``samgak collect``'s run: the newest one it left unfinished for this call type, resumed
    (unless ``fresh`` or for one ``subject``), else a new one over every link (or the subject's);
    ``(run id, resumed)``, the id None when no one is linked."""
    async with database.read_sessions() as session:
        repo = MydataRepository(session)
        left_open = [] if fresh or subject else await repo.open_runs("cli", api_type)
        linked = bool(left_open) or await repo.anyone_linked(subject)
    if left_open:
        return left_open[-1].id, True
    if not linked:
        return None, False
    return await start_run(database, api_type=api_type, origin="cli", subject=subject), False


@dataclass(frozen=True)
class RunProgress:
    """A run's jobs per member: all, settled (done or failed), failed; assets held."""

    total: dict[str, int]
    settled: dict[str, int]
    failed: dict[str, int]
    assets: dict[str, int]

    @property
    def finished(self) -> bool:
        return self.settled == self.total


async def run_progress(database: Database, run_id: int) -> RunProgress:
    async with database.read_sessions() as session:
        repo = MydataRepository(session)
        counts = await repo.job_counts(run_id)
        assets = await repo.assets_by_member(run_id)
    total: dict[str, int] = {}
    settled: dict[str, int] = {}
    failed: dict[str, int] = {}
    for (org, state), n in counts.items():
        total[org] = total.get(org, 0) + n
        settled[org] = settled.get(org, 0) + (n if state in ("done", "failed") else 0)
        failed[org] = failed.get(org, 0) + (n if state == "failed" else 0)
    return RunProgress(total, settled, failed, assets)


async def close_run(database: Database, run_id: int) -> bool:
    """Mark the run finished if none of its jobs is left; whether it is finished."""
    async with database.unit_of_work() as session:
        return await MydataRepository(session).finish_run(run_id, utcnow())


async def unfinished_jobs(database: Database, run_id: int) -> list[int]:
    async with database.read_sessions() as session:
        return await MydataRepository(session).unfinished_jobs(run_id)


async def claimed_jobs(database: Database, taken: Sequence[tuple[int, str, int]], api_type: str) -> list[Job]:
    """The claimed ``(job id, consent id, attempt)`` as jobs, with their links and known assets."""
    consent_ids = [consent_id for _, consent_id, _ in taken]
    async with database.read_sessions() as session:
        repo = MydataRepository(session)
        links = await repo.links(consent_ids)
        known = {} if api_type == "user-consent" else await repo.assets_of_links(consent_ids)
    return [
        Job(consent_id, api_type, links.get(consent_id), known.get(consent_id, []), job_id, attempt)
        for job_id, consent_id, attempt in taken
    ]


async def work_run(database: Database, mydata: Mydata, run_id: int, *, concurrency: int = 16) -> bool:
    """Work the run's jobs in this process until none is left to claim (pending, or leased by a
    collector that died); whether the run is finished now (not yet while another collector still
    holds some of its jobs)."""
    async with database.read_sessions() as session:
        run = await MydataRepository(session).run(run_id)
    if run is None:
        raise ValueError(f"no collection run {run_id}")
    lease = timedelta(seconds=mydata.settings.mydata.job_lease_seconds)

    async def claims() -> AsyncIterator[Job]:
        while True:
            now = utcnow()
            async with database.unit_of_work() as session:
                taken = await MydataRepository(session).claim_jobs(run_id, concurrency, now, now + lease)
            if not taken:
                return
            for job in await claimed_jobs(database, taken, run.api_type):
                yield job

    await pipeline(database, mydata, claims(), concurrency=concurrency)
    return await close_run(database, run_id)


async def pipeline(database: Database, mydata: Mydata, jobs: AsyncIterator[Job], *, concurrency: int) -> None:
    """Collect ``jobs``, ``concurrency`` links at a time, while one writer stores what came back,
    up to ``WRITE_BATCH`` links per unit of work. Memory stays flat: jobs are pulled as
    collectors free up. Any failure stops the whole pipeline (its unwritten jobs stay leased)."""
    todo: asyncio.Queue[Job | None] = asyncio.Queue(maxsize=concurrency)
    fetched: asyncio.Queue[Job | None] = asyncio.Queue(maxsize=2 * concurrency)

    async def feed() -> None:
        async for job in jobs:
            await todo.put(job)
        for _ in range(concurrency):
            await todo.put(None)

    async def fetch() -> None:
        while (job := await todo.get()) is not None:
            await _fetch(mydata, job)
            await fetched.put(job)

    async def write() -> None:
        while True:
            batch = [await fetched.get()]
            while len(batch) < WRITE_BATCH and not fetched.empty():
                batch.append(fetched.get_nowait())
            ready = [job for job in batch if job is not None]
            if ready:
                await _store(database, mydata, ready)
                for job in ready:
                    if job.settle is not None:
                        await job.settle()
            if len(ready) < len(batch):
                return

    async with asyncio.TaskGroup() as group:
        group.create_task(write())
        async with asyncio.TaskGroup() as collectors:
            collectors.create_task(feed())
            for _ in range(concurrency):
                collectors.create_task(fetch())
        await fetched.put(None)


def _known_items(mydata: Mydata, assets: Sequence[MydataAsset]) -> list[dict[str, Any]]:
    """The list items of assets collected before, their holder numbers unsealed (what an
    unchanged list API would have answered)."""
    return [
        json.loads(asset.detail)
        | {_KEY_FIELDS[asset.kind]: mydata.sealer.open(asset.key_sealed), "is_consent": "true"}
        for asset in assets
        if asset.kind in _KEY_FIELDS
    ]


async def _fetch(mydata: Mydata, job: Job) -> None:
    link = job.link
    if link is None or (job.api_type == "scheduled" and job.attempt > 1):
        return  # withdrawn; or a scheduled job cut off midway: not called again this cycle (42901)
    holder = mydata.holders[link.org_code]
    result = job.result = HolderResult(link.org_code, holder.member.org_name)
    access = mydata.sealer.open(link.access_sealed)
    expires = coerce_datetime(link.expires_at)
    if link.refresh_sealed and expires is not None and expires - utcnow() < REFRESH_AHEAD:
        try:  # 개별인증-003 before the access token runs out
            result.tokens = await holder.client.refresh(mydata.sealer.open(link.refresh_sealed))
        except HolderError as refused:
            result.error = refused
            return
        access = result.tokens.access_token
    first = job.api_type == "user-consent"
    reader = _Reader(
        holder.client,
        access,
        job.api_type,
        Window.for_call(
            job.api_type,
            mydata.settings.mydata.collect_months,
            coerce_datetime(link.collected_at),
            today_kst(),
        ),
        result,
        asyncio.Semaphore(mydata.settings.mydata.holder_concurrency),
        frozenset(link.scope.split()),
        since=None if first else link.list_timestamp,
        known=() if first else _known_items(mydata, job.known),
    )
    try:
        await getattr(reader, holder.member.industry)()
    except HolderError as refused:
        result.error, result.assets = refused, []


async def _store(database: Database, mydata: Mydata, jobs: Sequence[Job]) -> None:
    """Write what ``jobs`` collected in one unit of work, each job marked finished in it.

    Only for links still there when the unit of work starts (locked against a withdrawal until it
    commits): what a withdrawn consent's last collection brought back is dropped, never kept."""
    async with database.unit_of_work() as session:
        repo = MydataRepository(session)
        alive = await repo.hold_links([job.consent_id for job in jobs if job.link is not None])
        for job in jobs:
            if job.link is not None and job.consent_id not in alive:
                job.link = job.result = None  # withdrawn while it was being collected
        await _write(repo, mydata, jobs)


async def _write(repo: MydataRepository, mydata: Mydata, jobs: Sequence[Job]) -> None:
    now = utcnow()
    assets: dict[tuple[str, str, str], dict[str, Any]] = {}
    records: list[tuple[tuple[str, str, str], list[dict[str, Any]]]] = []
    calls: list[tuple[tuple[str, str, str] | None, dict[str, Any]]] = []  # (asset read, log row)
    for job in jobs:
        if job.link is None or job.result is None:
            continue
        link = job.link
        for fetched in job.result.assets:
            digest = keyed_digest(mydata.digest_key, f"{fetched.kind}:{fetched.key}")
            assets[(link.subject, link.org_code, digest)] = {
                "subject": link.subject,
                "org_code": link.org_code,
                "kind": fetched.kind,
                "key_digest": digest,
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
            records.append(((link.subject, link.org_code, digest), fetched.records))
        calls += [
            (
                (link.subject, link.org_code, keyed_digest(mydata.digest_key, f"{read[0]}:{read[1]}"))
                if read
                else None,
                {
                    "subject": link.subject,
                    "org_code": link.org_code,
                    "api": api,
                    "api_type": job.api_type,
                    "purpose": link.purpose,
                    "rsp_code": code,
                    "at": now,
                },
            )
            for api, code, read in job.result.calls
        ]
    touched = [
        {"consent_id": job.consent_id, "at": now, "list_timestamp": job.result.list_timestamp}
        for job in jobs
        if job.link is not None and job.result is not None and job.result.error is None
    ]
    finished = [{"id": job.job_id, "at": now} | _outcome(job) for job in jobs if job.job_id is not None]
    ids = await repo.upsert_assets(list(assets.values()))  # an asset found again keeps its id
    await repo.add_records(
        [record | {"asset_id": ids[key]} for key, rows in records for record in rows]
    )  # rows already stored are skipped
    await repo.log_calls([row | {"asset_id": ids.get(read) if read else None} for read, row in calls])
    for job in jobs:
        tokens = job.result.tokens if job.link is not None and job.result is not None else None
        if tokens is not None:
            await repo.store_tokens(
                job.consent_id,
                access_sealed=mydata.sealer.seal(tokens.access_token),
                refresh_sealed=mydata.sealer.seal(tokens.refresh_token) if tokens.refresh_token else None,
                expires_at=now + timedelta(seconds=tokens.expires_in),
            )
    await repo.touch_links(touched)
    await repo.finish_jobs(finished)


def _outcome(job: Job) -> dict[str, str | None]:
    """A finished job's state and outcome."""
    if job.result is None:
        why = "withdrawn" if job.link is None else "deferred to the next cycle (42901)"
        return {"state": "done", "outcome": why}
    if job.result.error is not None:
        return {"state": "failed", "outcome": f"{job.result.error.rsp_code} {job.result.error.message}"[:200]}
    return {"state": "done", "outcome": None}
