"""Every action the code writes to the audit log has a Dutch label on the audit page."""

from __future__ import annotations

import ast
import re
from datetime import date

import httpx
from tortoise import Tortoise

from bookings import day_rates
from feedback.models import FeedbackForm, SessionFeedback
from server.audit import record
from server.models import AuditEntry, Role
from server.settings import PROJECT_DIR
from tests.bookings.factories import make_booking
from tests.factories import make_user, sign_in

PACKAGES = ("server", "bookings", "feedback", "invoicing", "reporting")


def recorded_actions() -> set[str]:
    actions: set[str] = set()
    for package in PACKAGES:
        for path in (PROJECT_DIR / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call) or len(node.args) < 2:
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                if name != "record":
                    continue
                action = node.args[1]
                options = [action.body, action.orelse] if isinstance(action, ast.IfExp) else [action]
                actions |= {
                    o.value for o in options if isinstance(o, ast.Constant) and isinstance(o.value, str)
                }
    return actions


def test_every_audit_action_has_a_label() -> None:
    labels = (PROJECT_DIR / "templates" / "admin" / "_audit_labels.html").read_text()
    known = set(re.findall(r'"([a-z_]+)": _\(', labels))
    actions = recorded_actions()
    assert len(actions) > 30
    assert not actions - known, f"add labels to templates/admin/_audit_labels.html: {sorted(actions - known)}"


def audit_cells(page: str) -> list[str]:
    """The text of the action and object cells (3rd and 4th column) of the audit table."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells: list[str] = []
    for row in body.split("<tr>")[1:]:
        columns = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
        cells += [re.sub(r"<[^>]+>", "", c) for c in columns[2:4]]
    return cells


async def test_the_audit_page_shows_no_raw_code_for_any_action_or_object(client: httpx.AsyncClient) -> None:
    """Every recorded action and every kind of object the log can name is shown in Dutch words."""
    coordinator = await make_user(Role.COORDINATOR)
    actions = sorted(recorded_actions())
    object_types = sorted(model.__name__ for app in Tortoise.apps.values() for model in app.values())
    assert "SessionFeedback" in object_types
    for index, action in enumerate(actions):
        object_type = object_types[index % len(object_types)]
        await AuditEntry.create(actor_label="systeem", action=action, object_type=object_type, object_id="1")
    for index, object_type in enumerate(object_types):
        action = actions[index % len(actions)]
        await AuditEntry.create(actor_label="systeem", action=action, object_type=object_type, object_id="1")
    await sign_in(client, coordinator)
    cells: list[str] = []
    for page in range(1, 20):
        response = await client.get("/beheer/audit", params={"pagina": page})
        assert response.status_code == 200
        if "<tbody>" not in response.text:
            break
        cells += audit_cells(response.text)
    assert len(cells) >= 2 * (len(actions) + len(object_types))
    raw = {code for code in [*actions, *object_types] for cell in cells if re.search(rf"\b{code}\b", cell)}
    assert not raw, f"raw codes on the audit page: {sorted(raw)}"


async def test_the_audit_page_names_bookings_feedback_and_invoices(client: httpx.AsyncClient) -> None:
    """Not "SessionFeedback 1" but the booking's reference the feedback belongs to."""
    booking = await make_booking()
    form = await FeedbackForm.create(name="Raadsbrede sessie")
    feedback = await SessionFeedback.create(
        booking=booking,
        form=form,
        code="ABC123",
        opens_at="2030-01-01T18:00:00+00:00",
        closes_at="2030-01-15T18:00:00+00:00",
    )
    for obj in (booking, feedback):
        await record(None, "booking_delivered", obj, "")
    await AuditEntry.create(actor_label="systeem", action="login", object_type="Booking", object_id="999999")
    await sign_in(client, await make_user(Role.COORDINATOR))
    cells = audit_cells((await client.get("/beheer/audit")).text)
    assert f"feedback van boeking {booking.reference}" in cells
    assert f"boeking {booking.reference}" in cells
    assert "boeking 999999" in cells  # gone: the number stays


async def test_audit_summaries_write_euros_and_dutch_dates(fixed_clock: object) -> None:
    trainer = await make_user(Role.TRAINER, name="Tess Trainer")
    await day_rates.set_rate(trainer, 296450, date(2026, 12, 1), actor=trainer)
    entry = await AuditEntry.get(action="day_rate_set")
    assert entry.summary == "Tess Trainer: €\u00a02.964,50 vanaf 1 december 2026"
