"""The analytics module's one refusal: nothing was changed."""

from __future__ import annotations

from samgak.kit.errors import SamgakError


class AnalyticsError(SamgakError):
    """An expected refusal of the combination agency or the review; the message says what to do."""
