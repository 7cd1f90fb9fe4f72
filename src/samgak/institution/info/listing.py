"""The asset lists of every industry — 은행-001, 카드-001, 통신-001 — in one implementation.

Standard 2.5/2.6: ``search_timestamp`` answers "no change" with an empty list when neither the
customer's products nor the consent changed since; ``limit`` is optional (the 2021 revision had
no paging here); ``search_timestamp`` comes only with the first page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from samgak.institution.info.base import Call
from samgak.institution.info.paging import cut, with_next_page
from samgak.institution.info.params import cursor_of, limit_of, now_timestamp, search_timestamp_of, unchanged
from samgak.institution.info.repository import InfoRepository
from samgak.institution.wire import OK, as_text, respond
from samgak.kit.timeutil import coerce_datetime, format_dtime


@dataclass(frozen=True, slots=True)
class ListedAsset:
    kind: str
    key: str
    seqno: str | None
    status: str
    detail: dict[str, Any]
    consented: bool


async def asset_list(
    call: Call,
    *,
    kinds: tuple[str, str],
    name: str,
    item: Callable[[ListedAsset], dict[str, Any]],
    with_reg_date: bool = False,
) -> Response:
    """``{name}_cnt`` and ``{name}_list`` of the customer's open products of ``kinds``, read
    from the query parameters ``org_code``, ``search_timestamp``, ``next_page`` and ``limit``."""
    call.check_org(call.arg("org_code"))
    since = search_timestamp_of(call.arg("search_timestamp"))
    next_page = call.arg("next_page")
    size = limit_of(call.arg("limit"), optional=True)
    after = cursor_of(next_page) or ("", "")
    grant = await call.customer()
    repo = InfoRepository(call.reader)
    modified, reg_date, consent_at = await repo.list_modified(grant.customer_id, grant.consent_id)
    body: dict[str, Any] = dict(OK)
    if next_page is None:
        body["search_timestamp"] = now_timestamp()
    if with_reg_date:
        body["reg_date"] = reg_date
    moment = coerce_datetime(consent_at)
    if next_page is None and unchanged(since, max(modified, format_dtime(moment) if moment else "0")):
        return respond(
            body | {"search_timestamp": since, f"{name}_cnt": "0", f"{name}_list": []}, call.tran_id
        )
    rows, cursor = cut(
        await repo.asset_list(
            customer_id=grant.customer_id,
            consent_id=grant.consent_id,
            kinds=kinds,
            after=(after[0], after[1]),
            limit=size,
        ),
        size,
        lambda r: (r[5], r[2]),
    )
    listed = [
        as_text(
            item(
                ListedAsset(
                    kind,
                    key,
                    seqno,
                    status,
                    json.loads(detail) if isinstance(detail, str) else detail,
                    bool(consented),
                )
            )
        )
        for _id, kind, key, seqno, status, _sort, detail, consented in rows
    ]
    body |= {f"{name}_cnt": str(len(listed)), f"{name}_list": listed}
    return respond(with_next_page(body, cursor), call.tran_id)
