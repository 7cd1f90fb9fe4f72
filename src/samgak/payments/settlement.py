"""Merchant settlement and reconciliation with the banks.

**Settlement** — the daily batch (one run per merchant and business day, KST). A run claims, with
one conditional update each, every capture and every done refund of the merchant that no run has
claimed yet (marking them with its id), so nothing is settled twice and nothing committed after
the run is lost: the next run takes it. Its figures: ``gross`` (captured) − ``fees`` −
``refunds`` + ``carried_in`` (a negative balance an earlier run left, or a payout that failed) =
net; a positive net is paid out by a deposit (입금이체) to the merchant's settlement account, a
negative one is carried to the next run. In the ledger the run moves the payout from the
merchant's payable to its settlement account (in transit), and the bank's answer either pays it
out of the clearing account of the merchant's bank or reverses the run's posting (the amount is
payable again and the next run carries it in). The statement lists every
payment and refund of the run (page and CSV).

**Reconciliation** — our instructions of a day against the bank's own list of what we did there
(the transfer API's 대사 list), and each executed instruction against its ledger posting. Every
difference is a line of the report: at the bank but not executed by us, executed by us but not
at the bank, amounts that differ, instructions still unresolved, executions with no posting.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from samgak import ledger
from samgak.kit.db import Database
from samgak.kit.timeutil import KST, utcnow
from samgak.payments.bank_client import BankUnknown, Deposit
from samgak.payments.errors import NotFound
from samgak.payments.instructions import new_order, posting_key, write
from samgak.payments.models import PaymentsInstruction, PaymentsSettlement
from samgak.payments.repository import PaymentsRepository
from samgak.payments.runtime import Payments
from samgak.payments.service import clearing_account, payable_account, settlement_account
from samgak.payments.webhooks import record


def settlement_body(row: PaymentsSettlement) -> dict[str, Any]:
    return {
        "settlement_id": row.id,
        "day": row.day,
        "payments": row.payments,
        "gross": row.gross,
        "fees": row.fees,
        "refunds": row.refunds,
        "carried_in": row.carried_in,
        "payout": row.payout,
        "carried_out": row.carried_out,
        "status": row.status,
        "paid_at": row.paid_at.isoformat() if row.paid_at else None,
    }


async def settlements_of(database: Database, merchant_id: str, limit: int = 60) -> list[dict[str, Any]]:
    async with database.read_sessions() as session:
        rows = await PaymentsRepository(session).settlements_of(merchant_id, limit)
    return [settlement_body(row) for row in rows]


async def settle(database: Database, payments: Payments, day: date) -> list[PaymentsInstruction]:
    """Run the day's settlement for every merchant; the payouts to send (see the module docstring)."""
    async with database.read_sessions() as session:
        merchants = [m.id for m in await PaymentsRepository(session).merchants()]
    payouts = []
    for merchant_id in merchants:
        instruction = await settle_merchant(database, payments, merchant_id, day)
        if instruction is not None:
            payouts.append(instruction)
    return payouts


async def settle_merchant(
    database: Database, payments: Payments, merchant_id: str, day: date
) -> PaymentsInstruction | None:
    """One merchant's run for ``day`` (nothing when it ran already); its payout, if any."""
    label = f"{day:%Y%m%d}"
    async with database.unit_of_work() as session:
        repo = PaymentsRepository(session)
        merchant = await repo.merchant(merchant_id)
        last = await repo.last_settlement(merchant_id)
        if merchant is None or (last is not None and last.day >= label):
            return None
        carried_in = 0 if last is None else last.carried_out + (last.payout if last.status == "failed" else 0)
        settlement_id = f"S{secrets.token_hex(10).upper()}"
        count, gross, fees, refunds = await repo.claim_for_settlement(merchant_id, settlement_id)
        net = gross - fees - refunds + carried_in
        row = PaymentsSettlement(
            id=settlement_id,
            merchant_id=merchant_id,
            day=label,
            payments=count,
            gross=gross,
            fees=fees,
            refunds=refunds,
            carried_in=carried_in,
            payout=max(net, 0),
            carried_out=min(net, 0),
            status="paying" if net > 0 else "nothing",
            created_at=utcnow(),
            paid_at=None,
        )
        await repo.add(row)
        if net <= 0:
            return None
        await ledger.open_account(session, settlement_account(merchant_id), "liability", recording=True)
        legs = (
            ledger.Leg(payable_account(merchant_id), net),
            ledger.Leg(settlement_account(merchant_id), -net),
        )
        await ledger.post(session, ledger.Transfer(f"settle:{settlement_id}", "settlement", legs))
        order = new_order(
            Deposit,
            account_num=payments.sealer.open(merchant.settlement_account_sealed),
            holder_name=merchant.settlement_holder,
            amount=net,
            print_content=f"삼각페이정산 {label[4:]}",
            payer_name="삼각페이",
        )
        return await write(session, payments.sealer, settlement_id, merchant.settlement_org, order)


async def paid_out(session: AsyncSession, payments: Payments, instruction: PaymentsInstruction) -> None:
    repo = PaymentsRepository(session)
    if not await repo.move_settlement(instruction.reference, "paying", status="paid", paid_at=utcnow()):
        return
    row = await session.get(PaymentsSettlement, instruction.reference, populate_existing=True)
    assert row is not None
    legs = (
        ledger.Leg(settlement_account(row.merchant_id), row.payout),
        ledger.Leg(clearing_account(instruction.org_code), -row.payout),
    )
    await ledger.post(session, ledger.Transfer(posting_key(row.id), "payout", legs))
    await record(session, row.merchant_id, "settlement.paid", settlement_body(row))


async def payout_refused(
    session: AsyncSession, payments: Payments, instruction: PaymentsInstruction, bank_code: str | None
) -> None:
    """The payout failed: the run's posting is reversed, so the amount is payable again and the
    next run carries it in."""
    repo = PaymentsRepository(session)
    if not await repo.move_settlement(instruction.reference, "paying", status="failed"):
        return
    row = await session.get(PaymentsSettlement, instruction.reference, populate_existing=True)
    assert row is not None
    await ledger.reverse(
        session, f"settle-back:{row.id}", f"settle:{row.id}", memo=f"payout refused {bank_code}"
    )
    await record(
        session, row.merchant_id, "settlement.failed", settlement_body(row) | {"bank_code": bank_code}
    )


@dataclass(frozen=True, slots=True)
class Statement:
    settlement: PaymentsSettlement
    lines: list[tuple[str, str, str, int, int, int]]  # when (KST), kind, id, amount, fee, net


async def statement(database: Database, merchant_id: str, settlement_id: str) -> Statement:
    async with database.read_sessions() as session:
        repo = PaymentsRepository(session)
        row = await repo.settlement(settlement_id)
        if row is None or row.merchant_id != merchant_id:
            raise NotFound("정산 내역을 찾을 수 없습니다")
        settled, refunds = await repo.settled_items(settlement_id)
    lines = [
        (
            f"{p.captured_at.astimezone(KST):%Y-%m-%d %H:%M:%S}" if p.captured_at else "",
            "결제",
            p.id,
            p.amount,
            p.fee,
            p.amount - p.fee,
        )
        for p in settled
    ] + [
        (
            f"{r.done_at.astimezone(KST):%Y-%m-%d %H:%M:%S}" if r.done_at else "",
            "환불",
            r.id,
            -r.amount,
            0,
            -r.amount,
        )
        for r in refunds
    ]
    return Statement(row, sorted(lines))


def statement_csv(found: Statement) -> str:
    """The statement as CSV (UTF-8 with BOM so spreadsheet programs read the Korean)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["일시", "구분", "거래번호", "금액", "수수료", "정산액"])
    writer.writerows(found.lines)
    row = found.settlement
    writer.writerow([])
    for label, value in (
        ("결제 합계", row.gross),
        ("수수료", -row.fees),
        ("환불", -row.refunds),
        ("이월(전)", row.carried_in),
        ("지급액", row.payout),
        ("이월(후)", row.carried_out),
    ):
        writer.writerow([label, "", "", value, "", ""])
    return "\ufeff" + out.getvalue()


@dataclass
class Reconciliation:
    """What :func:`reconcile` found for one business day; ``ok`` when no line."""

    day: str
    checked: int = 0
    lines: list[tuple[str, str, str, str]] = field(default_factory=list)  # bank, bank_tran_id, what, detail

    @property
    def ok(self) -> bool:
        return not self.lines


async def reconcile(database: Database, payments: Payments, day: date) -> Reconciliation:
    """Our instructions of ``day`` against each bank's list and the ledger (see the module docstring)."""
    label = f"{day:%Y%m%d}"
    report = Reconciliation(label)
    for org_code, bank in payments.banks.items():
        try:
            at_bank = {t.bank_tran_id: t for t in await bank.transfers_of(label)}
        except BankUnknown:
            report.lines.append((org_code, "", "은행 목록 조회 실패", "다시 실행하세요"))
            continue
        async with database.read_sessions() as session:
            ours = await PaymentsRepository(session).instructions_of_day(org_code, label)
            executed = [i for i in ours if i.state == "done"]
            posted = await ledger.posted(session, [posting_key(i.reference) for i in executed])
        report.checked += len(ours)
        for instruction in ours:
            theirs = at_bank.pop(instruction.bank_tran_id, None)
            line = _difference(
                instruction, theirs.amount if theirs else None, theirs.direction if theirs else None
            )
            if (
                line is None
                and instruction.state == "done"
                and posting_key(instruction.reference) not in posted
            ):
                line = "원장 기록 없음"
            if line:
                report.lines.append((org_code, instruction.bank_tran_id, line, instruction.reference))
        for orphan in at_bank.values():
            report.lines.append(
                (org_code, orphan.bank_tran_id, "은행에만 있음", f"{orphan.direction} {orphan.amount:,}원")
            )
    return report


def _difference(instruction: PaymentsInstruction, amount: int | None, direction: str | None) -> str | None:
    if instruction.state in ("sent", "unknown"):
        return "결과 미확정" if amount is None else "결과 미확정 (은행은 처리함)"
    if amount is None:
        return "은행에 없음" if instruction.state == "done" else None
    if instruction.state != "done":
        return "은행은 처리했으나 우리는 거절로 기록"
    if amount != instruction.amount or direction != instruction.direction:
        return f"금액·방향 다름 (우리 {instruction.amount:,}원, 은행 {amount:,}원)"
    return None
