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

from samgak.mydata.collect import (
    CollectReport,
    RunProgress,
    close_run,
    collect,
    open_or_start_run,
    run_progress,
    start_run,
    work_run,
)
from samgak.mydata.consent import (
    ConsentError,
    Receipt,
    Request,
    complete_link,
    consents_of,
    request_link,
    withdraw,
)
from samgak.mydata.credit import CREDIT_PURPOSE, CreditHistory, credit_history
from samgak.mydata.endpoints import api, router
from samgak.mydata.facts import MonthFacts, PaidFrom, month_facts, month_facts_of
from samgak.mydata.operator import ensure_credentials, load_credentials
from samgak.mydata.portfolio import PayingAccount, Portfolio, paying_accounts, portfolio
from samgak.mydata.runtime import INDUSTRY_SCOPES, Mydata, build_mydata
from samgak.mydata.schedule import run_schedule, sweep
from samgak.mydata.workers import JobStream, publish_run, work_stream

__all__ = [
    "CREDIT_PURPOSE",
    "INDUSTRY_SCOPES",
    "CollectReport",
    "ConsentError",
    "CreditHistory",
    "JobStream",
    "MonthFacts",
    "Mydata",
    "PaidFrom",
    "PayingAccount",
    "Portfolio",
    "Receipt",
    "Request",
    "RunProgress",
    "api",
    "build_mydata",
    "close_run",
    "collect",
    "complete_link",
    "consents_of",
    "credit_history",
    "ensure_credentials",
    "load_credentials",
    "month_facts",
    "month_facts_of",
    "open_or_start_run",
    "paying_accounts",
    "portfolio",
    "publish_run",
    "request_link",
    "router",
    "run_progress",
    "run_schedule",
    "start_run",
    "sweep",
    "withdraw",
    "work_run",
    "work_stream",
]
