"""Public information pages, and the landing pages of roles whose domain pages come later."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from server.access import public
from server.i18n import lazy_gettext
from server.settings import PROJECT_DIR
from server.templating import render

HOME_NOTICES = {"uitgelogd": lazy_gettext("U bent uitgelogd.")}


@public
async def home(request: Request) -> Response:
    notice = HOME_NOTICES.get(request.query_params.get("melding", ""))
    return render(request, "pages/home.html", {"notice": notice})


@public
async def threatened(request: Request) -> Response:
    return render(request, "pages/threatened.html")


@public
async def accessibility(request: Request) -> Response:
    return render(request, "pages/accessibility.html")


@public
async def privacy(request: Request) -> Response:
    return render(request, "pages/privacy.html")


@public
async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico on their own, whatever the page's <link rel="icon"> says."""
    return FileResponse(
        PROJECT_DIR / "static" / "favicon.ico",
        media_type="image/vnd.microsoft.icon",
        headers={"Cache-Control": "public, max-age=604800"},
    )


routes = [
    Route("/", home, methods=["GET"]),
    Route("/bedreigd", threatened, methods=["GET"]),
    Route("/toegankelijkheid", accessibility, methods=["GET"]),
    Route("/privacy", privacy, methods=["GET"]),
    Route("/favicon.ico", favicon, methods=["GET"]),
]
