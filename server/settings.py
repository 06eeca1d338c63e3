"""Settings, read once from the environment into a frozen object and passed into `create_app`.

No other module reads `os.environ`: everything configurable is here, with a safe local default.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_DIR / "var"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SettingsError(Exception):
    """A setting is missing or wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str | None = None
    mail_from: str = "Weerbaar <noreply@weerbaar.localhost>"
    environment: Environment = Environment.DEVELOPMENT
    #: Mail sender and periodic jobs in each app process (True) or only in `weerbaar worker` (False).
    run_background_jobs: bool = True
    lead_days_session: int = 21
    lead_days_intake: int = 7
    reminder_days: tuple[int, ...] = (7, 1)
    #: First day of each council term, per kind of organisation (ISO dates).
    municipal_terms: tuple[str, ...] = ("2018-03-29", "2022-03-30", "2026-04-01")
    provincial_terms: tuple[str, ...] = ("2019-03-28", "2023-03-29", "2027-03-25")
    #: (days before the start, percentage of the price due) from the earliest cut-off to the latest.
    cancellation_policy: tuple[tuple[int, int], ...] = ((14, 50), (2, 100))
    travel_buffer_hours: int = 2
    request_expiry_hours: int = 72
    #: Scheduling a booking asks the best-fitting trainers at once (False: the coordinator asks them).
    auto_assign_on_schedule: bool = True
    feedback_window_days: int = 14
    payment_reminder_days: tuple[int, ...] = (14, 28)
    feedback_threshold: int = 5
    #: Clerks and trainers see a session's open answers only from this many responses.
    feedback_open_answers_threshold: int = 10
    feedback_text_retention_months: int = 24
    feedback_contact_retention_months: int = 12
    #: Free text of a booking (intake notes, local situation, contact on the day) this long after the session.
    booking_text_retention_months: int = 24
    #: Names and summaries in the audit log this long after the event (the event itself stays).
    audit_detail_retention_months: int = 24
    #: Contacts not updated, and tour mail recipients' names and addresses, this long after.
    contact_retention_months: int = 36
    #: An invitation without a booking after this many weeks is on the dashboard's "needs action".
    invitation_follow_up_weeks: int = 4
    #: Weeks after a tour invitation (or its reminder) without a response before a reminder is mailed.
    outreach_reminder_weeks: int = 2
    #: Bearer token that /metrics asks for (required in production); None: /metrics is open.
    metrics_token: str | None = None
    #: Request metrics and request log lines (off only to measure what they cost, see bench/observability.py).
    observability: bool = True
    #: "json" (one JSON object per line, for the log collector) or "text" (for a developer's terminal).
    log_format: str = "json"
    #: PROMETHEUS_MULTIPROC_DIR, set by `weerbaar serve`: the worker processes' metrics are added up there.
    metrics_multiprocess_dir: str | None = None
    #: /readyz answers 503 from this many mails due for over READY_OUTBOX_OVERDUE (0: not checked).
    ready_max_outbox_overdue: int = 100
    #: /readyz answers 503 from this many invoices waiting for their documents (0: not checked).
    ready_max_render_backlog: int = 200
    #: Seconds per tick of the periodic jobs: each job runs once per tick in the whole cluster.
    job_interval_seconds: int = 60
    #: Seconds a claim on a batch issue or a document's render lasts without renewal: work of a host
    #: that died is taken over by another this long after its last sign of life.
    lease_seconds: int = 120
    #: Webhooks may go to loopback, private and other non-public addresses (tests and development
    #: only: refused in production, where every address must be public and use https).
    webhooks_allow_private: bool = False
    #: The clock starts at this moment and runs on from there (browser tests and demonstrations of
    #: a given day; refused in production). None: the real time.
    clock_start: datetime | None = None

    @property
    def is_production(self) -> bool:
        return self.environment == Environment.PRODUCTION

    @property
    def secure_cookies(self) -> bool:
        return self.is_production or self.base_url.startswith("https://")

    @property
    def dev_mail_page(self) -> bool:
        """Mail stays in the outbox and is shown at /dev/mail: development without SMTP only."""
        return not self.is_production and not self.smtp_url


def _secret_key_from_file(var_dir: Path) -> str:
    """Generate the development secret once and keep it, so sessions survive a restart."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _int_list(env: dict[str, str], name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise SettingsError(f"{name} moet een lijst van gehele getallen zijn, bijv. 7,1.") from None


def _int(env: dict[str, str], name: str, default: int, minimum: int = 1) -> int:
    """A whole number of at least `minimum`."""
    raw = env.get(name)
    if not raw:
        return default
    if not raw.strip().isdigit() or int(raw) < minimum:
        raise SettingsError(f"{name} moet een geheel getal van minstens {minimum} zijn.")
    return int(raw)


def _date_list(env: dict[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = env.get(name)
    if not raw:
        return default
    parts = tuple(part.strip() for part in raw.split(","))
    try:
        for part in parts:
            date.fromisoformat(part)
    except ValueError:
        raise SettingsError(f"{name} moet een lijst van datums zijn, bijv. 2022-03-30,2026-04-01.") from None
    return tuple(sorted(parts))


def _cancellation_policy(env: dict[str, str]) -> tuple[tuple[int, int], ...]:
    raw = env.get("WEERBAAR_CANCELLATION_POLICY")
    if not raw:
        return Settings.cancellation_policy
    try:
        steps = tuple(
            (int(days), int(percent)) for days, percent in (part.split(":") for part in raw.split(","))
        )
    except ValueError:
        raise SettingsError("WEERBAAR_CANCELLATION_POLICY: bijv. 14:50,2:100 (dagen:procent).") from None
    return tuple(sorted(steps, reverse=True))


def _background(env: dict[str, str]) -> bool:
    value = env.get("WEERBAAR_BACKGROUND", "inprocess")
    if value not in ("inprocess", "worker"):
        raise SettingsError("WEERBAAR_BACKGROUND moet 'inprocess' of 'worker' zijn.")
    return value == "inprocess"


def _metrics_token(env: dict[str, str], environment: Environment) -> str | None:
    token = env.get("WEERBAAR_METRICS_TOKEN") or None
    if token is None and environment is Environment.PRODUCTION:
        raise SettingsError(
            "WEERBAAR_METRICS_TOKEN ontbreekt; in productie is /metrics alleen met een token."
        )
    if token is not None and len(token) < 32:
        raise SettingsError("WEERBAAR_METRICS_TOKEN moet minstens 32 tekens lang zijn.")
    return token


def _choice(env: dict[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or choices[0]
    if value not in choices:
        raise SettingsError(f"{name} moet een van {', '.join(choices)} zijn.")
    return value


def _webhooks_allow_private(env: dict[str, str], environment: Environment) -> bool:
    allowed = _choice(env, "WEERBAAR_WEBHOOKS_ALLOW_PRIVATE", ("off", "on")) == "on"
    if allowed and environment is Environment.PRODUCTION:
        raise SettingsError(
            "WEERBAAR_WEBHOOKS_ALLOW_PRIVATE=on is alleen voor tests en ontwikkeling; in productie gaan "
            "webhooks alleen naar openbare adressen."
        )
    return allowed


def _clock_start(env: dict[str, str], environment: Environment) -> datetime | None:
    raw = env.get("WEERBAAR_CLOCK_START")
    if not raw:
        return None
    if environment is Environment.PRODUCTION:
        raise SettingsError("WEERBAAR_CLOCK_START is alleen voor tests en demonstraties; in productie niet.")
    example = "een tijdstip met tijdzone, bijv. 2026-11-18T09:30Z"
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"WEERBAAR_CLOCK_START moet {example} zijn.") from None
    if moment.tzinfo is None:
        raise SettingsError(f"WEERBAAR_CLOCK_START moet {example} zijn.")
    return moment


def load_settings(environ: dict[str, str] | None = None, var_dir: Path = VAR_DIR) -> Settings:
    """Read the WEERBAAR_* variables; refuse an unsafe production configuration."""
    env = dict(os.environ if environ is None else environ)
    try:
        environment = Environment(env.get("WEERBAAR_ENV", "development"))
    except ValueError:
        raise SettingsError("WEERBAAR_ENV moet 'development' of 'production' zijn.") from None

    secret_key = env.get("WEERBAAR_SECRET_KEY", "")
    if not secret_key:
        if environment is Environment.PRODUCTION:
            raise SettingsError("WEERBAAR_SECRET_KEY ontbreekt; in productie is die verplicht.")
        secret_key = _secret_key_from_file(var_dir)
    elif len(secret_key) < 32:
        raise SettingsError("WEERBAAR_SECRET_KEY moet minstens 32 tekens lang zijn.")

    smtp_url = env.get("WEERBAAR_SMTP_URL") or None
    if smtp_url and not smtp_url.startswith(("smtp://", "smtp+starttls://", "smtps://")):
        raise SettingsError("WEERBAAR_SMTP_URL moet beginnen met smtp://, smtp+starttls:// of smtps://.")
    if environment is Environment.PRODUCTION and not smtp_url:
        raise SettingsError("WEERBAAR_SMTP_URL ontbreekt; in productie moet mail verstuurd worden.")

    database_url = env.get("WEERBAAR_DATABASE_URL") or f"sqlite://{var_dir / 'weerbaar.sqlite3'}"
    base_url = env.get("WEERBAAR_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return Settings(
        database_url=database_url,
        secret_key=secret_key,
        base_url=base_url,
        smtp_url=smtp_url,
        mail_from=env.get("WEERBAAR_MAIL_FROM", Settings.mail_from),
        environment=environment,
        run_background_jobs=_background(env),
        lead_days_session=_int_list(env, "WEERBAAR_LEAD_DAYS_SESSION", (Settings.lead_days_session,))[0],
        lead_days_intake=_int_list(env, "WEERBAAR_LEAD_DAYS_INTAKE", (Settings.lead_days_intake,))[0],
        reminder_days=_int_list(env, "WEERBAAR_REMINDER_DAYS", Settings.reminder_days),
        municipal_terms=_date_list(env, "WEERBAAR_TERMS_MUNICIPALITY", Settings.municipal_terms),
        provincial_terms=_date_list(env, "WEERBAAR_TERMS_PROVINCE", Settings.provincial_terms),
        cancellation_policy=_cancellation_policy(env),
        travel_buffer_hours=_int_list(env, "WEERBAAR_TRAVEL_BUFFER_HOURS", (Settings.travel_buffer_hours,))[
            0
        ],
        request_expiry_hours=_int_list(
            env, "WEERBAAR_REQUEST_EXPIRY_HOURS", (Settings.request_expiry_hours,)
        )[0],
        auto_assign_on_schedule=_choice(env, "WEERBAAR_AUTO_ASSIGN_ON_SCHEDULE", ("on", "off")) == "on",
        feedback_window_days=_int(env, "WEERBAAR_FEEDBACK_WINDOW_DAYS", Settings.feedback_window_days),
        payment_reminder_days=_int_list(
            env, "WEERBAAR_PAYMENT_REMINDER_DAYS", Settings.payment_reminder_days
        ),
        feedback_threshold=_int(env, "WEERBAAR_FEEDBACK_THRESHOLD", Settings.feedback_threshold),
        feedback_open_answers_threshold=_int(
            env, "WEERBAAR_FEEDBACK_OPEN_ANSWERS_THRESHOLD", Settings.feedback_open_answers_threshold
        ),
        feedback_text_retention_months=_int(
            env, "WEERBAAR_FEEDBACK_TEXT_RETENTION_MONTHS", Settings.feedback_text_retention_months
        ),
        feedback_contact_retention_months=_int(
            env, "WEERBAAR_FEEDBACK_CONTACT_RETENTION_MONTHS", Settings.feedback_contact_retention_months
        ),
        booking_text_retention_months=_int(
            env, "WEERBAAR_BOOKING_TEXT_RETENTION_MONTHS", Settings.booking_text_retention_months
        ),
        audit_detail_retention_months=_int(
            env, "WEERBAAR_AUDIT_DETAIL_RETENTION_MONTHS", Settings.audit_detail_retention_months
        ),
        contact_retention_months=_int(
            env, "WEERBAAR_CONTACT_RETENTION_MONTHS", Settings.contact_retention_months
        ),
        invitation_follow_up_weeks=_int(
            env, "WEERBAAR_INVITATION_FOLLOW_UP_WEEKS", Settings.invitation_follow_up_weeks
        ),
        outreach_reminder_weeks=_int(
            env, "WEERBAAR_OUTREACH_REMINDER_WEEKS", Settings.outreach_reminder_weeks
        ),
        metrics_token=_metrics_token(env, environment),
        observability=_choice(env, "WEERBAAR_OBSERVABILITY", ("on", "off")) == "on",
        log_format=_choice(env, "WEERBAAR_LOG_FORMAT", ("json", "text")),
        metrics_multiprocess_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
        ready_max_outbox_overdue=_int(
            env, "WEERBAAR_READY_MAX_OUTBOX_OVERDUE", Settings.ready_max_outbox_overdue, minimum=0
        ),
        ready_max_render_backlog=_int(
            env, "WEERBAAR_READY_MAX_RENDER_BACKLOG", Settings.ready_max_render_backlog, minimum=0
        ),
        job_interval_seconds=_int(env, "WEERBAAR_JOB_INTERVAL_SECONDS", Settings.job_interval_seconds),
        lease_seconds=_int(env, "WEERBAAR_LEASE_SECONDS", Settings.lease_seconds, minimum=5),
        webhooks_allow_private=_webhooks_allow_private(env, environment),
        clock_start=_clock_start(env, environment),
    )
