"""The MyData service — the alliance's licensed operator (마이데이터사업자).

Transmission requests (전송요구) as append-only consent events; linking every chosen member with
one passkey signature (integrated authentication through the alliance CA, then 통합인증-002 to
each holder in parallel); a token vault sealed at rest; a collection engine over the standard's
information APIs; and one picture of a person's bank, card and telecom data.

Mounting: ``app.include_router(router)`` and ``app.include_router(api)``; ``app.state.mydata``
(``build_mydata``) with the operator's service credentials from ``ensure_credentials`` at
start-up (other processes: ``load_credentials``); ``run_schedule`` in the lifespan for scheduled
transmission; the identity provider for ``signed_in_person``.
"""

from samgak.mydata.collect import CollectReport, collect, collect_many, links_by_member
from samgak.mydata.consent import (
    ConsentError,
    Receipt,
    Request,
    complete_link,
    consents_of,
    request_link,
    withdraw,
)
from samgak.mydata.endpoints import api, router
from samgak.mydata.operator import ensure_credentials, load_credentials
from samgak.mydata.portfolio import Portfolio, portfolio
from samgak.mydata.runtime import INDUSTRY_SCOPES, Mydata, build_mydata
from samgak.mydata.schedule import run_schedule, sweep

__all__ = [
    "INDUSTRY_SCOPES",
    "CollectReport",
    "ConsentError",
    "Mydata",
    "Portfolio",
    "Receipt",
    "Request",
    "api",
    "build_mydata",
    "collect",
    "collect_many",
    "complete_link",
    "consents_of",
    "ensure_credentials",
    "links_by_member",
    "load_credentials",
    "portfolio",
    "request_link",
    "router",
    "run_schedule",
    "sweep",
    "withdraw",
]
