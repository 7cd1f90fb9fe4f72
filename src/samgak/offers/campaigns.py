"""Joint campaigns: a partner product promoted to a segment, only to customers who agreed to
marketing, delivered through the members' channels (the demo's in-app inbox on ``/offers``), with
a random holdout to measure what the campaign itself changed.

Segments are declarative rules over the same consented facts the products read, or a segment
of an approved release of combined member data (``release:<segment id>``, made by the analytics
module's combination agency): for those, the members who own the customers re-identify them and
hand them over (:func:`receive_audience`), and only customers with a live marketing agreement are
kept. At launch the audience is fixed: every customer with a live marketing agreement who matches
the segment (its rule, or the members' hand-over) and is not already enrolled in the product; each is held out with probability ``holdout_pct`` by a keyed
hash of the campaign and the customer (random, reproducible, unguessable). Uptake is enrolment in
the product after the launch; uplift is the treated group's uptake minus the holdout's.
"""

from __future__ import annotations

import hashlib
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from samgak import mydata
from samgak.kit.db import Database
from samgak.kit.timeutil import today_kst, utcnow
from samgak.mydata import MonthFacts
from samgak.offers.models import OffersCampaign, OffersCampaignCandidate, OffersCampaignMember
from samgak.offers.repository import OffersRepository
from samgak.offers.rules import BC_CARD, KBANK, KT, KtBillDiscount, product
from samgak.offers.service import OffersError, month_key

BATCH = 500
RELEASE = "release:"  # a campaign whose audience members re-identify from an approved release


class Segment(ABC):
    """A rule-based segment: subclassing registers it."""

    code: ClassVar[str]
    name: ClassVar[str]
    registry: ClassVar[dict[str, type[Segment]]] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        Segment.registry[cls.code] = cls

    @abstractmethod
    def matches(self, facts: MonthFacts) -> bool:
        """Whether a customer with these facts is in the segment."""


class KtPaidElsewhere(Segment):
    code = "kt-paid-elsewhere"
    name = "KT 요금을 케이뱅크 밖에서 내는 고객"

    def matches(self, facts: MonthFacts) -> bool:
        return KT in facts.linked and not any(KtBillDiscount.qualifies(paid) for paid, _ in facts.kt_payments)


class KbankCustomers(Segment):
    code = "kbank-customers"
    name = "케이뱅크를 연결한 고객"

    def matches(self, facts: MonthFacts) -> bool:
        return KBANK in facts.linked


class BcCardUsers(Segment):
    code = "bc-card-users"
    name = "BC카드를 쓰는 고객"

    def matches(self, facts: MonthFacts) -> bool:
        return BC_CARD in facts.linked and facts.card_spending.get(BC_CARD, 0) > 0


def segments() -> list[Segment]:
    return [cls() for cls in Segment.registry.values()]


async def agree_to_marketing(database: Database, subject: str, agreed: bool) -> None:
    async with database.unit_of_work() as session:
        await OffersRepository(session).set_marketing(subject, agreed, utcnow())


async def agreed(database: Database, subject: str) -> bool:
    async with database.read_sessions() as session:
        return await OffersRepository(session).marketing_of(subject)


async def create(database: Database, name: str, code: str, segment: str, holdout_pct: int) -> str:
    if product(code) is None or (segment not in Segment.registry and not segment.startswith(RELEASE)):
        raise OffersError("상품과 대상 고객군을 고르세요")
    if not name.strip() or not 0 <= holdout_pct <= 50:
        raise OffersError("캠페인 이름과 0–50% 사이의 비교군 비율을 적으세요")
    campaign_id = f"C{secrets.token_hex(8).upper()}"
    async with database.unit_of_work() as session:
        await OffersRepository(session).add_campaign(
            OffersCampaign(
                id=campaign_id,
                name=name.strip()[:100],
                product=code,
                segment=segment,
                holdout_pct=holdout_pct,
                created_at=utcnow(),
                launched_at=None,
            )
        )
    return campaign_id


def held_out(campaign_id: str, subject: str, holdout_pct: int, key: bytes) -> bool:
    digest = hashlib.blake2b(f"{campaign_id}|{subject}".encode(), key=key, digest_size=8).digest()
    return int.from_bytes(digest, "big") % 100 < holdout_pct


async def launch(database: Database, campaign_id: str, key: bytes) -> tuple[int, int]:
    """Fix the audience, hold some out, deliver to the rest; ``(treated, held out)``."""
    now = utcnow()
    async with database.unit_of_work() as session:
        repo = OffersRepository(session)
        campaign = await repo.campaign(campaign_id)
        if campaign is None:
            raise OffersError("없는 캠페인입니다", status_code=404, code="not_found")
        if campaign.launched_at is not None:
            raise OffersError("이미 보낸 캠페인입니다", status_code=409, code="launched")
        audience = await repo.marketing_audience()
        rule = None
        if campaign.segment.startswith(RELEASE):
            handed = await repo.candidates(campaign_id)
            audience = [subject for subject in audience if subject in handed]
        else:
            rule = Segment.registry[campaign.segment]()
        members = []
        for start in range(0, len(audience), BATCH):  # the facts of a batch in two reads
            batch = audience[start : start + BATCH]
            facts = await mydata.month_facts_of(session, batch, month_key(today_kst(), 1)) if rule else {}
            enrolled = await repo.enrolled_in(campaign.product, batch)
            members += [
                OffersCampaignMember(
                    campaign_id=campaign_id,
                    subject=subject,
                    holdout=(holdout := held_out(campaign_id, subject, campaign.holdout_pct, key)),
                    delivered_at=None if holdout else now,
                )
                for subject in batch
                if subject not in enrolled and (rule is None or rule.matches(facts[subject]))
            ]
        await repo.add_members(members)
        campaign.launched_at = now
    return sum(not m.holdout for m in members), sum(m.holdout for m in members)


async def receive_audience(
    database: Database, campaign_id: str, *, org_code: str, request_id: str, subjects: list[str]
) -> int:
    """Keep the customers a member re-identified for a release campaign who agreed to marketing;
    how many of this hand-over were kept. Idempotent: a customer is kept once per campaign."""
    async with database.unit_of_work() as session:
        repo = OffersRepository(session)
        campaign = await repo.campaign(campaign_id)
        if campaign is None or not campaign.segment.startswith(RELEASE):
            raise OffersError("결합 세그먼트 캠페인이 아닙니다", status_code=404, code="not_found")
        if campaign.launched_at is not None:
            raise OffersError("이미 보낸 캠페인입니다", status_code=409, code="launched")
        agreeing = set(await repo.marketing_audience())
        kept = [subject for subject in subjects if subject in agreeing]
        now = utcnow()
        await repo.add_candidates(
            [
                OffersCampaignCandidate(
                    campaign_id=campaign_id,
                    subject=subject,
                    org_code=org_code,
                    request_id=request_id[:24],
                    received_at=now,
                )
                for subject in kept
            ]
        )
    return len(kept)


@dataclass(frozen=True, slots=True)
class Result:
    campaign: OffersCampaign
    treated: int
    held_out: int
    treated_enrolled: int
    held_out_enrolled: int

    @property
    def treated_rate(self) -> float:
        return self.treated_enrolled / self.treated if self.treated else 0.0

    @property
    def held_out_rate(self) -> float:
        return self.held_out_enrolled / self.held_out if self.held_out else 0.0

    @property
    def uplift_pp(self) -> float:
        """Percentage points of uptake the campaign added over the holdout."""
        return (self.treated_rate - self.held_out_rate) * 100


async def results(database: Database) -> list[Result]:
    async with database.read_sessions() as session:
        repo = OffersRepository(session)
        found = []
        for campaign in await repo.campaigns():
            counts = await repo.campaign_counts(campaign) if campaign.launched_at else {}
            found.append(
                Result(
                    campaign,
                    counts.get((False, False), 0) + counts.get((False, True), 0),
                    counts.get((True, False), 0) + counts.get((True, True), 0),
                    counts.get((False, True), 0),
                    counts.get((True, True), 0),
                )
            )
    return found


async def inbox(database: Database, subject: str) -> list[OffersCampaign]:
    """The campaigns delivered to this customer, newest first."""
    async with database.read_sessions() as session:
        return list(await OffersRepository(session).inbox_of(subject))
