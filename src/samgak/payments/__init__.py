"""MyPayment (지급지시전달업): pay any merchant of the card network from a bank account.

So far: merchant onboarding with API keys, idempotent POSTs (``x-idempotency-key``), payment
requests (RCVD), signed webhooks from an outbox and the polling API on ``/api/payments/v1``, and
bank instructions exactly once. Mounting: ``app.include_router(api)``,
``app.add_exception_handler(PaymentsError, payments_error_handler)`` and ``run_delivery`` in the
lifespan.
"""

from samgak.payments.endpoints import api
from samgak.payments.errors import PaymentsError, payments_error_handler
from samgak.payments.service import MerchantCreate, onboard, sealer_of, valid_business_no
from samgak.payments.webhooks import run_delivery, verify_signature

__all__ = [
    "MerchantCreate",
    "PaymentsError",
    "api",
    "onboard",
    "payments_error_handler",
    "run_delivery",
    "sealer_of",
    "valid_business_no",
    "verify_signature",
]
