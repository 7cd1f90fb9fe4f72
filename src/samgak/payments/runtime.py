"""MyPayment's runtime: its client of every member bank's transfer API and its sealer.

The payment service (삼각페이) is registered in the directory under the joint venture's org code
with the ``transfer`` scope. Its credentials are stored sealed and kept across processes and
restarts — a bank de-duplicates instructions per client, so the server, the completer and the
settlement batch must all call as one client.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from samgak import directory, ledger
from samgak.config import Settings
from samgak.kit.crypto import Sealer, derive_key
from samgak.kit.http import new_sender
from samgak.kit.timeutil import utcnow
from samgak.payments.bank_client import BankClient
from samgak.payments.models import PaymentsCredential
from samgak.payments.service import FEES_ACCOUNT, clearing_account

SERVICE_NAME = "삼각페이"


def sealer_of(settings: Settings) -> Sealer:
    """What payments keep sealed: settlement accounts, payers, webhook secrets, credentials."""
    return Sealer(derive_key(settings.secret_key.get_secret_value(), "payments/secrets"))


@dataclass
class Payments:
    settings: Settings
    banks: dict[str, BankClient]  # by org code
    sealer: Sealer

    @property
    def base_url(self) -> str:
        return self.settings.public_base_url

    def bank(self, org_code: str) -> BankClient:
        return self.banks[org_code]

    async def close(self) -> None:
        for bank in self.banks.values():
            await bank.http.aclose()


def build_payments(settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> Payments:
    return Payments(
        settings=settings,
        banks={
            m.org_code: BankClient(
                new_sender(settings.institution_base_url(m), transport=transport, connections=16),
                org_code=m.org_code,
                client_id="",
                client_secret="",
            )
            for m in settings.members
            if m.industry == "bank"
        },
        sealer=sealer_of(settings),
    )


async def open_accounts(session: AsyncSession, payments: Payments) -> None:
    """The platform's own ledger accounts: a clearing account at each bank, and the fees."""
    for org_code in payments.banks:
        await ledger.open_account(session, clearing_account(org_code), "asset", recording=True)
    await ledger.open_account(session, FEES_ACCOUNT, "revenue", recording=True)


async def ensure_credentials(session: AsyncSession, payments: Payments) -> None:
    """The stored credentials while the directory accepts them; else issued and stored."""
    stored = await session.get(PaymentsCredential, SERVICE_NAME)
    kept = (stored.client_id, payments.sealer.open(stored.secret_sealed)) if stored is not None else None
    client_id, secret = await directory.kept_service_credentials(
        session,
        directory.ServiceCreate(
            org_code=directory.OPERATOR_ORG_CODE,
            service_name=SERVICE_NAME,
            redirect_uris=[f"{payments.settings.public_base_url}/pay"],
            scope="transfer",
        ),
        kept,
    )
    if (client_id, secret) != kept:
        row = stored or PaymentsCredential(service_name=SERVICE_NAME)
        row.client_id, row.secret_sealed, row.issued_at = client_id, payments.sealer.seal(secret), utcnow()
        session.add(row)
    for bank in payments.banks.values():
        bank.client_id, bank.client_secret = client_id, secret
