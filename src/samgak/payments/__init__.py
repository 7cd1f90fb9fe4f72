"""MyPayment (지급지시전달업): pay any merchant of the card network from a bank account.

So far: merchant onboarding with API keys, idempotent POSTs (``x-idempotency-key``) and payment
requests (RCVD) on ``/api/payments/v1``. Mounting: ``app.include_router(api)`` and
``app.add_exception_handler(PaymentsError, payments_error_handler)``.
"""

from samgak.payments.endpoints import api
from samgak.payments.errors import PaymentsError, payments_error_handler
from samgak.payments.service import MerchantCreate, onboard, valid_business_no

__all__ = ["MerchantCreate", "PaymentsError", "api", "onboard", "payments_error_handler", "valid_business_no"]
