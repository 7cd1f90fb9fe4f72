"""The synthetic alliance: a deterministic generator of people and their products at every member.

Everything is a pure function of ``(seed, as_of, person index)``: the same seed and as-of day
give byte-identical customers, products and history, on any machine, in any order, at any
time. Because history is a function too, a member's core writes a customer's five years of
history the first time it is read (``SyntheticCore.ensure_history``) instead of at seed time,
and the members still agree with each other: the card bill the card company shows is the
withdrawal the bank shows on the bill's day, the KT bill paid by auto-pay is the same amount on
the bank statement or the card's approvals, check-card purchases debit the linked account.

People come in segments (salaried, self-employed, students, gig workers, seniors); about one in
six is *thin-file* — few or no bank and card products but a long telecom history — and about
one in twenty-five is *delinquent* — late or missed card and phone bills.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from samgak.institution.core.synthetic import catalog as cat

MEMBERS = ("woori-bank", "k-bank", "woori-card", "bc-card", "kt")
_MERCHANT_CUM = list(itertools.accumulate(m.weight for m in cat.MERCHANTS))
_SEGMENTS = ("salaried", "self_employed", "student", "gig", "senior")
_SEGMENT_WEIGHTS = (52, 10, 12, 14, 12)


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    ci: str
    name: str
    birth_date: date
    phone: str
    segment: str
    monthly_income: int
    salary_day: int
    employer: str
    thin_file: bool
    delinquent: bool


@dataclass(slots=True)
class AssetSpec:
    """One product at one member, with the standard's fields in ``detail``."""

    member: str
    kind: str  # deposit | loan | card | telecom
    asset_key: str
    opened: date
    sort_key: str
    detail: dict[str, Any]
    status: str = "01"
    seqno: str | None = None
    plan: dict[str, Any] = field(default_factory=dict)  # generator-only facts (amounts, pay accounts)


@dataclass(slots=True)
class History:
    """Everything one member holds about one person, as rows ready to store."""

    deposit_tx: dict[str, list[tuple[str, str, str, str, int, int, str]]] = field(default_factory=dict)
    loan_tx: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)
    card_approvals: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    card_bills: list[dict[str, Any]] = field(default_factory=list)
    points: list[tuple[str, int, int]] = field(default_factory=list)
    telecom_months: dict[str, list[tuple[str, int, str, int | None, str | None]]] = field(
        default_factory=dict
    )
    telecom_paid: dict[str, list[tuple[str, int, str, str, str]]] = field(default_factory=dict)


def _dtime(day: date, hour: int, minute: int, second: int) -> str:
    return f"{day:%Y%m%d}{hour:02d}{minute:02d}{second:02d}"


def _month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _clamp_day(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, _month_days(year, month)))


class SyntheticAlliance:
    """The generator. Cheap to build; every method is deterministic."""

    def __init__(self, seed: int, as_of: date, years: int = 5) -> None:
        self.seed = seed
        self.as_of = as_of
        self.start = date(as_of.year - years, as_of.month, 1)

    # ------------------------------------------------------------------ randomness

    def _rng(self, index: int, label: str) -> random.Random:
        return random.Random(f"{self.seed}/{index}/{label}")

    def _months(self, first: date) -> list[tuple[int, int]]:
        begin = max(first, self.start)
        months = []
        year, month = begin.year, begin.month
        while (year, month) <= (self.as_of.year, self.as_of.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months

    def _day_in(self, rng: random.Random, year: int, month: int, opened: date) -> date | None:
        first = max(date(year, month, 1), opened)
        last = min(date(year, month, _month_days(year, month)), self.as_of)
        if first > last:
            return None
        return first + timedelta(days=rng.randrange((last - first).days + 1))

    # ------------------------------------------------------------------ people

    def person(self, index: int) -> Person:
        rng = self._rng(index, "person")
        segment = rng.choices(_SEGMENTS, weights=_SEGMENT_WEIGHTS)[0]
        age = {
            "salaried": (25, 60),
            "self_employed": (30, 66),
            "student": (19, 26),
            "gig": (20, 42),
            "senior": (62, 86),
        }[segment]
        birth_year = self.as_of.year - rng.randint(*age)
        birth = date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
        name = rng.choices(cat.SURNAMES, weights=cat.SURNAME_WEIGHTS)[0] + "".join(
            rng.sample(cat.GIVEN_SYLLABLES, 2)
        )
        income = {
            "salaried": rng.randint(250, 900) * 10_000,
            "self_employed": rng.randint(150, 1200) * 10_000,
            "student": rng.randint(0, 80) * 10_000,
            "gig": rng.randint(80, 260) * 10_000,
            "senior": rng.randint(60, 220) * 10_000,
        }[segment]
        thin = (segment in ("student", "gig") and rng.random() < 0.7) or rng.random() < 0.04
        ci_raw = hashlib.sha512(f"ci/{self.seed}/{index}".encode()).digest()
        return Person(
            index=index,
            ci=base64.b64encode(ci_raw).decode(),
            name=name,
            birth_date=birth,
            phone=f"010{rng.randrange(10**8):08d}",
            segment=segment,
            monthly_income=income,
            salary_day=rng.choice((10, 15, 20, 21, 25)),
            employer=rng.choice(cat.EMPLOYERS),
            thin_file=thin,
            delinquent=rng.random() < 0.04,
        )

    def demographics(self, index: int) -> tuple[str, str]:
        """``(sex, province)`` of a person: ``M``/``F`` and a 시도 weighted by population (a stream
        of its own, so adding it changed no one's products or history)."""
        rng = self._rng(index, "demographics")
        province = rng.choices([p for p, _ in cat.PROVINCES], weights=[w for _, w in cat.PROVINCES])[0]
        return rng.choice("MF"), province

    # ------------------------------------------------------------------ products

    def holdings(self, person: Person) -> dict[str, list[AssetSpec]]:
        """Every product the person holds, by member slug (members they do not use are absent)."""
        rng = self._rng(person.index, "holdings")
        thin = person.thin_file
        held: dict[str, list[AssetSpec]] = {}
        earliest = max(
            person.birth_date.replace(year=person.birth_date.year + 19), self.start - timedelta(days=3650)
        )

        def opened() -> date:
            span = (self.as_of - earliest).days
            return earliest + timedelta(days=rng.randrange(max(span - 30, 1)))

        for bank, p_thick, p_thin in (("woori-bank", 0.55, 0.15), ("k-bank", 0.35, 0.3)):
            if rng.random() < (p_thin if thin else p_thick):
                held[bank] = self._bank_products(person, bank, rng, opened)
        main_account = next((spec for b in ("woori-bank", "k-bank") for spec in held.get(b, ())), None)
        for card_co, p_thick, p_thin in (("woori-card", 0.42, 0.05), ("bc-card", 0.36, 0.05)):
            if rng.random() < (p_thin if thin else p_thick):
                held[card_co] = self._cards(person, card_co, rng, opened, main_account, thin)
        if rng.random() < (0.92 if thin else 0.74) or not held:
            held["kt"] = self._contracts(person, rng, opened, held)
        return held

    def _bank_products(self, person: Person, bank: str, rng: random.Random, opened: Any) -> list[AssetSpec]:
        products = cat.BANK_PRODUCTS[bank]
        prefix = "1002" if bank == "woori-bank" else "1001"
        specs: list[AssetSpec] = []
        counter = itertools.count()

        def account_num() -> str:
            return f"{prefix}{person.index:09d}{next(counter)}"

        main_open = opened()
        specs.append(
            AssetSpec(
                bank,
                "deposit",
                account_num(),
                main_open,
                "1001",
                {
                    "prod_name": products["1001"],
                    "account_type": "1001",
                    "is_foreign_deposit": False,
                    "is_minus": False,
                    "saving_method": "01",
                    "issue_date": f"{main_open:%Y%m%d}",
                    "exp_date": None,
                    "currency_code": "KRW",
                    "commit_amt": None,
                    "monthly_paid_in_amt": None,
                    "offered_rate": "0.10000",
                },
                plan={"main": True},
            )
        )
        if not person.thin_file and rng.random() < 0.3:
            start = opened()
            monthly = rng.choice((100_000, 200_000, 300_000, 500_000))
            specs.append(
                AssetSpec(
                    bank,
                    "deposit",
                    account_num(),
                    start,
                    "1003",
                    {
                        "prod_name": products["1003"],
                        "account_type": "1003",
                        "is_foreign_deposit": False,
                        "is_minus": False,
                        "saving_method": "03",
                        "issue_date": f"{start:%Y%m%d}",
                        "exp_date": f"{max(_clamp_day(start.year + 3, start.month, start.day), self.as_of + timedelta(days=30)):%Y%m%d}",
                        "currency_code": "KRW",
                        "commit_amt": None,
                        "monthly_paid_in_amt": monthly,
                        "offered_rate": f"{rng.choice((3.5, 4.0, 4.3, 5.0)):.5f}",
                    },
                    plan={"monthly": monthly},
                )
            )
        if not person.thin_file and rng.random() < 0.15:
            start = opened()
            commit = rng.choice((5_000_000, 10_000_000, 20_000_000, 30_000_000))
            specs.append(
                AssetSpec(
                    bank,
                    "deposit",
                    account_num(),
                    start,
                    "1002",
                    {
                        "prod_name": products["1002"],
                        "account_type": "1002",
                        "is_foreign_deposit": False,
                        "is_minus": False,
                        "saving_method": "02",
                        "issue_date": f"{start:%Y%m%d}",
                        "exp_date": f"{_clamp_day(self.as_of.year + 1, self.as_of.month, self.as_of.day):%Y%m%d}",
                        "currency_code": "KRW",
                        "commit_amt": commit,
                        "monthly_paid_in_amt": None,
                        "offered_rate": f"{rng.choice((3.2, 3.5, 3.8)):.5f}",
                    },
                    plan={"commit": commit},
                )
            )
        if person.segment in ("salaried", "self_employed") and rng.random() < 0.22:
            start = opened()
            mortgage = person.segment == "salaried" and rng.random() < 0.35
            principal = rng.randint(10, 60) * 10_000_000 if mortgage else rng.randint(5, 60) * 1_000_000
            months = 360 if mortgage else rng.choice((24, 36, 60))
            rate = rng.choice((3.9, 4.2, 4.5)) if mortgage else rng.choice((5.5, 6.4, 7.9, 9.2))
            kind = "3200" if mortgage else "3100"
            specs.append(
                AssetSpec(
                    bank,
                    "loan",
                    account_num(),
                    start,
                    kind,
                    {
                        "prod_name": products[kind],
                        "account_type": kind,
                        "holder_name": person.name,
                        "issue_date": f"{start:%Y%m%d}",
                        "exp_date": f"{_clamp_day(*_add_months(start.year, start.month, months), start.day):%Y%m%d}",
                        "last_offered_rate": f"{rate:.5f}",
                        "repay_date": f"{min(start.day, 28):02d}",
                        "repay_method": "01",
                        "repay_org_code": None,
                        "repay_account_num": specs[0].asset_key,
                        "loan_principal": principal,
                    },
                    plan={"principal": principal, "months": months, "rate": rate},
                )
            )
        return specs

    def _cards(
        self,
        person: Person,
        card_co: str,
        rng: random.Random,
        opened: Any,
        main: AssetSpec | None,
        thin: bool,
    ) -> list[AssetSpec]:
        products = cat.CARD_PRODUCTS[card_co]
        prefix = "WC" if card_co == "woori-card" else "BC"
        pay_bank = main.member if main else "outside"
        pay_account = main.asset_key if main else f"004{person.index:011d}"
        linked_code = cat.BANK_CODES.get(pay_bank, "004")
        choices = [p for p in products if p[1] == "02"] if thin else list(products)
        count = 1 if thin else rng.choice((1, 1, 2))
        specs = []
        for n, (card_name, card_type) in enumerate(rng.sample(choices, min(count, len(choices)))):
            start = opened()
            digits = f"{rng.choice(('536512', '949013', '404825', '625904'))}{rng.randrange(10**10):010d}"
            specs.append(
                AssetSpec(
                    card_co,
                    "card",
                    f"{prefix}{person.index:09d}{n:02d}",
                    start,
                    f"{card_type}{n}",
                    {
                        "card_num": f"{digits[:6]}******{digits[-4:]}",
                        "card_name": card_name,
                        "card_member": "1",
                        "card_type": card_type,
                        "is_trans_payable": True,
                        "is_cash_card": card_type == "02",
                        "linked_bank_code": linked_code,
                        "card_brand": rng.choice(cat.CARD_BRANDS),
                        "annual_fee": 0
                        if card_type == "02"
                        else rng.choice((10_000, 15_000, 20_000, 30_000)),
                        "issue_date": f"{start:%Y%m%d}",
                        "account_num": pay_account,
                    },
                    plan={
                        "pay_bank": pay_bank,
                        "pay_account": pay_account,
                        "bill_day": rng.choice((1, 14, 25)),
                    },
                )
            )
        return specs

    def _contracts(
        self, person: Person, rng: random.Random, opened: Any, held: dict[str, list[AssetSpec]]
    ) -> list[AssetSpec]:
        accounts = [s for b in ("woori-bank", "k-bank") for s in held.get(b, ()) if s.plan.get("main")]
        credit_cards = [
            s for c in ("woori-card", "bc-card") for s in held.get(c, ()) if s.detail["card_type"] == "01"
        ]
        kinds = ["01"] if rng.random() < 0.95 else []
        if rng.random() < 0.42:
            kinds.append("03")
        if rng.random() < 0.1:
            kinds.append("02")
        kinds = kinds or ["01"]
        specs = []
        for n, kind in enumerate(kinds):
            start = opened() if n else min(opened(), self.start - timedelta(days=rng.randrange(2000)))
            fee = {
                "01": rng.choice(cat.MOBILE_PLANS),
                "02": cat.HOME_PHONE_PLAN,
                "03": rng.choice(cat.INTERNET_PLANS),
            }[kind]
            number = {
                "01": f"{person.phone[:3]}****{person.phone[-4:]}",
                "02": f"02***{rng.randrange(10**4):04d}",
                "03": f"ID***{rng.randrange(10**4):04d}",
            }[kind]
            roll = rng.random()
            if accounts and roll < 0.55:
                autopay = ("account", accounts[0].member, accounts[0].asset_key)
            elif credit_cards and roll < 0.85:
                autopay = ("card", credit_cards[0].member, credit_cards[0].asset_key)
            else:
                autopay = ("giro", "", "")
            arrears = rng.randint(1, 3) if person.delinquent and kind == "01" and rng.random() < 0.5 else 0
            specs.append(
                AssetSpec(
                    "kt",
                    "telecom",
                    f"KT{person.index:010d}{n}",
                    start,
                    kind,
                    {
                        "telecom_num": number,
                        "type": kind,
                    },
                    status="03" if arrears else "01",
                    plan={
                        "fee": fee,
                        "autopay": autopay,
                        "due_day": rng.choice((15, 21, 25)),
                        "arrears": arrears,
                    },
                )
            )
        return specs

    # ------------------------------------------------------------------ history

    def history(
        self, person: Person, member: str, holdings: dict[str, list[AssetSpec]] | None = None
    ) -> History:
        """The five years of history ``member`` keeps for ``person``."""
        held = holdings if holdings is not None else self.holdings(person)
        out = History()
        specs = held.get(member, [])
        if member in ("woori-card", "bc-card"):
            approvals = self._all_card_approvals(person, held)
            for spec in specs:
                out.card_approvals[spec.asset_key] = approvals[spec.asset_key]
            out.card_bills = self._card_bills(person, member, held, approvals)
            spent = sum(
                a["approved_amt"]
                for k in out.card_approvals
                for a in out.card_approvals[k]
                if a["status"] == "01"
            )
            out.points = [(cat.POINT_NAMES[member], spent // 200 % 400_000, spent // 5000 % 20_000)]
        elif member == "kt":
            months, paid = self._telecom(person, held)
            out.telecom_months, out.telecom_paid = months, paid
        elif member in ("woori-bank", "k-bank"):
            self._bank(person, member, held, out)
        return out

    def _all_card_approvals(
        self, person: Person, held: dict[str, list[AssetSpec]]
    ) -> dict[str, list[dict[str, Any]]]:
        kt_card_charges = self._kt_card_charges(person, held)
        approvals: dict[str, list[dict[str, Any]]] = {}
        for card_co in ("woori-card", "bc-card"):
            for spec in held.get(card_co, ()):
                approvals[spec.asset_key] = self._card_approvals(
                    person, spec, kt_card_charges.get(spec.asset_key, [])
                )
        return approvals

    def _card_approvals(
        self, person: Person, spec: AssetSpec, kt_charges: list[tuple[date, int]]
    ) -> list[dict[str, Any]]:
        rng = self._rng(person.index, f"card/{spec.asset_key}")
        credit = spec.detail["card_type"] == "01"
        base_rate = {"salaried": 16, "self_employed": 14, "student": 8, "gig": 9, "senior": 6}[person.segment]
        rate = base_rate if credit else base_rate * 0.7
        pay_type = "01" if credit else "02"
        rows: list[dict[str, Any]] = []
        for year, month in self._months(spec.opened):
            count = max(0, round(rng.gauss(rate, rate**0.5)))
            for _ in range(count):
                day = self._day_in(rng, year, month, spec.opened)
                if day is None:
                    break
                if rng.random() < 0.01:
                    name, country, currency, krw_per_unit = rng.choice(cat.OVERSEAS)
                    foreign = rng.randint(5, 300)
                    rows.append(
                        self._approval(
                            rng,
                            day,
                            rng.randrange(24),
                            pay_type,
                            name,
                            "",
                            "해외",
                            foreign * krw_per_unit,
                            country=country,
                            currency=currency,
                            foreign_amt=f"{foreign:.3f}",
                        )
                    )
                    continue
                merchant = rng.choices(cat.MERCHANTS, cum_weights=_MERCHANT_CUM)[0]
                span = merchant.high - merchant.low
                amount = merchant.low + int(span * rng.random() ** 2.2)
                amount = amount // 10 * 10 if merchant.category == "편의점" else amount // 100 * 100
                hour = (
                    rng.randrange(*merchant.hours)
                    if merchant.hours[1] > merchant.hours[0]
                    else rng.randrange(24)
                )
                row = self._approval(
                    rng,
                    day,
                    min(hour, 23),
                    pay_type,
                    merchant.name,
                    merchant.regno,
                    merchant.category,
                    amount,
                )
                if credit and amount >= 200_000 and rng.random() < 0.35:
                    row["total_install_cnt"] = rng.choice((2, 3, 6, 10, 12))
                rows.append(row)
        for day, amount in kt_charges:
            rows.append(self._approval(rng, day, 6, pay_type, "KT 통신요금", "1028142945", "통신", amount))
        rows.sort(key=lambda r: r["approved_dtime"])
        return rows

    def _approval(
        self,
        rng: random.Random,
        day: date,
        hour: int,
        pay_type: str,
        name: str,
        regno: str,
        category: str,
        amount: int,
        country: str | None = None,
        currency: str | None = None,
        foreign_amt: str | None = None,
    ) -> dict[str, Any]:
        dtime = _dtime(day, hour, rng.randrange(60), rng.randrange(60))
        status, trans_dtime = "01", None
        if rng.random() < 0.02:
            cancel_day = day + timedelta(days=rng.randrange(3))
            if cancel_day <= self.as_of:
                status, trans_dtime = "02", _dtime(cancel_day, 12, rng.randrange(60), rng.randrange(60))
        return {
            "approved_dtime": dtime,
            "approved_num": f"{rng.randrange(10**8):08d}",
            "status": status,
            "pay_type": pay_type,
            "trans_dtime": trans_dtime,
            "merchant_name": name,
            "merchant_regno": regno,
            "category": category,
            "approved_amt": amount,
            "modified_amt": None,
            "total_install_cnt": None,
            "country_code": country,
            "currency_code": currency,
            "foreign_amt": foreign_amt,
        }

    def _card_bills(
        self,
        person: Person,
        card_co: str,
        held: dict[str, list[AssetSpec]],
        approvals: dict[str, list[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """카드-004/005: one bill a month for the credit purchases of the previous month (and installments)."""
        credit = [s for s in held.get(card_co, ()) if s.detail["card_type"] == "01"]
        if not credit:
            return []
        mixed = len(credit) < len(held[card_co])
        bill_day = credit[0].plan["bill_day"]
        items_by_month: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
        for spec in credit:
            for a in approvals[spec.asset_key]:
                if a["status"] != "01":
                    continue
                year, month = int(a["approved_dtime"][:4]), int(a["approved_dtime"][4:6])
                installments = a["total_install_cnt"] or 1
                per = a["approved_amt"] // installments
                for n in range(installments):
                    paid = per if n < installments - 1 else a["approved_amt"] - per * (installments - 1)
                    fee = 0 if installments == 1 else (a["approved_amt"] - per * n) * 12 // 1000
                    items_by_month[_add_months(year, month, n + 1)].append(
                        {
                            "card_id": spec.asset_key,
                            "paid_dtime": a["approved_dtime"],
                            "paid_amt": paid,
                            "currency_code": "KRW",
                            "merchant_name": a["merchant_name"],
                            "merchant_regno": a["merchant_regno"],
                            "credit_fee_amt": fee,
                            "total_install_cnt": installments if installments > 1 else None,
                            "cur_install_cnt": n + 1 if installments > 1 else None,
                            "balance_amt": a["approved_amt"] - per * (n + 1) if installments > 1 else 0,
                            "prod_type": "02" if installments > 1 else "01",
                        }
                    )
        bills = []
        for year, month in self._months(min(s.opened for s in credit)):
            items = items_by_month.get((year, month))
            if not items:
                continue
            due = _clamp_day(year, month, bill_day)
            bills.append(
                {
                    "seqno": "1",
                    "charge_month": f"{year}{month:02d}",
                    "charge_day": bill_day,
                    "charge_amt": sum(i["paid_amt"] + i["credit_fee_amt"] for i in items),
                    "paid_out_date": f"{due:%Y%m%d}",
                    "card_type": "03" if mixed else "01",
                    "details": items,
                }
            )
        return bills

    def _kt_card_charges(
        self, person: Person, held: dict[str, list[AssetSpec]]
    ) -> dict[str, list[tuple[date, int]]]:
        charges: dict[str, list[tuple[date, int]]] = defaultdict(list)
        if "kt" not in held:
            return charges
        months, _ = self._telecom(person, held)
        for spec in held["kt"]:
            method, _, key = spec.plan["autopay"]
            if method != "card":
                continue
            for _month, _charge, charge_date, paid, _pm in months[spec.asset_key]:
                if paid:
                    charges[key].append(
                        (date(int(charge_date[:4]), int(charge_date[4:6]), int(charge_date[6:])), paid)
                    )
        return charges

    def _telecom(
        self, person: Person, held: dict[str, list[AssetSpec]]
    ) -> tuple[
        dict[str, list[tuple[str, int, str, int | None, str | None]]],
        dict[str, list[tuple[str, int, str, str, str]]],
    ]:
        months_out: dict[str, list[tuple[str, int, str, int | None, str | None]]] = {}
        paid_out: dict[str, list[tuple[str, int, str, str, str]]] = {}
        young = (self.as_of.year - person.birth_date.year) < 35
        for spec in held.get("kt", ()):
            rng = self._rng(person.index, f"kt/{spec.asset_key}")
            fee, due_day = spec.plan["fee"], spec.plan["due_day"]
            method = "01" if spec.plan["autopay"][0] != "giro" else "02"
            micro: list[tuple[str, int, str, str, str]] = []
            micro_by_month: dict[tuple[int, int], int] = defaultdict(int)
            months = self._months(spec.opened)
            if spec.detail["type"] == "01":
                rate = 2.5 if young else 0.6
                for year, month in months:
                    for _ in range(max(0, round(rng.gauss(rate, rate**0.5)))):
                        day = self._day_in(rng, year, month, spec.opened)
                        if day is None:
                            break
                        pg, regno, titles = rng.choice(cat.MICRO_MERCHANTS)
                        amount = rng.choice((1_100, 2_200, 3_300, 5_500, 9_900, 11_000, 33_000, 55_000))
                        micro.append(
                            (
                                _dtime(day, rng.randrange(8, 24), rng.randrange(60), rng.randrange(60)),
                                amount,
                                pg,
                                regno,
                                rng.choice(titles),
                            )
                        )
                        micro_by_month[(year, month)] += amount
            rows: list[tuple[str, int, str, int | None, str | None]] = []
            arrears = 0
            billed = [(y, m) for y, m in months[1:] if _clamp_day(y, m, due_day) <= self.as_of]
            unpaid_tail = set(billed[len(billed) - spec.plan["arrears"] :]) if spec.plan["arrears"] else set()
            for year, month in months[1:]:
                charge = fee + micro_by_month.get(_add_months(year, month, -1), 0)
                due = _clamp_day(year, month, due_day)
                if due > self.as_of:
                    rows.append((f"{year}{month:02d}", charge, f"{due:%Y%m%d}", None, None))
                    continue
                missed = (year, month) in unpaid_tail or (person.delinquent and rng.random() < 0.18)
                if missed:
                    arrears += charge
                    rows.append((f"{year}{month:02d}", charge, f"{due:%Y%m%d}", 0, None))
                else:
                    rows.append((f"{year}{month:02d}", charge, f"{due:%Y%m%d}", charge + arrears, method))
                    arrears = 0
            micro.sort()
            months_out[spec.asset_key] = rows
            paid_out[spec.asset_key] = micro
        return months_out, paid_out

    def _bank(self, person: Person, bank: str, held: dict[str, list[AssetSpec]], out: History) -> None:
        specs = held.get(bank, [])
        main = next((s for s in specs if s.plan.get("main")), None)
        flows: dict[str, list[tuple[str, str, str, int, str]]] = defaultdict(
            list
        )  # dtime, type, class, signed, memo
        rng = self._rng(person.index, f"bank/{bank}")
        if main is not None:
            self._main_account_flows(person, bank, main, held, rng, flows[main.asset_key])
        for spec in specs:
            if spec.kind == "deposit" and spec.detail["account_type"] == "1003":
                for year, month in self._months(spec.opened)[1:]:
                    day = _clamp_day(year, month, 5)
                    if day <= self.as_of:
                        amount = spec.plan["monthly"]
                        flows[spec.asset_key].append(
                            (_dtime(day, 9, 0, 0), "04", "자동이체", amount, "적금 자동이체")
                        )
                        if main is not None:
                            flows[main.asset_key].append(
                                (_dtime(day, 9, 0, 0), "03", "자동이체", -amount, "적금 자동이체")
                            )
            elif spec.kind == "deposit" and spec.detail["account_type"] == "1002":
                flows[spec.asset_key].append(
                    (
                        _dtime(spec.opened, 10, 0, 0),
                        "01",
                        "신규",
                        spec.plan["commit"],
                        spec.detail["prod_name"],
                    )
                )
            elif spec.kind == "loan":
                self._loan(person, spec, main, out, flows)
        for spec in specs:
            if spec.kind != "deposit":
                continue
            opened_at = _dtime(spec.opened, 9, 0, 0)
            is_time_deposit = spec.detail["account_type"] == "1002"
            rows = sorted(f for f in flows.get(spec.asset_key, []) if f[0] > opened_at or is_time_deposit)
            opening = _opening_deposit(rows, rng)
            balance = 0
            stored: list[tuple[str, str, str, str, int, int, str]] = []
            if not is_time_deposit:
                balance = opening
                stored.append(
                    (opened_at, f"{spec.asset_key[-6:]}000000", "01", "신규", opening, balance, "신규 입금")
                )
            for n, (dtime, ttype, tclass, signed, memo) in enumerate(rows, 1):
                balance += signed
                stored.append(
                    (dtime, f"{spec.asset_key[-6:]}{n:06d}", ttype, tclass, abs(signed), balance, memo)
                )
            out.deposit_tx[spec.asset_key] = stored
            out.balances[spec.asset_key] = balance

    def _main_account_flows(
        self,
        person: Person,
        bank: str,
        main: AssetSpec,
        held: dict[str, list[AssetSpec]],
        rng: random.Random,
        flows: list[tuple[str, str, str, int, str]],
    ) -> None:
        for year, month in self._months(main.opened):
            if person.segment == "senior":
                day = _clamp_day(year, month, 25)
                if day <= self.as_of and day >= main.opened:
                    flows.append((_dtime(day, 8, 0, 0), "04", "입금", person.monthly_income, "국민연금"))
            elif person.monthly_income and person.segment != "student":
                day = _clamp_day(year, month, person.salary_day)
                irregular = person.segment in ("self_employed", "gig")
                if day <= self.as_of and day >= main.opened and (not irregular or rng.random() < 0.85):
                    amount = (
                        int(person.monthly_income * (rng.uniform(0.6, 1.4) if irregular else 1))
                        // 1000
                        * 1000
                    )
                    if not irregular and month in (1, 7) and rng.random() < 0.5:
                        amount += person.monthly_income // 2
                    memo = (
                        person.employer + " 급여"
                        if not irregular
                        else rng.choice(("배민커넥트", "쿠팡이츠 정산", "스마트스토어 정산"))
                    )
                    flows.append(
                        (_dtime(day, 8, 30, 0), "04", "급여" if not irregular else "입금", amount, memo)
                    )
            elif person.monthly_income:
                allowance_day = self._day_in(rng, year, month, main.opened)
                if allowance_day:
                    flows.append(
                        (_dtime(allowance_day, 14, 0, 0), "04", "입금", person.monthly_income, "용돈")
                    )
            budget = max(person.monthly_income // 4, 50_000)
            for _ in range(rng.choice((0, 1, 1, 2))):
                transfer_day = self._day_in(rng, year, month, main.opened)
                if transfer_day:
                    amount = max(10_000, int(budget * rng.uniform(0.1, 0.5)) // 1000 * 1000)
                    name = rng.choice(cat.SURNAMES) + "".join(rng.sample(cat.GIVEN_SYLLABLES, 2))
                    flows.append(
                        (
                            _dtime(transfer_day, rng.randrange(9, 22), rng.randrange(60), 0),
                            "03",
                            "이체",
                            -amount,
                            name,
                        )
                    )
            if rng.random() < 0.45:
                atm_day = self._day_in(rng, year, month, main.opened)
                if atm_day:
                    flows.append(
                        (
                            _dtime(atm_day, rng.randrange(9, 22), rng.randrange(60), 0),
                            "03",
                            "ATM",
                            -rng.choice((50_000, 100_000, 200_000)),
                            "ATM 출금",
                        )
                    )
            if month in (3, 6, 9, 12):
                day = _clamp_day(year, month, 21)
                if main.opened <= day <= self.as_of:
                    flows.append((_dtime(day, 3, 0, 0), "04", "이자", 10 + rng.randrange(2000), "예금이자"))
        approvals = self._all_card_approvals(person, held)
        for card_co in ("woori-card", "bc-card"):
            cards = held.get(card_co, [])
            for spec in cards:
                if spec.plan["pay_account"] != main.asset_key or spec.detail["card_type"] != "02":
                    continue
                for a in approvals[spec.asset_key]:
                    flows.append(
                        (
                            a["approved_dtime"],
                            "03",
                            "체크카드",
                            -a["approved_amt"],
                            f"체크 {a['merchant_name']}",
                        )
                    )
                    if a["status"] == "02":
                        flows.append(
                            (
                                a["trans_dtime"],
                                "04",
                                "체크카드",
                                a["approved_amt"],
                                f"체크취소 {a['merchant_name']}",
                            )
                        )
            if any(s.plan["pay_account"] == main.asset_key for s in cards):
                company = "우리카드" if card_co == "woori-card" else "비씨카드"
                for bill in self._card_bills(person, card_co, held, approvals):
                    due = bill["paid_out_date"]
                    if due <= f"{self.as_of:%Y%m%d}":
                        flows.append(
                            (due + "070000", "03", "카드대금", -bill["charge_amt"], f"{company} 결제대금")
                        )
        if "kt" in held:
            months, _ = self._telecom(person, held)
            for spec in held["kt"]:
                method, _, key = spec.plan["autopay"]
                if method == "account" and key == main.asset_key:
                    for _m, _c, charge_date, paid, _pm in months[spec.asset_key]:
                        if paid:
                            flows.append((charge_date + "060000", "03", "자동이체", -paid, "KT 통신요금"))

    def _loan(
        self,
        person: Person,
        spec: AssetSpec,
        main: AssetSpec | None,
        out: History,
        flows: dict[str, list[tuple[str, str, str, int, str]]],
    ) -> None:
        principal, months, rate = spec.plan["principal"], spec.plan["months"], spec.plan["rate"]
        monthly_rate = rate / 1200
        payment = round(principal * monthly_rate / (1 - (1 + monthly_rate) ** -months))
        balance = principal
        rows: list[tuple[Any, ...]] = [
            (
                _dtime(spec.opened, 10, 0, 0),
                f"{spec.asset_key[-6:]}000000",
                "01",
                principal,
                balance,
                principal,
                0,
                f"{rate:.3f}",
                f"{spec.opened:%Y%m%d}",
                f"{spec.opened:%Y%m%d}",
            )
        ]
        previous = spec.opened
        if main is not None:
            flows[main.asset_key].append(
                (_dtime(spec.opened, 10, 0, 0), "04", "대출입금", principal, spec.detail["prod_name"])
            )
        for n, (year, month) in enumerate(self._months(spec.opened)[1:], 1):
            due = _clamp_day(year, month, int(spec.detail["repay_date"]))
            if due > self.as_of or balance <= 0:
                break
            interest = round(balance * monthly_rate)
            repaid = min(balance, payment - interest)
            balance -= repaid
            rows.append(
                (
                    _dtime(due, 9, 0, 0),
                    f"{spec.asset_key[-6:]}{n:06d}",
                    "02",
                    repaid + interest,
                    balance,
                    repaid,
                    interest,
                    f"{rate:.3f}",
                    f"{previous:%Y%m%d}",
                    f"{due - timedelta(days=1):%Y%m%d}",
                )
            )
            if main is not None:
                flows[main.asset_key].append(
                    (_dtime(due, 9, 0, 0), "03", "대출상환", -(repaid + interest), "대출 원리금")
                )
            previous = due
        out.loan_tx[spec.asset_key] = rows
        out.balances[spec.asset_key] = balance


def _add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def _opening_deposit(rows: list[tuple[str, str, str, int, str]], rng: random.Random) -> int:
    """The smallest opening deposit (plus a cushion) that keeps the running balance at or above zero."""
    running, lowest = 0, 0
    for row in rows:
        running += row[3]
        lowest = min(lowest, running)
    return -lowest + rng.randrange(1, 50) * 10_000
