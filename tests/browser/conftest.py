"""Browser tests: Debian's Chromium driven by Playwright against the live server (tests/conftest.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

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


AUTHENTICATOR = {  # a platform authenticator that verifies the user (CDP's virtual one)
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


async def prove_by_carrier(context: Any, page: Any, base: str, person: Any) -> None:
    """On the alliance's start page: carrier proofing, the code read from KT's demo phone; returns
    once the code is confirmed."""
    await page.fill("#name", person.name)
    await page.fill("#birth_date", f"{person.birth_date:%Y%m%d}")
    await page.fill("#phone", person.phone)
    await page.click("text=인증번호 받기")
    await page.wait_for_url(re.compile(r".*/id/verify/.*"))
    phone = await context.new_page()
    await phone.goto(f"{base}/inst/kt/v1/carrier/demo/phone?phone={person.phone}")
    code = re.search(r"\[(\d{6})\]", await phone.content())
    assert code, await phone.content()
    await phone.close()
    await page.bring_to_front()  # WebAuthn needs the focused page
    await page.fill("#code", code.group(1))
    await page.click("text=확인")


async def enrol_passkey(context: Any, page: Any, base: str) -> tuple[Any, str]:
    """A virtual authenticator and a passkey registered on the account page: (CDP session, the
    authenticator's id)."""
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable", {"enableUI": False})
    added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    await page.goto(f"{base}/id/account")
    await page.click("#passkey-register")
    try:
        await page.wait_for_function(
            "!document.body.innerText.includes('등록된 패스키가 없습니다')", timeout=10_000
        )
    except Exception:
        raise AssertionError(await page.inner_text("#passkey-status")) from None
    return cdp, str(added["authenticatorId"])
