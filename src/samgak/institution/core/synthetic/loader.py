"""The seed: customers and products of the synthetic alliance, written to every member's database.

Streams people in chunks (memory stays flat whatever the count), writes each member's share
with bulk inserts on a synchronous connection, and reports progress through a callback so
the CLI can draw a bar. History is not written here: see :mod:`.core`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import create_engine

from samgak.institution.core.synthetic.core import asset_id
from samgak.institution.core.synthetic.generator import MEMBERS, SyntheticAlliance
from samgak.institution.core.synthetic.repository import SeedRepository, asset_row
from samgak.kit.crypto import Sealer, keyed_digest
from samgak.kit.db import sync_url


class MemberKeys:
    """The keys a member's core seals and digests personal data with."""

    def __init__(self, digest_key: bytes, sealer: Sealer) -> None:
        self.digest_key = digest_key
        self.sealer = sealer


def seed_alliance(
    *,
    urls: Mapping[str, str],
    keys: Mapping[str, MemberKeys],
    customers: int,
    seed: int,
    as_of: date,
    years: int,
    chunk: int = 2000,
    progress: Callable[[int], None] = lambda _n: None,
) -> dict[str, int]:
    """Write ``customers`` people's products to each member in ``urls``; customers per member."""
    alliance = SyntheticAlliance(seed, as_of, years)
    engines = {m: create_engine(sync_url(url)) for m, url in urls.items()}
    connections = {m: engine.connect() for m, engine in engines.items()}
    counts = dict.fromkeys(urls, 0)
    try:
        for member, connection in connections.items():
            repo = SeedRepository(connection)
            repo.clear()
            repo.write_meta(
                {
                    "seed": str(seed),
                    "as_of": as_of.isoformat(),
                    "history_years": str(years),
                    "customers": str(customers),
                    "member": member,
                }
            )
            connection.commit()
        for start in range(0, customers, chunk):
            batch: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {m: ([], []) for m in urls}
            for index in range(start, min(start + chunk, customers)):
                person = alliance.person(index)
                for member, specs in alliance.holdings(person).items():
                    if member not in batch:
                        continue
                    member_keys = keys[member]
                    customer_rows, asset_rows = batch[member]
                    customer_rows.append(
                        {
                            "id": index,
                            "ci_digest": keyed_digest(member_keys.digest_key, person.ci),
                            "ci_sealed": member_keys.sealer.seal(person.ci),
                            "name": person.name,
                            "birth_date": f"{person.birth_date:%Y%m%d}",
                            "phone_digest": keyed_digest(member_keys.digest_key, person.phone),
                            "phone_sealed": member_keys.sealer.seal(person.phone),
                            "reg_date": f"{min(s.opened for s in specs):%Y%m%d}",
                            "assets_modified_at": f"{max(s.opened for s in specs):%Y%m%d}000000",
                            "history_ready": False,
                        }
                    )
                    asset_rows.extend(
                        asset_row(asset_id(index, n), index, spec) for n, spec in enumerate(specs)
                    )
            for member, (customer_rows, asset_rows) in batch.items():
                SeedRepository(connections[member]).write(customer_rows, asset_rows)
                connections[member].commit()
                counts[member] += len(customer_rows)
            progress(min(start + chunk, customers) - start)
    finally:
        for connection in connections.values():
            connection.close()
        for engine in engines.values():
            engine.dispose()
    return counts


__all__ = ["MEMBERS", "MemberKeys", "seed_alliance"]
