"""Server-rendered pages (Korean first): the demo's start page and two member apps (SSO demo)."""

from samgak.web.endpoints import router
from samgak.web.member_apps import MemberApp, ProviderClient, demo_apps
from samgak.web.member_apps import router as member_apps_router

__all__ = ["MemberApp", "ProviderClient", "demo_apps", "member_apps_router", "router"]
