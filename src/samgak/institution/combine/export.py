"""A member's pseudonymized export, and its re-identification of its own customers for a joint
campaign (가명정보 결합 절차, reference §6, stages 2 and 7).

The export holds, per customer, the facts its data spec chose and a *join key*: HMAC-SHA256 of
the customer's CI under a key only the combination agency holds. The member never sees that key:
it sends the SHA-256 digest of each CI (never the CI) to the agency, which keys the digests. The
file is Parquet, rows in join-key order (not the member's customer order), with a manifest (what
each column is, the hierarchies the review may use, the file's SHA-256), dropped atomically into
the agency's inbox. The member keeps a *key map* (join key → its customer id) on its own side:
that is how, and only how, it can later re-identify its own customers in an approved campaign
audience, which the agency leaves in the member's outbox.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select

from samgak.institution.combine.agency_client import Agency
from samgak.institution.combine.facts import FACTS, Context, as_of
from samgak.institution.combine.spec import DataSpec, SpecError
from samgak.institution.models import CoreCustomer
from samgak.institution.state import Institution
from samgak.kit.crypto import file_digest
from samgak.kit.timeutil import KST

Progress = Callable[[int], None]


def inbox(institution: Institution) -> Path:
    return Path(institution.settings.analytics.data_dir) / "inbox"


def outbox(institution: Institution) -> Path:
    return Path(institution.settings.analytics.data_dir) / "outbox" / institution.org_code


def key_maps(institution: Institution) -> Path:
    return Path(institution.settings.institution.combine_dir.format(slug=institution.member.slug))


async def export(
    institution: Institution, spec: DataSpec, agency: Agency, *, progress: Progress | None = None
) -> dict[str, Any]:
    """Write one pseudonymized export into the agency's inbox; its manifest."""
    if spec.org_code != institution.org_code:
        raise SpecError(f"the spec is {spec.org_code}'s data, not {institution.org_code}'s")
    wrong = [a.name for a in spec.attributes if institution.industry not in FACTS[a.fact].industries]
    if wrong:
        raise SpecError(f"{institution.member.org_name} holds no {', '.join(wrong)}")
    async with institution.db.read_sessions() as session:
        customers = list((await session.execute(select(CoreCustomer.id, CoreCustomer.ci_sealed))).all())
        day = await as_of(session)
    if any(FACTS[a.fact].history for a in spec.attributes):
        for customer_id, _ in customers:  # the read model is filled on demand (SyntheticCore)
            async with institution.db.unit_of_work() as session:
                await institution.core.ensure_history(session, customer_id)
            if progress:
                progress(1)
    ids = [customer_id for customer_id, _ in customers]
    async with institution.db.read_sessions() as session:
        ctx = Context(session, institution.core, ids, day)
        values = {a.name: await FACTS[a.fact].compute(ctx) for a in spec.attributes}
        cis = [await institution.core.customer_ci(session, customer_id) for customer_id in ids]
    key_id, join_keys = await agency.join_keys([hashlib.sha256(ci.encode()).hexdigest() for ci in cis])
    order = sorted(range(len(ids)), key=join_keys.__getitem__)
    created = datetime.now(UTC)
    export_id = (
        f"{institution.org_code}-{spec.name}-{created.astimezone(KST):%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
    )
    columns: dict[str, list[Any]] = {"join_key": [join_keys[i] for i in order]}
    for attribute in spec.attributes:
        found = values[attribute.name]
        columns[attribute.name] = [found.get(ids[i]) for i in order]
    staging = inbox(institution) / f".{export_id}"
    staging.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), staging / "data.parquet")
    manifest = {
        "export_id": export_id,
        "org_code": institution.org_code,
        "org_name": institution.member.org_name,
        "spec": spec.name,
        "purpose": spec.purpose,
        "created_at": created.isoformat(),
        "as_of": day.isoformat(),
        "rows": len(ids),
        "key_id": key_id,
        "sha256": file_digest(staging / "data.parquet"),
        "columns": [
            {
                "name": a.name,
                "role": a.role,
                "type": "int" if isinstance(next(iter(values[a.name].values()), ""), int) else "str",
                "hierarchy": a.hierarchy,
            }
            for a in spec.attributes
        ],
    }
    (staging / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    private = key_maps(institution)
    private.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table({"join_key": columns["join_key"], "customer_id": [ids[i] for i in order]}),
        private / f"{export_id}.keymap.parquet",
    )
    os.replace(staging, inbox(institution) / export_id)  # the agency sees the export whole or not at all
    return manifest


def exports(institution: Institution) -> list[dict[str, Any]]:
    """This member's exports still in the agency's inbox, newest first."""
    found = []
    for manifest in inbox(institution).glob(f"{institution.org_code}-*/manifest.json"):
        found.append(json.loads(manifest.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m["created_at"], reverse=True)


def requests(institution: Institution) -> list[dict[str, Any]]:
    """Campaign audiences the agency left for this member: pending and handed over."""
    found = [json.loads(p.read_text(encoding="utf-8")) for p in outbox(institution).glob("*.json")]
    return sorted(found, key=lambda r: r["created_at"], reverse=True)


async def hand_over(institution: Institution, agency: Agency, request_id: str) -> int:
    """Re-identify this member's customers in an audience request and deliver them to the
    campaign (idempotent: the campaign keeps each customer once per request)."""
    path = outbox(institution) / f"{request_id}.json"
    if not request_id.isalnum() or not path.is_file():
        raise SpecError(f"no audience request {request_id!r}")
    request = json.loads(path.read_text(encoding="utf-8"))
    keymap = pq.read_table(key_maps(institution) / f"{request['export_id']}.keymap.parquet").to_pydict()
    wanted = set(request["join_keys"])
    customer_ids = [c for k, c in zip(keymap["join_key"], keymap["customer_id"], strict=True) if k in wanted]
    async with institution.db.read_sessions() as session:
        cis = [await institution.core.customer_ci(session, customer_id) for customer_id in customer_ids]
    accepted = await agency.hand_over(request["campaign_id"], request_id, cis)
    request.update(handed_over=len(cis), accepted=accepted, handed_at=datetime.now(UTC).isoformat())
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps(request, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(staging, path)
    return accepted
