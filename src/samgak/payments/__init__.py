"""MyPayment (지급지시전달업): pay any merchant of the card network from a bank account.

Merchants onboarded with API keys; payment requests (RCVD) the customer approves at a checkout
page with a passkey step-up (ACTC), withdrawn at their bank exactly once (ACSP → ACSC, or RJCT),
captured in the ledger; refunds, daily settlement with statements, reconciliation with the
banks; signed webhooks from an outbox and a polling API on ``/api/payments/v1``.

Mounting: ``app.state.payments = build_payments(settings)``; ``ensure_credentials`` and
``open_accounts`` at start-up; ``app.include_router(api)`` and ``app.include_router(pages)``;
``app.add_exception_handler(PaymentsError, payments_error_handler)``; ``run_delivery`` and
``run_completion`` in the lifespan.
"""

from samgak.payments.actions import settle
from samgak.payments.completion import resume, run_completion
from samgak.payments.endpoints import api
from samgak.payments.errors import PaymentsError, payments_error_handler
from samgak.payments.pages import router as pages
from samgak.payments.runtime import Payments, build_payments, ensure_credentials, open_accounts, sealer_of
from samgak.payments.service import MerchantCreate, onboard, valid_business_no
from samgak.payments.settlement import Reconciliation, reconcile
from samgak.payments.webhooks import run_delivery, verify_signature

__all__ = [
    "MerchantCreate",
    "Payments",
    "PaymentsError",
    "Reconciliation",
    "api",
    "build_payments",
    "ensure_credentials",
    "onboard",
    "open_accounts",
    "pages",
    "payments_error_handler",
    "reconcile",
    "resume",
    "run_completion",
    "run_delivery",
    "sealer_of",
    "settle",
    "valid_business_no",
    "verify_signature",
]
