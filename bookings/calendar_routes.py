"""Calendar feed pages: one's own feed address with instructions, renewing it, and the feed itself."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings import calendar, feeds
from server.access import public, requires
from server.i18n import _, lazy_gettext
from server.models import Role
from server.security import read_form
from server.templating import render

FEED_ROLES = (Role.CLERK, Role.TRAINER, Role.COORDINATOR)
NOTICES = {
    "vernieuwd": lazy_gettext(
        "Uw agenda-adres is vernieuwd. Het oude adres werkt niet meer: "
        "vervang het in uw agendaprogramma door het nieuwe."
    ),
}


@requires(*FEED_ROLES)
async def calendar_feed_page(request: Request) -> Response:
    feed = await feeds.feed_for(request.state.user)
    url = feeds.feed_url(request.app.state.settings.base_url, feed)
    return render(
        request,
        "bookings/calendar_feed.html",
        {
            "feed_url": url,
            "webcal_url": "webcal://" + url.split("://", 1)[1],
            "notice": NOTICES.get(request.query_params.get("melding", "")),
        },
    )


@requires(*FEED_ROLES)
async def renew_calendar_feed(request: Request) -> Response:
    await read_form(request)
    await feeds.renew_feed(request.state.user)
    return RedirectResponse("/agenda?melding=vernieuwd", status_code=303)


@public
async def calendar_feed_file(request: Request) -> Response:
    """The feed for calendar programs: the token in the address is the key, so no session is needed."""
    user, bookings = await feeds.bookings_in_feed(request.path_params["token"])
    body = calendar.feed(bookings, name=_("Weerbaar – %(name)s") % {"name": user.name})
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="weerbaar.ics"',
        },
    )


routes = [
    Route("/agenda", calendar_feed_page, methods=["GET"]),
    Route("/agenda/vernieuwen", renew_calendar_feed, methods=["POST"]),
    Route("/agenda/{token}.ics", calendar_feed_file, methods=["GET"]),
]
