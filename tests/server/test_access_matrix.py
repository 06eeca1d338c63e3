"""The authorisation matrix: every route × anonymous, each role, and a clerk of another organisation.

A route that is not in MATRIX fails `test_every_route_is_in_the_matrix`, so a new route cannot be
added without deciding who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from starlette.routing import Mount, Route

from bookings.contacts_models import Contact
from bookings.models import Booking, Offering, PriceModel, TrainerKind
from bookings.staffing_models import AssignmentRequest, BlockedPeriod, TrainerProfile
from feedback.models import ContactRequest, FeedbackForm, Question, QuestionKind, SessionFeedback
from invoicing.fee_statement_models import FeeStatement
from invoicing.models import Invoice
from server.app import create_app
from server.mail import OutboxMessage
from server.models import ApiToken, Organisation, Role, User
from server.settings import Settings
from server.webhook_models import WebhookDelivery, WebhookEvent, WebhookSubscription
from tests.bookings.factories import make_booking, make_offering
from tests.factories import csrf_token, make_api_token, make_organisation, make_user, sign_in, with_csrf

ACTORS = ("anonymous", "coordinator", "clerk", "other_clerk", "trainer", "finance")
ALLOW, LOGIN, FORBIDDEN, NOT_FOUND = "allow", "login", "403", "404"


def everyone(outcome: str = ALLOW) -> dict[str, str]:
    return dict.fromkeys(ACTORS, outcome)


def only(*actors: str, others: str = FORBIDDEN, **special: str) -> dict[str, str]:
    outcomes = {actor: (ALLOW if actor in actors else others) for actor in ACTORS}
    outcomes["anonymous"] = LOGIN
    outcomes.update(special)
    return outcomes


SIGNED_IN = {**everyone(), "anonymous": LOGIN}
STAFF = only("coordinator")
ORG_VIEW = only("coordinator", "finance", "clerk", other_clerk=NOT_FOUND)
BOOKER = only("coordinator", "clerk", other_clerk=NOT_FOUND)

MATRIX: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/healthz"): everyone(),
    ("GET", "/readyz"): everyone(),
    ("GET", "/metrics"): everyone(),
    ("GET", "/"): everyone(),
    ("GET", "/bedreigd"): everyone(),
    ("GET", "/toegankelijkheid"): everyone(),
    ("GET", "/privacy"): everyone(),
    ("GET", "/favicon.ico"): everyone(),
    ("GET", "/inloggen"): everyone(),
    ("POST", "/inloggen"): everyone(),
    ("GET", "/inloggen/link/{token}"): everyone(),
    ("POST", "/inloggen/link/{token}"): everyone(),
    ("GET", "/inloggen/tweede-factor"): SIGNED_IN,
    ("POST", "/inloggen/tweede-factor"): SIGNED_IN,
    ("POST", "/uitloggen"): everyone(),
    ("POST", "/taal"): everyone(),
    ("GET", "/trainer"): only("trainer"),
    ("GET", "/organisatie"): only("clerk", "other_clerk"),
    ("GET", "/organisaties"): only("coordinator", "finance"),
    ("GET", "/organisaties/{code}"): ORG_VIEW,
    ("POST", "/organisaties/{code}/factuurgegevens"): ORG_VIEW,
    ("POST", "/organisaties/{code}/griffiers"): only("coordinator", "clerk", other_clerk=NOT_FOUND),
    ("GET", "/coordinatie"): STAFF,
    ("POST", "/coordinatie/doel"): STAFF,
    ("GET", "/coordinatie/organisaties"): STAFF,
    ("GET", "/coordinatie/organisaties.csv"): STAFF,
    ("GET", "/coordinatie/rapportage"): only("coordinator", "finance"),
    ("GET", "/coordinatie/rapportage/{period}.pdf"): only("coordinator", "finance"),
    ("GET", "/coordinatie/rapportage/{period}.csv"): only("coordinator", "finance"),
    ("GET", "/beheer/gebruikers"): STAFF,
    ("POST", "/beheer/gebruikers"): STAFF,
    ("POST", "/beheer/gebruikers/{user_id}/deactiveren"): STAFF,
    ("POST", "/beheer/gebruikers/{user_id}/activeren"): STAFF,
    ("POST", "/beheer/gebruikers/{user_id}/rol"): STAFF,
    ("POST", "/beheer/gebruikers/{user_id}/tweede-stap"): STAFF,
    ("GET", "/beheer/gebruikers/{user_id}/gegevens"): STAFF,
    ("GET", "/beheer/gebruikers/{user_id}/wissen"): STAFF,
    ("POST", "/beheer/gebruikers/{user_id}/wissen"): STAFF,
    ("GET", "/beheer/adressen"): STAFF,
    ("POST", "/beheer/adressen/gegevens"): STAFF,
    ("POST", "/beheer/adressen/wissen"): STAFF,
    ("GET", "/beheer/audit"): STAFF,
    ("GET", "/beheer/mail"): STAFF,
    ("POST", "/beheer/mail/{message_id}/opnieuw"): STAFF,
    ("GET", "/beheer/taken"): STAFF,
    ("GET", "/beheer/webhooks"): STAFF,
    ("POST", "/beheer/webhooks"): STAFF,
    ("GET", "/organisatie/webhooks"): only("clerk", "other_clerk"),
    ("POST", "/organisatie/webhooks"): only("clerk", "other_clerk"),
    ("GET", "/webhooks/{subscription_id}"): BOOKER,
    ("POST", "/webhooks/{subscription_id}"): BOOKER,
    ("POST", "/webhooks/{subscription_id}/aanzetten"): BOOKER,
    ("POST", "/webhooks/{subscription_id}/uitzetten"): BOOKER,
    ("POST", "/webhooks/{subscription_id}/nieuw-geheim"): BOOKER,
    ("POST", "/webhooks/{subscription_id}/verwijderen"): BOOKER,
    ("POST", "/webhooks/{subscription_id}/berichten/{delivery_id}/opnieuw"): BOOKER,
    ("GET", "/beheer/api-tokens"): STAFF,
    ("POST", "/beheer/api-tokens/{token_id}/intrekken"): STAFF,
    ("GET", "/api-tokens"): SIGNED_IN,
    ("POST", "/api-tokens"): SIGNED_IN,
    # The world's token is the clerk's: someone else's token does not exist for others.
    ("POST", "/api-tokens/{token_id}/intrekken"): only("coordinator", "clerk", others=NOT_FOUND),
    ("GET", "/organisatie/boekingen"): only("clerk", "other_clerk"),
    ("GET", "/organisaties/{code}/boekingen"): ORG_VIEW,
    ("POST", "/organisaties/{code}/uitzondering"): STAFF,
    ("GET", "/organisaties/{code}/boeken"): BOOKER,
    ("GET", "/organisaties/{code}/boeken/{offering_id}"): BOOKER,
    ("POST", "/organisaties/{code}/boeken/{offering_id}"): BOOKER,
    ("GET", "/organisaties/{code}/boeken/{offering_id}/offerte.pdf"): BOOKER,
    ("GET", "/boekingen/{reference}"): ORG_VIEW,
    ("POST", "/boekingen/{reference}/plannen"): STAFF,
    ("POST", "/boekingen/{reference}/verzetten"): BOOKER,
    ("POST", "/boekingen/{reference}/bevestigen"): STAFF,
    ("POST", "/boekingen/{reference}/gegeven"): STAFF,
    ("POST", "/boekingen/{reference}/afsluiten"): STAFF,
    ("POST", "/boekingen/{reference}/intakeverslag"): STAFF,
    ("POST", "/boekingen/{reference}/inkooporder"): ORG_VIEW,
    ("GET", "/boekingen/{reference}/annuleren"): BOOKER,
    ("POST", "/boekingen/{reference}/annuleren"): BOOKER,
    ("GET", "/boekingen/{reference}/wijzigen"): BOOKER,
    ("POST", "/boekingen/{reference}/wijzigen"): BOOKER,
    ("GET", "/boekingen"): STAFF,
    ("GET", "/aanbod"): STAFF,
    ("GET", "/aanbod/nieuw"): STAFF,
    ("POST", "/aanbod/nieuw"): STAFF,
    ("GET", "/aanbod/{offering_id}"): STAFF,
    ("POST", "/aanbod/{offering_id}"): STAFF,
    ("GET", "/tour"): STAFF,
    ("POST", "/tour/uitnodigen"): STAFF,
    ("GET", "/tour/link/{token}"): everyone(),
    ("POST", "/tour/link/{token}"): everyone(),
    ("POST", "/organisaties/{code}/contactpersonen"): BOOKER,
    ("GET", "/organisaties/{code}/contactpersonen/{person_id}"): BOOKER,
    ("POST", "/organisaties/{code}/contactpersonen/{person_id}"): BOOKER,
    ("POST", "/organisaties/{code}/contactpersonen/{person_id}/verwijderen"): BOOKER,
    ("GET", "/contactpersonen/importeren"): STAFF,
    ("POST", "/contactpersonen/importeren"): STAFF,
    ("GET", "/agenda"): only("coordinator", "clerk", "other_clerk", "trainer"),
    ("POST", "/agenda/vernieuwen"): only("coordinator", "clerk", "other_clerk", "trainer"),
    ("GET", "/agenda/{token}.ics"): everyone(NOT_FOUND),
    ("POST", "/trainer/verzoeken/{request_id}"): only("trainer"),
    ("POST", "/trainer/verzoeken/{request_id}/terugtrekken"): only("trainer"),
    ("GET", "/trainer/sessies/{reference}"): only("trainer"),
    ("GET", "/verzoeken/{token}"): everyone(NOT_FOUND),
    ("POST", "/verzoeken/{token}"): everyone(NOT_FOUND),
    ("GET", "/boekingen/{reference}/trainers"): STAFF,
    ("POST", "/boekingen/{reference}/trainers/vragen"): STAFF,
    ("POST", "/boekingen/{reference}/trainers/automatisch"): STAFF,
    ("POST", "/boekingen/{reference}/trainers/intrekken"): STAFF,
    ("GET", "/trainers"): STAFF,
    ("POST", "/trainers/specialismen"): STAFF,
    ("POST", "/trainers/geblokkeerd/{period_id}/verwijderen"): only(
        "coordinator", "trainer", trainer=NOT_FOUND
    ),
    ("GET", "/trainers/{user_id}"): STAFF,
    ("POST", "/trainers/{user_id}"): STAFF,
    ("POST", "/trainers/{user_id}/geblokkeerd"): STAFF,
    ("GET", "/trainer/beschikbaarheid"): only("trainer"),
    ("POST", "/trainer/beschikbaarheid"): only("trainer"),
    ("POST", "/trainer/geblokkeerd"): only("trainer"),
    ("GET", "/f"): everyone(),
    ("GET", "/f/{code}"): everyone(NOT_FOUND),
    ("POST", "/f/{code}"): everyone(NOT_FOUND),
    ("GET", "/f/{code}/bedankt"): everyone(NOT_FOUND),
    ("GET", "/feedbackformulieren"): STAFF,
    ("POST", "/feedbackformulieren"): STAFF,
    ("GET", "/feedbackformulieren/{form_id}"): STAFF,
    ("POST", "/feedbackformulieren/{form_id}/naam"): STAFF,
    ("POST", "/feedbackformulieren/{form_id}/nieuwe-versie"): STAFF,
    ("POST", "/feedbackformulieren/{form_id}/aanbod"): STAFF,
    ("POST", "/feedbackformulieren/{form_id}/vragen"): STAFF,
    ("POST", "/feedbackformulieren/{form_id}/vragen/{question_id}"): STAFF,
    ("POST", "/feedbackformulieren/{form_id}/vragen/{question_id}/omhoog"): STAFF,
    ("POST", "/feedbackformulieren/{form_id}/vragen/{question_id}/omlaag"): STAFF,
    ("POST", "/feedbackformulieren/{form_id}/vragen/{question_id}/verwijderen"): STAFF,
    ("GET", "/feedback/sessies/{reference}"): only("coordinator", "clerk", "trainer", other_clerk=NOT_FOUND),
    # Below the anonymity threshold (the world's session has no responses) exports are refused: 403.
    ("POST", "/feedback/sessies/{reference}/codes"): only(
        "coordinator", "clerk", "trainer", other_clerk=NOT_FOUND
    ),
    ("POST", "/feedback/sessies/{reference}/open-link"): only("coordinator"),
    ("GET", "/feedback/sessies/{reference}/resultaten.csv"): only(other_clerk=NOT_FOUND),
    ("GET", "/feedback/sessies/{reference}/rapport.pdf"): only(other_clerk=NOT_FOUND),
    ("GET", "/feedback/sessies/{reference}/uitdeelblad.pdf"): only(
        "coordinator", "clerk", "trainer", other_clerk=NOT_FOUND
    ),
    ("GET", "/feedback"): STAFF,
    ("POST", "/feedback/contact/{contact_id}/afgehandeld"): STAFF,
    ("GET", "/feedback/leads"): STAFF,
    ("POST", "/feedback/leads"): STAFF,
    ("GET", "/feedback/export.csv"): STAFF,
    ("GET", "/financien"): only("coordinator", "finance"),
    ("POST", "/financien/concepten"): only("finance"),
    ("GET", "/financien/concepten/uitreiken"): only("finance"),
    ("POST", "/financien/concepten/uitreiken"): only("finance"),
    ("GET", "/financien/instellingen"): only("finance"),
    ("POST", "/financien/instellingen"): only("finance"),
    ("GET", "/financien/facturen/{invoice_id}"): ORG_VIEW,
    ("POST", "/financien/facturen/{invoice_id}/uitgeven"): only("finance"),
    ("POST", "/financien/facturen/{invoice_id}/crediteren"): only("finance"),
    ("POST", "/financien/facturen/{invoice_id}/crediteren/controleren"): only("finance"),
    ("POST", "/financien/facturen/{invoice_id}/opnieuw-factureren"): only("finance"),
    ("GET", "/financien/facturen/{invoice_id}/factuur.pdf"): ORG_VIEW,
    ("GET", "/financien/facturen/{invoice_id}/e-factuur.xml"): ORG_VIEW,
    ("GET", "/organisatie/facturen"): only("clerk", "other_clerk"),
    ("GET", "/organisaties/{code}/facturen"): ORG_VIEW,
    ("GET", "/financien/export.zip"): only("finance"),
    ("GET", "/financien/journaal.csv"): only("finance"),
    ("GET", "/financien/kosten"): only("coordinator", "finance"),
    ("POST", "/financien/facturen/{invoice_id}/versturen"): only("finance"),
    ("POST", "/financien/facturen/{invoice_id}/betaald"): only("finance"),
    ("POST", "/financien/facturen/{invoice_id}/inkooporder-vragen"): only("finance"),
    ("POST", "/financien/facturen/{invoice_id}/regels"): only("finance"),
    ("POST", "/financien/facturen/{invoice_id}/regels/{line_id}"): only("finance"),
    ("POST", "/financien/facturen/{invoice_id}/regels/{line_id}/verwijderen"): only("finance"),
    ("GET", "/trainers/{user_id}/dagtarief"): only("coordinator", "finance"),
    ("POST", "/trainers/{user_id}/dagtarief"): only("coordinator", "finance"),
    ("GET", "/declaraties"): only("coordinator", "finance", "trainer"),
    ("POST", "/declaraties"): only("coordinator", "trainer"),
    ("GET", "/declaraties/betaling.csv"): only("coordinator", "finance"),
    # The statement belongs to another trainer: the world's trainer gets 404, never another's.
    ("GET", "/declaraties/{statement_id}"): only("coordinator", "finance", trainer=NOT_FOUND),
    ("POST", "/declaraties/{statement_id}/reiskosten"): only("coordinator", trainer=NOT_FOUND),
    ("POST", "/declaraties/{statement_id}/indienen"): only("coordinator", trainer=NOT_FOUND),
    ("POST", "/declaraties/{statement_id}/goedkeuren"): only("coordinator"),
    ("POST", "/declaraties/{statement_id}/terugsturen"): only("coordinator"),
    ("GET", "/declaraties/{statement_id}/declaratie.pdf"): only("coordinator", "finance", trainer=NOT_FOUND),
    ("GET", "/declaraties/{statement_id}/declaratie.csv"): only("coordinator", "finance", trainer=NOT_FOUND),
    ("GET", "/financien/nieuwe-factuur"): only("finance"),
    ("POST", "/financien/nieuwe-factuur"): only("finance"),
    ("POST", "/financien/facturen/{invoice_id}/gegevens"): only("finance"),
    ("POST", "/financien/facturen/{invoice_id}/verwijderen"): only("finance"),
    ("GET", "/dev/mail"): everyone(),
    ("GET", "/dev/mail/{message_id}"): everyone(),
}


def app_routes(settings: Settings) -> list[tuple[str, str, Route]]:
    app = create_app(settings)
    found = []
    for route in app.routes:
        if isinstance(route, Mount):
            continue
        assert isinstance(route, Route)
        for method in sorted(route.methods or []):
            if method != "HEAD":
                found.append((method, route.path, route))
    return found


def test_every_route_is_in_the_matrix_and_declares_its_access(settings: Settings) -> None:
    routes = app_routes(settings)
    missing = [(m, p) for m, p, _ in routes if (m, p) not in MATRIX]
    assert not missing, f"routes without an entry in the authorisation matrix: {missing}"
    undeclared = [(m, p) for m, p, r in routes if not hasattr(r.endpoint, "access")]
    assert not undeclared, f"routes without @public/@signed_in/@requires: {undeclared}"
    stale = set(MATRIX) - {(m, p) for m, p, _ in routes}
    assert not stale, f"matrix entries for routes that do not exist: {stale}"


@dataclass
class World:
    organisation: Organisation
    users: dict[str, User]
    target_user: User
    message: OutboxMessage
    booking: Booking
    offering: Offering
    request: AssignmentRequest
    blocked_period: BlockedPeriod
    question: Question
    contact: ContactRequest
    invoice: Invoice
    person: Contact
    statement: FeeStatement
    webhook: WebhookDelivery
    api_token: ApiToken


async def make_world() -> World:
    organisation = await make_organisation(cbs_code="GM0363", name="Amsterdam")
    users = {
        "coordinator": await make_user(Role.COORDINATOR),
        "clerk": await make_user(Role.CLERK, organisation=organisation),
        "other_clerk": await make_user(Role.CLERK),
        "trainer": await make_user(Role.TRAINER),
        "finance": await make_user(Role.FINANCE),
    }
    target_user = await make_user(Role.TRAINER, email="doelwit@example.org")
    message = await OutboxMessage.create(
        to_address="x@example.org",
        subject="s",
        body_text="t",
        body_html="h",
        next_attempt_at="2026-01-01T00:00:00+00:00",
        message_id="<m1@weerbaar>",
        status="failed",
    )
    offering = await make_offering(price_model=PriceModel.PER_SESSION, price_cents=100000)
    booking = await make_booking(organisation=organisation, offering=offering)
    request = await AssignmentRequest.create(
        booking=booking,
        trainer=users["trainer"],
        kind="trainer",
        status="accepted",
        starts_at="2030-01-01T18:00:00+00:00",
        ends_at="2030-01-01T21:00:00+00:00",
    )
    await TrainerProfile.create(user=users["trainer"], kind=TrainerKind.TRAINER)
    await TrainerProfile.create(user=target_user, kind=TrainerKind.TRAINER)
    colleague = await make_user(Role.TRAINER)
    colleague_profile = await TrainerProfile.create(user=colleague, kind=TrainerKind.TRAINER)
    blocked_period = await BlockedPeriod.create(
        profile=colleague_profile, first_day="2030-07-01", last_day="2030-07-14"
    )
    form = await FeedbackForm.create(name="Raadsbrede sessie")
    session = await SessionFeedback.create(
        booking=booking,
        form=form,
        code="ABC123",
        opens_at="2030-01-01T18:00:00+00:00",
        closes_at="2030-01-15T18:00:00+00:00",
    )
    question = await Question.create(
        form=form, position=1, kind=QuestionKind.SCALE, text="Nuttig?", options=["niet", "zeer"]
    )
    contact = await ContactRequest.create(session=session, email="deelnemer@example.org")
    invoice = await Invoice.create(
        organisation=organisation,
        booking=booking,
        status="issued",
        number="2026-0001",
        pdf=b"%PDF",
        ubl=b"<x/>",
    )
    person = await Contact.create(
        organisation=organisation, name="Griffier", function="griffier", email="g@a.nl"
    )
    statement = await FeeStatement.create(trainer=target_user, month="2026-01-01")
    subscription = await WebhookSubscription.create(
        organisation=organisation,
        url="https://planner.example.org/x",
        event_types=["booking.requested"],
        secret="s",
    )
    event = await WebhookEvent.create(
        event_id="e1",
        type="booking.requested",
        subject="WB-1",
        data={},
        occurred_at="2026-01-01T00:00:00+00:00",
    )
    webhook = await WebhookDelivery.create(
        subscription=subscription,
        event=event,
        status="delivered",
        next_attempt_at="2026-01-01T00:00:00+00:00",
    )
    await make_api_token(users["clerk"])
    api_token = await ApiToken.get(user=users["clerk"])
    return World(
        organisation,
        users,
        target_user,
        message,
        booking,
        offering,
        request,
        blocked_period,
        question,
        contact,
        invoice,
        person,
        statement,
        webhook,
        api_token,
    )


def concrete_path(path: str, world: World) -> str:
    return (
        path.replace("{code}", world.organisation.cbs_code)
        .replace("{token}", "onbekend-token")
        .replace("{token_id}", str(world.api_token.id))
        .replace("{user_id}", str(world.target_user.id))
        .replace("{message_id}", str(world.message.id))
        .replace("{reference}", world.booking.reference)
        .replace("{offering_id}", str(world.offering.id))
        .replace("{request_id}", str(world.request.id))
        .replace("{period_id}", str(world.blocked_period.id))
        .replace("{period}", "2026-K3")
        .replace("{contact_id}", str(world.contact.id))
        .replace("{invoice_id}", str(world.invoice.id))
        .replace("{person_id}", str(world.person.id))
        .replace("{statement_id}", str(world.statement.id))
        .replace("{line_id}", "1")
        .replace("{form_id}", str(world.question.form_id))
        .replace("{question_id}", str(world.question.id))
        .replace("{subscription_id}", str(world.webhook.subscription_id))  # type: ignore[attr-defined]
        .replace("{delivery_id}", str(world.webhook.id))
    )


def outcome_of(response: httpx.Response) -> str:
    location = response.headers.get("location", "")
    if response.status_code in (302, 303) and location.split("?")[0] == "/inloggen":
        return LOGIN
    if response.status_code in (403, 404):
        return str(response.status_code)
    assert response.status_code < 500, response.text[:500]
    return ALLOW


@pytest.mark.parametrize("actor", ACTORS)
async def test_each_route_allows_redirects_or_refuses_as_the_matrix_says(
    client: httpx.AsyncClient, settings: Settings, actor: str
) -> None:
    world = await make_world()
    failures = []
    for method, path, _ in app_routes(settings):
        client.cookies.clear()
        with_csrf(client)
        if actor != "anonymous":
            await sign_in(client, world.users[actor])
        url = concrete_path(path, world)
        if method == "GET":
            response = await client.get(url)
        else:
            response = await client.request(method, url, data={"csrf_token": csrf_token(client)})
        expected = MATRIX[(method, path)][actor]
        if outcome_of(response) != expected:
            failures.append(f"{method} {path}: expected {expected}, got {response.status_code}")
    assert not failures, "\n".join(failures)


async def test_every_post_route_refuses_a_forged_csrf_token(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """Checked for an actor the route allows, so the refusal is the CSRF check's and not the role's."""
    world = await make_world()
    for method, path, _ in app_routes(settings):
        if method != "POST":
            continue
        allowed = [a for a in ACTORS if a != "anonymous" and MATRIX[(method, path)][a] == ALLOW]
        client.cookies.clear()
        if allowed:
            await sign_in(client, world.users[allowed[0]])
        else:
            with_csrf(client)
        response = await client.post(concrete_path(path, world), data={"csrf_token": "vervalst"})
        assert response.status_code == 403, f"{path} accepted a forged CSRF token"
        assert "formulier is verlopen" in response.text, path


async def test_staff_without_second_factor_are_sent_to_it(client: httpx.AsyncClient) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    await sign_in(client, coordinator, second_factor_done=False)
    for path in ("/coordinatie", "/beheer/gebruikers", "/organisaties"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/inloggen/tweede-factor"
