"""The provider's runtime: its issuer identifier and its replay caches."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from samgak.config import Settings
from samgak.identity.dpop import ReplayCache


@dataclass
class Provider:
    issuer: str
    replay: ReplayCache = field(default_factory=ReplayCache)

    def url(self, path: str) -> str:
        return f"{self.issuer}{path}"


def build_provider(settings: Settings) -> Provider:
    """The issuer is the platform's public base URL plus ``/oidc`` (FAPI 2.0: one exact string)."""
    return Provider(issuer=f"{settings.public_base_url}/oidc")


def get_provider(request: Request) -> Provider:
    provider: Provider = request.app.state.identity
    return provider
