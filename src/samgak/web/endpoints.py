"""The start page: the alliance's members and a few demo customers to sign in with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from samgak import directory
from samgak.kit.db import ReadSession

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@router.get("/")
async def start_page(
    request: Request, session: ReadSession = Depends(directory.get_read_session)
) -> Response:
    settings = request.app.state.settings
    members = await directory.public_orgs(session)
    context: dict[str, Any] = {
        "members": members,
        "demo_customers": getattr(request.app.state, "demo_customers", []),
        "demo_merchant": getattr(request.app.state, "demo_merchant", None)
        if settings.env != "prod"
        else None,
        "staff_key": request.app.state.staff_key if settings.env != "prod" else None,
        "demo_pin": settings.institution.demo_pin,
        "industry_names": {"bank": "은행", "card": "카드", "telecom": "통신"},
    }
    return templates.TemplateResponse(request, "start.html", context)
