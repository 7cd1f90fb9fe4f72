"""Analytics: privacy-safe combination and release review (issue #7), and scoring (issue #8).

The combination agency (:mod:`~samgak.analytics.agency`) keys members' CI digests, links their
pseudonymized exports and numbers the linked records; the release review
(:mod:`~samgak.analytics.review`, on :mod:`~samgak.analytics.anonymity`) generalizes them to the
least-loss node meeting k/ℓ/t and records a reviewer's decision; segments on approved releases
(:mod:`~samgak.analytics.segments`) become joint campaigns at offers. Ibis on DuckDB or Spark
(:mod:`~samgak.analytics.engines`).

Mounting: ``app.include_router(api)``, ``app.include_router(router)`` and
``app.add_exception_handler(AnalyticsError, analytics_error_handler)``; ``app.state.staff_key``.
"""

from samgak.analytics.agency import combine, exports, link
from samgak.analytics.endpoints import analytics_error_handler, api, router, scoring_api
from samgak.analytics.errors import AnalyticsError
from samgak.analytics.review import Criteria, decide, review
from samgak.analytics.scoring.service import Decision, prescreen

__all__ = [
    "AnalyticsError",
    "Criteria",
    "Decision",
    "analytics_error_handler",
    "api",
    "combine",
    "decide",
    "exports",
    "link",
    "prescreen",
    "review",
    "router",
    "scoring_api",
]
