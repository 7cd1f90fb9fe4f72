"""The MyData service's runtime: its HTTP clients of every holder and of the CA, and its keys."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from starlette.requests import Request

from samgak.config import MemberSettings, Settings
from samgak.directory import OPERATOR_ORG_CODE
from samgak.kit.crypto import Sealer, derive_key
from samgak.kit.http import new_sender
from samgak.mydata.ca_client import CaClient
from samgak.mydata.holder_client import HolderClient

INDUSTRY_SCOPES = {
    "bank": ("bank.list", "bank.deposit", "bank.loan"),
    "card": ("card.list", "card.card", "card.bill"),
    "telecom": ("telecom.list", "telecom.mgmt"),
}


@dataclass
class Holder:
    member: MemberSettings
    client: HolderClient


@dataclass
class Mydata:
    settings: Settings
    holders: dict[str, Holder]  # by org code
    ca: CaClient
    sealer: Sealer  # tokens in the vault and holders' asset numbers
    digest_key: bytes  # finds an asset again by its holder's number

    def set_credentials(self, client_id: str, client_secret: str) -> None:
        """The operator's service credentials from the directory (issued at start-up)."""
        for holder in self.holders.values():
            holder.client.client_id, holder.client.client_secret = client_id, client_secret
        self.ca.client_id, self.ca.client_secret = client_id, client_secret

    async def close(self) -> None:
        for holder in self.holders.values():
            await holder.client.http.aclose()
        await self.ca.http.aclose()


def build_mydata(
    settings: Settings, *, ca_url: str, transport: httpx.AsyncBaseTransport | None = None
) -> Mydata:
    master = settings.secret_key.get_secret_value()
    return Mydata(
        settings=settings,
        holders={
            m.org_code: Holder(
                m,
                HolderClient(
                    new_sender(
                        settings.institution_base_url(m),
                        transport=transport,
                        connections=settings.mydata.holder_connections,
                    ),
                    org_code=m.org_code,
                    operator_org=OPERATOR_ORG_CODE,
                    client_id="",
                    client_secret="",
                ),
            )
            for m in settings.members
        },
        ca=CaClient(new_sender(ca_url, transport=transport, connections=4)),
        sealer=Sealer(derive_key(master, "mydata/vault")),
        digest_key=derive_key(master, "mydata/asset-keys"),
    )


def get_mydata(request: Request) -> Mydata:
    mydata: Mydata = request.app.state.mydata
    return mydata
