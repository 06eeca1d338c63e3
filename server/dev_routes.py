"""The development mail page: without SMTP, mail stays in the outbox and is read here.

Mounted only when WEERBAAR_ENV is development and WEERBAAR_SMTP_URL is unset (`Settings.dev_mail_page`).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.access import public
from server.errors import NotFound
from server.mail import OutboxMessage
from server.templating import render

LINK_PATTERN = re.compile(r"https?://\S+")


@public
async def mail_list(request: Request) -> Response:
    return render(request, "dev/mail_list.html", {"messages": await OutboxMessage.all().limit(100)})


@public
async def mail_detail(request: Request) -> Response:
    raw = request.path_params["message_id"]
    message = await OutboxMessage.get_or_none(id=int(raw)) if raw.isdigit() and len(raw) < 18 else None
    if message is None:
        raise NotFound()
    return render(
        request,
        "dev/mail_detail.html",
        {"message": message, "links": LINK_PATTERN.findall(message.body_text)},
    )


routes = [
    Route("/dev/mail", mail_list, methods=["GET"]),
    Route("/dev/mail/{message_id}", mail_detail, methods=["GET"]),
]
