"""Server-rendered pages (Korean first). For now: the demo's start page."""

from samgak.web.endpoints import router

__all__ = ["router"]
