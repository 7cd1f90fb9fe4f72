"""A merchant onboarded for each test (its own business number, API key)."""

from __future__ import annotations

from typing import Any

import pytest

from samgak.payments import MerchantCreate, onboard, sealer_of
from tests.payments.test_merchant_api import business_no


@pytest.fixture
async def merchant(app: Any) -> tuple[str, str]:
    create = MerchantCreate("삼각상회", business_no(), "5411", "WRBK000020", "1002-123-456789", "홍길동", 250)
    return await onboard(app.state.platform_db, sealer_of(app.state.settings), create)
