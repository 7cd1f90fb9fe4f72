"""All SQL of the directory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from samgak.directory.models import (
    DirectoryOrg,
    DirectoryRelyingParty,
    DirectoryService,
    DirectorySupportClient,
)


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @classmethod
    def from_session(cls, session: AsyncSession) -> Repository:
        return cls(session)

    async def add(
        self,
        row: DirectoryOrg | DirectoryService | DirectorySupportClient | DirectoryRelyingParty,
    ) -> None:
        self.session.add(row)
        await self.session.flush()

    # -- orgs

    async def get_org(self, org_code: str) -> DirectoryOrg | None:
        return await self.session.get(DirectoryOrg, org_code)

    async def orgs_changed_since(self, since: datetime | None) -> Sequence[DirectoryOrg]:
        query = select(DirectoryOrg).order_by(DirectoryOrg.org_code)
        if since is not None:
            query = query.where(DirectoryOrg.modified_at > since)
        return (await self.session.scalars(query)).all()

    async def live_orgs_of_type(self, org_type: str) -> Sequence[DirectoryOrg]:
        query = (
            select(DirectoryOrg)
            .where(DirectoryOrg.org_type == org_type, DirectoryOrg.op_type != "D")
            .order_by(DirectoryOrg.org_code)
        )
        return (await self.session.scalars(query)).all()

    # -- services

    async def get_service(self, client_id: str) -> DirectoryService | None:
        query = select(DirectoryService).where(DirectoryService.client_id == client_id)
        return await self.session.scalar(query)

    async def get_service_by_name(self, org_code: str, service_name: str) -> DirectoryService | None:
        query = select(DirectoryService).where(
            DirectoryService.org_code == org_code, DirectoryService.service_name == service_name
        )
        return await self.session.scalar(query)

    async def services_changed_since(
        self, since: datetime | None, org_code: str | None = None
    ) -> Sequence[DirectoryService]:
        query = select(DirectoryService).order_by(DirectoryService.org_code, DirectoryService.service_name)
        if since is not None:
            query = query.where(DirectoryService.modified_at > since)
        if org_code is not None:
            query = query.where(DirectoryService.org_code == org_code)
        return (await self.session.scalars(query)).all()

    # -- support clients and relying parties

    async def get_support_client(self, client_id: str) -> DirectorySupportClient | None:
        return await self.session.get(DirectorySupportClient, client_id)

    async def delete_support_clients(self, org_code: str) -> None:
        await self.session.execute(
            delete(DirectorySupportClient).where(DirectorySupportClient.org_code == org_code)
        )

    async def get_relying_party(self, client_id: str) -> DirectoryRelyingParty | None:
        return await self.session.get(DirectoryRelyingParty, client_id)
