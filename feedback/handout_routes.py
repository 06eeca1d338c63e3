"""The handout PDF for a session's feedback link, for the coordinator, the clerk and the trainers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedback import handout
from feedback.policy import FeedbackPolicy
from server.access import requires
from server.downloads import download
from server.models import Role


@requires(Role.COORDINATOR, Role.CLERK, Role.TRAINER)
async def handout_pdf(request: Request) -> Response:
    """NotFound (404) unless the user may see the booking's feedback (see feedback.handout)."""
    settings = request.app.state.settings
    session = await handout.session_for_handout(
        request.state.user, request.path_params["reference"], FeedbackPolicy.from_settings(settings)
    )
    pdf = await handout.handout_pdf(session, settings.base_url)
    return download(pdf, "application/pdf", handout.handout_filename(session), inline=True)


routes = [
    Route("/feedback/sessies/{reference}/uitdeelblad.pdf", handout_pdf, methods=["GET"]),
]
