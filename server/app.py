"""Application wiring: routes per domain, middleware, error pages, and the lifespan."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp
from tortoise import Tortoise
from tortoise.exceptions import OperationalError, ValidationError

from bookings import admin_routes as booking_admin_routes
from bookings import api_changes as booking_api_changes
from bookings import api_routes as booking_api
from bookings import (
    assignment,
    booking_routes,
    contacts,
    contacts_routes,
    day_rate_routes,
    outreach,
    outreach_routes,
    reminders,
    request_change_routes,
    staffing_routes,
    trainer_profile_routes,
    trainer_routes,
)
from bookings import calendar_routes as booking_calendar_routes
from bookings import personal_data as booking_personal_data
from bookings import request_routes as booking_request_routes
from bookings import retention as booking_retention
from bookings.policy import BookingPolicy
from feedback import api_routes as feedback_api
from feedback import (
    closing,
    collect_routes,
    form_routes,
    handout_routes,
    lead_routes,
    opening,
    result_routes,
    retention,
)
from feedback import personal_data as feedback_personal_data
from feedback.policy import FeedbackPolicy
from invoicing import api_routes as invoicing_api
from invoicing import batch as invoicing_batch
from invoicing import documents as invoicing_documents
from invoicing import drafts as invoicing_drafts
from invoicing import fee_statement_routes
from invoicing import free_routes as invoicing_free_routes
from invoicing import payments as invoicing_payments
from invoicing import personal_data as invoicing_personal_data
from invoicing import routes as invoicing_routes
from reporting import api_routes as reporting_api
from reporting import history as reporting_history
from reporting import ministry_routes as reporting_ministry_routes
from reporting import personal_data as reporting_personal_data
from reporting import routes as reporting_routes
from server import (
    admin_routes,
    api_token_routes,
    auth_routes,
    clock,
    dev_routes,
    health,
    languages,
    openapi,
    organisation_api,
    organisation_routes,
    pages,
    webhook_routes,
)
from server import personal_data as server_personal_data
from server import retention as server_retention
from server.api import Operation, api_routes
from server.background import Loop, background_tasks
from server.db import init_orm
from server.errors import (
    DatabaseUnavailableMiddleware,
    DomainError,
    handle_domain_error,
    handle_http_exception,
    handle_server_error,
)
from server.health import Backlog
from server.i18n import lazy_gettext
from server.logs import configure_logging
from server.observe import ObservabilityMiddleware, RouteRecorder
from server.privacy import Register
from server.problems import api_aware
from server.scheduler import Job
from server.security import (
    BodyLimitMiddleware,
    ControlCharactersMiddleware,
    SecurityHeadersMiddleware,
    handle_value_not_storable,
)
from server.sessions import SessionMiddleware
from server.settings import PROJECT_DIR, Settings, load_settings

MAX_BODY_BYTES = 1024 * 1024


class WeerbaarApp(Starlette):
    """Starlette with the security headers outside everything, so even a 500 page carries them."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(
            super().build_middleware_stack(), hsts=self.state.settings.is_production
        )


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    owns_orm = not Tortoise._inited
    if owns_orm:  # a process of its own (uvicorn), not a test sharing the ORM
        await init_orm(settings.database_url)
        # What exists now (modules, templates, models) lives as long as the process: moved out of
        # the garbage collector's generations, so that its collections during requests skip it
        # (5-15 % less CPU for the list pages in an in-process comparison).
        gc.collect()
        gc.freeze()
    try:
        if settings.run_background_jobs:
            async with background_tasks(settings, periodic_jobs(settings), background_loops(settings)):
                yield
        else:
            yield
    finally:
        if owns_orm:
            await Tortoise.close_connections()


def background_loops(settings: Settings, *, worker: bool = False) -> tuple[Loop, ...]:
    """The domains' own background loops (see server.background) in an app process, and in `weerbaar
    worker` (which also serves app processes that run no background work)."""
    lease = timedelta(seconds=settings.lease_seconds)

    async def render_documents(stop: asyncio.Event) -> None:
        if worker:
            await invoicing_documents.run_worker_renderer(stop, lease)
        else:
            await invoicing_documents.run_renderer(stop, lease=lease)

    return (render_documents,)


def personal_data_register() -> Register:
    """Every domain's models, classified by the personal data they hold (see server/privacy.py)."""
    return Register(
        (
            *server_personal_data.ENTRIES,
            *booking_personal_data.ENTRIES,
            *feedback_personal_data.ENTRIES,
            *invoicing_personal_data.ENTRIES,
            *reporting_personal_data.ENTRIES,
        )
    )


#: What coordinators read for each periodic job at /beheer/taken (the name is `periodic_jobs`'s).
JOB_LABELS = {
    "purge_expired": lazy_gettext("Verlopen inloglinks, sessies en oude mailteksten opruimen"),
    "send_booking_reminders": lazy_gettext("Herinneringen voor sessies versturen"),
    "send_tour_reminders": lazy_gettext("Herinneringen voor de tour versturen"),
    "expire_trainer_requests": lazy_gettext("Verlopen trainersverzoeken afsluiten"),
    "open_feedback_links": lazy_gettext("Feedback openen na een sessie"),
    "announce_closed_feedback": lazy_gettext("Webhooks sturen voor gesloten feedback"),
    "apply_feedback_retention": lazy_gettext("Bewaartermijn van feedback toepassen"),
    "apply_booking_retention": lazy_gettext("Bewaartermijn van boekingsteksten en contacten toepassen"),
    "clear_audit_details": lazy_gettext("Oude details uit het auditlog wissen"),
    "create_invoice_drafts": lazy_gettext("Conceptfacturen maken"),
    "send_payment_reminders": lazy_gettext("Betalingsherinneringen versturen"),
    "resume_stalled_batch": lazy_gettext("Vastgelopen reeks uitreiken afmaken"),
}


def periodic_jobs(settings: Settings) -> list[Job]:
    """The domains' periodic jobs, for the app's lifespan and for `weerbaar worker`."""
    policy = BookingPolicy.from_settings(settings)

    async def send_booking_reminders() -> int:
        return await reminders.send_due_reminders(policy, base_url=settings.base_url)

    async def send_tour_reminders() -> int:
        return await outreach.send_due_reminders(settings)

    async def expire_trainer_requests() -> int:
        return await assignment.expire_requests(settings)

    async def open_feedback_links() -> int:
        return await opening.open_started_sessions(settings)

    async def announce_closed_feedback() -> int:
        return await closing.announce_closed_sessions()

    feedback_policy = FeedbackPolicy.from_settings(settings)

    async def apply_feedback_retention() -> object:
        return await retention.apply_retention(feedback_policy)

    async def create_invoice_drafts() -> int:
        return await invoicing_drafts.create_missing_drafts()

    async def send_payment_reminders() -> int:
        return await invoicing_payments.send_payment_reminders(settings.payment_reminder_days)

    async def purge_expired() -> object:
        return await server_retention.purge_expired()

    async def resume_stalled_batch() -> int:
        return await invoicing_batch.resume_stalled_batch(timedelta(seconds=settings.lease_seconds))

    async def apply_booking_retention() -> object:
        return await booking_retention.apply_booking_retention(settings)

    async def clear_audit_details() -> int:
        retention = booking_retention.months(settings.audit_detail_retention_months)
        return await server_retention.clear_audit_details(retention)

    return [
        purge_expired,
        send_booking_reminders,
        send_tour_reminders,
        expire_trainer_requests,
        open_feedback_links,
        announce_closed_feedback,
        apply_feedback_retention,
        apply_booking_retention,
        clear_audit_details,
        create_invoice_drafts,
        send_payment_reminders,
        resume_stalled_batch,
    ]


def api_operations() -> list[Operation]:
    """Every operation of API v1, in the order of the reference page."""
    return [
        *organisation_api.operations,
        *booking_api.operations,
        *booking_api_changes.operations,
        *feedback_api.operations,
        *invoicing_api.operations,
        *reporting_api.operations,
    ]


def create_app(settings: Settings) -> Starlette:
    operations = api_operations()
    routes = [
        *health.routes,
        *pages.routes,
        *languages.routes,
        *auth_routes.routes,
        *organisation_routes.routes,
        *admin_routes.routes,
        *webhook_routes.routes,
        *api_token_routes.routes,
        *booking_request_routes.routes,
        *booking_routes.routes,
        *request_change_routes.routes,
        *booking_admin_routes.routes,
        *contacts_routes.routes,
        *outreach_routes.routes,
        *booking_calendar_routes.routes,
        *staffing_routes.routes,
        *trainer_routes.routes,
        *trainer_profile_routes.routes,
        *day_rate_routes.routes,
        *collect_routes.routes,
        *form_routes.routes,
        *result_routes.routes,
        *handout_routes.routes,
        *lead_routes.routes,
        *invoicing_routes.routes,
        *fee_statement_routes.routes,
        *invoicing_free_routes.routes,
        *reporting_routes.routes,
        *reporting_ministry_routes.routes,
        *(dev_routes.routes if settings.dev_mail_page else []),
        Mount("/api/v1", routes=[*api_routes(operations), *openapi.routes_for(operations)]),
        Mount("/static", StaticFiles(directory=PROJECT_DIR / "static"), name="static"),
    ]
    app = WeerbaarApp(
        routes=routes,
        middleware=[
            *([Middleware(ObservabilityMiddleware)] if settings.observability else []),
            Middleware(DatabaseUnavailableMiddleware),
            Middleware(ControlCharactersMiddleware),
            Middleware(SessionMiddleware, settings=settings),
            Middleware(languages.LanguageMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES),
            *([Middleware(RouteRecorder)] if settings.observability else []),
        ],
        exception_handlers={
            DomainError: handle_domain_error,
            HTTPException: api_aware(handle_http_exception),
            ValidationError: api_aware(handle_value_not_storable),
            OverflowError: api_aware(handle_value_not_storable),
            OperationalError: api_aware(handle_value_not_storable),
            Exception: api_aware(handle_server_error),
        },
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.personal_data = personal_data_register()
    app.state.job_labels = JOB_LABELS
    #: The domains' parts of an organisation's page (server/organisation_routes.py).
    app.state.organisation_sections = (contacts.organisation_section, reporting_history.organisation_section)
    #: The domains' figures for /metrics and backlogs for /readyz (server/health.py).
    app.state.metric_sources = (invoicing_documents.metric_readings,)
    app.state.readiness_backlogs = {
        "renderer": Backlog(invoicing_documents.stale_count, settings.ready_max_render_backlog)
    }
    return app


def app_from_environment() -> Starlette:
    """Factory for uvicorn (`weerbaar serve`): one app per worker process."""
    settings = load_settings()
    configure_logging(settings.log_format)
    clock.start_from_setting(settings.clock_start)
    return create_app(settings)
