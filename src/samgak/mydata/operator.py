"""The operator's service credentials at the holders, shared by every MyData process.

The web process registers the service in the directory on first start and keeps the secret
sealed in ``mydata_operator``; later starts, the collector CLI and workers reuse it (a token a
holder issued is bound to the client that linked, so every process must call as that client).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from samgak import directory
from samgak.kit.timeutil import utcnow
from samgak.mydata.models import MydataOperator
from samgak.mydata.runtime import INDUSTRY_SCOPES, Mydata


async def ensure_credentials(session: AsyncSession, mydata: Mydata) -> None:
    """Reuse the stored credentials while the directory accepts them; otherwise register or rotate
    and store the new secret."""
    settings = mydata.settings
    stored = await session.get(MydataOperator, settings.mydata.service_name)
    kept = (stored.client_id, mydata.sealer.open(stored.secret_sealed)) if stored is not None else None
    client_id, secret = await directory.kept_service_credentials(
        session,
        directory.ServiceCreate(
            org_code=directory.OPERATOR_ORG_CODE,
            service_name=settings.mydata.service_name,
            redirect_uris=[f"{settings.public_base_url}/mydata/callback"],
            scope=" ".join(s for scopes in INDUSTRY_SCOPES.values() for s in scopes),
        ),
        kept,
    )
    if (client_id, secret) != kept:
        row = stored or MydataOperator(service_name=settings.mydata.service_name)
        row.client_id, row.secret_sealed, row.issued_at = client_id, mydata.sealer.seal(secret), utcnow()
        session.add(row)
    mydata.set_credentials(client_id, secret)


async def load_credentials(session: AsyncSession, mydata: Mydata) -> bool:
    """The stored credentials (what a collector or worker uses); False when the service was never
    started."""
    stored = await session.get(MydataOperator, mydata.settings.mydata.service_name)
    if stored is None:
        return False
    mydata.set_credentials(stored.client_id, mydata.sealer.open(stored.secret_sealed))
    return True
