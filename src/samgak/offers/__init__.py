"""Partner products and promotions: rules over consented MyData facts, enrolment, the monthly
benefit run into the ledger and the partner settlement, KT store referrals, joint campaigns
(also on segments of approved releases of combined member data).

Mounting: ``app.include_router(router)``, ``app.include_router(api)`` and
``app.add_exception_handler(OffersError, offers_error_handler)``.
"""

from samgak.offers.campaigns import create as create_campaign
from samgak.offers.endpoints import api, offers_error_handler, router
from samgak.offers.rules import Product
from samgak.offers.service import OffersError, RunReport, catalogue, partner_settlement, run_month

__all__ = [
    "OffersError",
    "Product",
    "RunReport",
    "api",
    "catalogue",
    "create_campaign",
    "offers_error_handler",
    "partner_settlement",
    "router",
    "run_month",
]
