"""Browser tests: Debian's Chromium driven by Playwright against the live server (tests/conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from samgak.institution.core.synthetic import SyntheticAlliance
from samgak.kit.timeutil import today_kst
from tests.conftest import LIVE_CUSTOMERS, LIVE_SEED

CHROMIUM = "/usr/bin/chromium"
CUSTOMERS = LIVE_CUSTOMERS


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        pytest.skip("browser tests need Debian's chromium (apt-get install chromium); .ci/run installs it")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_alliance() -> SyntheticAlliance:
    return SyntheticAlliance(LIVE_SEED, today_kst(), 5)
