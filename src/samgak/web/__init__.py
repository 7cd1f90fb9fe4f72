"""Server-rendered pages (Korean first): the demo's start page and two member apps (SSO demo) and
the demo shop of a network merchant (MyPayment)."""

from samgak.web.endpoints import router
from samgak.web.member_apps import MemberApp, ProviderClient, demo_apps
from samgak.web.member_apps import router as member_apps_router
from samgak.web.shop import Shop
from samgak.web.shop import router as shop_router

__all__ = ["MemberApp", "ProviderClient", "Shop", "demo_apps", "member_apps_router", "router", "shop_router"]
