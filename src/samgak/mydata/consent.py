"""Transmission requests (전송요구) and linking by integrated authentication.

A transmission request is one consent document per chosen holder, in the standard's fields
(전송요구내역, 3.4): ``snd_org_code``, ``rcv_org_code``, ``is_scheduled``, ``fnd_cycle``,
``add_cycle``, ``end_date``, ``purpose``, ``period``, ``is_consent_trans_memo``,
``is_consent_merchant_name_regno`` and ``target_info`` (scopes × assets; ``all_asset``).
Consents live as append-only events (``requested`` → ``linked`` | ``refused`` → ``withdrawn``);
their state is the newest event.

A consent is changed (변경) or renewed before its end date (갱신) by a new transmission request
for the same holder, signed the same way: the holder issues new tokens, the new consent replaces
the old one (``replaced``) and every asset keeps its id. From ``RENEW_WITHIN`` days before the end
date the customer is reminded on every page of the service; past it the consent has ``expired``
and nothing more is collected under it.

Individual authentication (개별인증, 3.1) is the fallback for one holder: the person signs in at
the holder's own page, chooses there, and the holder sends them back with a code for tokens.

Linking (별첨2): the bundle goes to the CA once (IA102), the person signs it with one passkey
assertion at the alliance identity, the signed consents come back (IA103) and 통합인증-002 goes to
every holder at once; each holder's tokens go to the vault, sealed.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from samgak.directory import OPERATOR_ORG_CODE
from samgak.identity import Person
from samgak.kit.db import Database
from samgak.kit.timeutil import KST, today_kst, utcnow
from samgak.mydata.holder_client import HolderError, Tokens
from samgak.mydata.models import MydataConsentEvent, MydataLink, MydataSigning
from samgak.mydata.repository import MydataRepository
from samgak.mydata.runtime import INDUSTRY_SCOPES, Mydata
from samgak.mydata.words import _

CYCLES = ("1/w", "2/m", "1/m")  # scheduled transmission: weekly up to monthly (2.7)
RENEW_WITHIN = timedelta(days=30)
INDIVIDUAL = "개별인증"  # the detail of a request linked by individual authentication  # reminders to renew start this long before the end date


class ConsentError(Exception):
    """A transmission request that cannot be made as asked (the message says what to change)."""


@dataclass(frozen=True, slots=True)
class Request:
    """What the customer chose on the linking page."""

    org_codes: list[str]
    purpose: str
    is_scheduled: bool
    cycle: str
    trans_memo: bool
    merchant_names: bool


@dataclass(frozen=True, slots=True)
class Consent:
    """A consent's current state, derived from its events."""

    consent_id: str
    org_code: str
    state: str  # requested | linked | refused | withdrawn
    document: dict[str, object]
    requested_at: datetime
    changed_at: datetime
    detail: str | None

    @property
    def end_date(self) -> date | None:
        text = str(self.document.get("end_date", ""))
        return date(int(text[:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None

    def days_left(self, today: date) -> int | None:
        return None if self.end_date is None else (self.end_date - today).days

    def due_for_renewal(self, today: date) -> bool:
        """Linked, and its end date within ``RENEW_WITHIN`` (or passed)."""
        left = self.days_left(today)
        return self.state in ("linked", "expired") and left is not None and left <= RENEW_WITHIN.days

    def as_request(self) -> Request:
        """The choices it was made with: to renew it as it is, or to start a change from."""
        document = self.document
        return Request(
            org_codes=[self.org_code],
            purpose=str(document.get("purpose", "통합 자산관리")),
            is_scheduled=document.get("is_scheduled") == "true",
            cycle=str(document.get("fnd_cycle") or "1/w"),
            trans_memo=document.get("is_consent_trans_memo") == "true",
            merchant_names=document.get("is_consent_merchant_name_regno") == "true",
        )


def consent_document(mydata: Mydata, org_code: str, request: Request) -> str:
    """The standard's 전송요구내역 for one holder: every asset of its industry's scopes."""
    member = mydata.holders[org_code].member
    end = today_kst() + timedelta(days=mydata.settings.mydata.consent_days)
    document = {
        "snd_org_code": org_code,
        "rcv_org_code": OPERATOR_ORG_CODE,
        "is_scheduled": "true" if request.is_scheduled else "false",
        "fnd_cycle": request.cycle,
        "add_cycle": request.cycle,
        "end_date": f"{end:%Y%m%d}",
        "purpose": request.purpose,
        "period": "1",
        "is_consent_trans_memo": "true" if request.trans_memo else "false",
        "is_consent_merchant_name_regno": "true" if request.merchant_names else "false",
        "target_info": [
            {"scope": scope, "asset_list": [{"asset": "all_asset"}]}
            for scope in INDUSTRY_SCOPES[member.industry]
        ],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _tx_id(mydata: Mydata, org_code: str, now: datetime) -> str:
    """``MD_{operator}_{holder}_{relay}_{CA}_{YYYYMMDDHHMMSS}_{serial 12}`` (3.4; no relay: the holder)."""
    ca = mydata.settings.mydata.ca_code
    stamp = f"{now.astimezone(KST):%Y%m%d%H%M%S}"
    return f"MD_{OPERATOR_ORG_CODE}_{org_code}_{org_code}_{ca}_{stamp}_{secrets.token_hex(6).upper()}"


async def request_link(database: Database, mydata: Mydata, person: Person, request: Request) -> str:
    """Ask the CA for one signature over the transmission requests (IA102), then record them;
    the ``cert_tx_id`` the person signs at the alliance identity. (HTTP first, then one short
    unit of work: nothing is held open while another service answers.)"""
    chosen = [code for code in dict.fromkeys(request.org_codes) if code in mydata.holders]
    if not chosen:
        raise ConsentError(_("연결할 기관을 하나 이상 고르세요"))
    _check(request)
    now = utcnow()
    bundle = []
    for org_code in chosen:
        name = mydata.holders[org_code].member.org_name
        bundle.append(
            {
                "tx_id": _tx_id(mydata, org_code, now),
                "consent_title": f"{name} 전송요구",
                "consent": consent_document(mydata, org_code, request),
            }
        )
    stamp = f"{now.astimezone(KST):%Y%m%d%H%M%S}"
    sign_tx_id = (
        f"{OPERATOR_ORG_CODE}_{mydata.settings.mydata.ca_code}_{stamp}_{secrets.token_hex(5).upper()}"
    )
    cert_tx_id = await mydata.ca.sign_request(
        sign_tx_id=sign_tx_id,
        ci=person.ci,
        name=person.name,
        phone=person.phone,
        title="마이데이터 연결 (전송요구)",
        consents=bundle,
    )
    async with database.unit_of_work() as session:
        repo = MydataRepository(session)
        for item in bundle:
            await repo.add(
                MydataConsentEvent(
                    consent_id=item["tx_id"],
                    subject=person.subject,
                    org_code=item["tx_id"].split("_")[2],
                    kind="requested",
                    document=item["consent"],
                    detail=None,
                    at=now,
                )
            )
        await repo.add(
            MydataSigning(
                cert_tx_id=cert_tx_id,
                sign_tx_id=sign_tx_id,
                subject=person.subject,
                consent_ids=json.dumps([c["tx_id"] for c in bundle]),
                created_at=now,
                finished_at=None,
            )
        )
    return cert_tx_id


@dataclass(frozen=True, slots=True)
class LinkOutcome:
    org_code: str
    org_name: str
    linked: bool
    message: str  # what the customer reads


async def complete_link(
    database: Database, mydata: Mydata, person: Person, cert_tx_id: str
) -> list[LinkOutcome]:
    """After the signature: IA103, then 통합인증-002 to every holder in parallel; tokens to the vault.

    A holder that refuses leaves the others linked; its consent is ``refused`` with the reason."""
    async with database.read_sessions() as reading:
        repo = MydataRepository(reading)
        signing = await repo.signing(cert_tx_id)
        if signing is None or signing.subject != person.subject:
            raise ConsentError(_("연결 요청을 찾을 수 없습니다. 처음부터 다시 시작하세요"))
        if signing.finished_at is not None:
            raise ConsentError(_("이미 처리된 연결 요청입니다"))
        requested = {e.consent_id: e for e in await repo.events_of(person.subject) if e.kind == "requested"}
        earlier = {link.org_code: link.consent_id for link in await repo.links_of(person.subject)}
    signed = await mydata.ca.sign_result(cert_tx_id=cert_tx_id, sign_tx_id=signing.sign_tx_id)
    consent_ids = json.loads(signing.consent_ids)
    limit = asyncio.Semaphore(8)

    async def token(consent_id: str) -> Tokens | HolderError:
        event = requested[consent_id]
        async with limit:
            try:
                return await mydata.holders[event.org_code].client.integrated_token(
                    tx_id=consent_id,
                    ci=person.ci,
                    consent=event.document or "",
                    signed_consent=signed.get(consent_id, ""),
                    cert_tx_id=cert_tx_id,
                    ca_code=mydata.settings.mydata.ca_code,
                )
            except HolderError as refused:
                return refused

    answers = await asyncio.gather(*(token(c) for c in consent_ids))
    now = utcnow()
    outcomes = []
    async with database.unit_of_work() as session:
        repo = MydataRepository(session)
        if not await repo.finish_signing(cert_tx_id, now):
            raise ConsentError(_("이미 처리된 연결 요청입니다"))
        for consent_id, answer in zip(consent_ids, answers, strict=True):
            outcomes.append(await _settle(repo, mydata, requested[consent_id], answer, earlier, now))
    return outcomes


async def _settle(
    repo: MydataRepository,
    mydata: Mydata,
    requested: MydataConsentEvent,
    answer: Tokens | HolderError,
    earlier: dict[str, str],
    now: datetime,
) -> LinkOutcome:
    """A holder's answer to a transmission request: refused, or tokens to the vault (replacing
    the person's earlier link to that holder: assets keep their ids)."""
    consent_id, subject, org_code = requested.consent_id, requested.subject, requested.org_code
    name = mydata.holders[org_code].member.org_name
    if isinstance(answer, HolderError):
        await repo.add(_event(consent_id, subject, org_code, "refused", now, answer.message))
        return LinkOutcome(org_code, name, False, _("{org} 연결 실패: {why}", org=name, why=answer.message))
    if org_code in earlier:
        await repo.drop_link(earlier[org_code])
        await repo.add(_event(earlier[org_code], subject, org_code, "replaced", now, consent_id))
    document = json.loads(requested.document or "{}")
    await repo.add(
        MydataLink(
            consent_id=consent_id,
            subject=subject,
            org_code=org_code,
            scope=answer.scope,
            cycle=document.get("fnd_cycle") if document.get("is_scheduled") == "true" else None,
            purpose=str(document.get("purpose") or "통합 자산관리")[:100],
            access_sealed=mydata.sealer.seal(answer.access_token),
            refresh_sealed=mydata.sealer.seal(answer.refresh_token) if answer.refresh_token else None,
            expires_at=now + timedelta(seconds=answer.expires_in),
            linked_at=now,
            collected_at=None,
        )
    )
    await repo.add(_event(consent_id, subject, org_code, "linked", now, answer.scope))
    return LinkOutcome(org_code, name, True, _("{org} 연결 완료", org=name))


def callback_uri(mydata: Mydata) -> str:
    """Where a holder sends the person back after 개별인증 (registered with the service)."""
    return f"{mydata.settings.public_base_url}/mydata/callback"


async def request_individual(
    database: Database, mydata: Mydata, person: Person, org_code: str, request: Request
) -> str:
    """개별인증 (3.1), the fallback for one holder: the transmission request is recorded and the
    holder's page returned, where the person signs in and chooses what it sends (개별인증-001).
    The ``state`` sent along ties the answer to this request and this person."""
    _check(request)
    if org_code not in mydata.holders:
        raise ConsentError(_("연결할 기관을 하나 이상 고르세요"))
    state = secrets.token_urlsafe(24)
    page = await mydata.holders[org_code].client.authorization_page(
        ci=person.ci, redirect_uri=callback_uri(mydata), state=state
    )
    now = utcnow()
    async with database.unit_of_work() as session:
        await MydataRepository(session).add(
            MydataConsentEvent(
                consent_id=_tx_id(mydata, org_code, now),
                subject=person.subject,
                org_code=org_code,
                kind="requested",
                document=consent_document(mydata, org_code, request),
                detail=f"{INDIVIDUAL} state={state}",
                at=now,
            )
        )
    return page


async def complete_individual(
    database: Database, mydata: Mydata, person: Person, *, state: str, code: str | None, error: str | None
) -> LinkOutcome:
    """The holder sent the person back (개별인증-001's answer): the code for tokens (개별인증-002),
    or the holder's refusal; once per request."""
    async with database.read_sessions() as reading:
        repo = MydataRepository(reading)
        events = await repo.events_of(person.subject)
        newest = {e.consent_id: e.kind for e in events}  # events come oldest first
        found = [
            e
            for e in events
            if e.kind == "requested"
            and e.detail == f"{INDIVIDUAL} state={state}"
            and newest[e.consent_id] == "requested"  # not answered yet
        ]
        earlier = {link.org_code: link.consent_id for link in await repo.links_of(person.subject)}
    if not found or not state:
        raise ConsentError(_("연결 요청을 찾을 수 없습니다. 처음부터 다시 시작하세요"))
    requested = found[0]
    answer: Tokens | HolderError
    if code:
        try:
            answer = await mydata.holders[requested.org_code].client.exchange_code(
                code=code, redirect_uri=callback_uri(mydata)
            )
        except HolderError as refused:
            answer = refused
    else:
        answer = HolderError(400, "access_denied", error or "access_denied")
    async with database.unit_of_work() as session:
        return await _settle(MydataRepository(session), mydata, requested, answer, earlier, utcnow())


def _check(request: Request) -> None:
    if request.cycle not in CYCLES:
        raise ConsentError(_("정기 전송 주기는 1/w, 2/m, 1/m 중 하나입니다"))
    if not request.purpose.strip():
        raise ConsentError(_("전송 목적을 적어 주세요"))


def _event(
    consent_id: str, subject: str, org_code: str, kind: str, at: datetime, detail: str | None
) -> MydataConsentEvent:
    return MydataConsentEvent(
        consent_id=consent_id,
        subject=subject,
        org_code=org_code,
        kind=kind,
        document=None,
        detail=(detail or "")[:500] or None,
        at=at,
    )


async def consents_of(session: AsyncSession, subject: str) -> list[Consent]:
    """Every consent of the person with its current state (the newest event wins; a linked one
    past its end date is ``expired``)."""
    by_id: dict[str, Consent] = {}
    for event in await MydataRepository(session).events_of(subject):
        known = by_id.get(event.consent_id)
        if known is None:
            document = json.loads(event.document) if event.document else {}
            by_id[event.consent_id] = Consent(
                event.consent_id, event.org_code, event.kind, document, event.at, event.at, event.detail
            )
        else:
            by_id[event.consent_id] = Consent(
                known.consent_id,
                known.org_code,
                event.kind,
                known.document,
                known.requested_at,
                event.at,
                event.detail,
            )
    today = today_kst()
    found = [
        replace(c, state="expired") if c.state == "linked" and (c.days_left(today) or 0) < 0 else c
        for c in by_id.values()
    ]
    return sorted(found, key=lambda c: c.requested_at, reverse=True)


async def renewals_due(session: AsyncSession, subject: str) -> list[Consent]:
    """The person's consents to renew now (the reminders)."""
    today = today_kst()
    return [c for c in await consents_of(session, subject) if c.due_for_renewal(today)]


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a withdrawal did, for the customer (the deletion receipt)."""

    org_name: str
    consent_id: str
    assets_deleted: int
    records_deleted: int
    at: datetime

    def __str__(self) -> str:
        when = f"{self.at.astimezone(KST):%Y-%m-%d %H:%M}"
        return _(
            "{org} 전송요구를 철회했습니다 ({when}). 받은 정보를 지웠습니다: 자산 {assets}건, 거래 {records}건.",
            org=self.org_name,
            when=when,
            assets=self.assets_deleted,
            records=self.records_deleted,
        )


async def withdraw(database: Database, mydata: Mydata, subject: str, consent_id: str) -> Receipt:
    """Withdraw a consent: revoke at the holder first (collection stops at once), then delete what
    it brought in and the tokens, and record the withdrawal."""
    async with database.read_sessions() as reading:
        link = await MydataRepository(reading).link(consent_id)
    if link is None or link.subject != subject:
        raise ConsentError(_("철회할 연결을 찾을 수 없습니다"))
    holder = mydata.holders[link.org_code]
    try:
        await holder.client.revoke(mydata.sealer.open(link.access_sealed))
    except HolderError as failed:
        raise ConsentError(
            _("{org}에 철회를 알리지 못했습니다. 잠시 후 다시 시도하세요", org=holder.member.org_name)
        ) from failed
    now = utcnow()
    async with database.unit_of_work() as session:
        repo = MydataRepository(session)
        await repo.drop_link(consent_id)  # first: waits for a collection writing under this link
        assets, records = await repo.forget_consent(consent_id)
        await repo.add(
            _event(consent_id, subject, link.org_code, "withdrawn", now, f"assets={assets} records={records}")
        )
    return Receipt(holder.member.org_name, consent_id, assets, records, now)
