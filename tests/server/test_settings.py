"""Settings come from WEERBAAR_* variables with safe local defaults; production refuses unsafe ones."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from server.settings import Environment, SettingsError, load_settings


def test_local_defaults_need_nothing_set(tmp_path: Path) -> None:
    settings = load_settings({}, var_dir=tmp_path)
    assert settings.database_url == f"sqlite://{tmp_path / 'weerbaar.sqlite3'}"
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.dev_mail_page and not settings.secure_cookies
    assert settings.base_url == "http://127.0.0.1:8000"
    assert (settings.job_interval_seconds, settings.lease_seconds) == (60, 120)


def test_the_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({}, var_dir=tmp_path).secret_key
    assert len(first) >= 32
    assert load_settings({}, var_dir=tmp_path).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_a_missing_secret_or_smtp(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="WEERBAAR_SECRET_KEY"):
        load_settings({"WEERBAAR_ENV": "production", "WEERBAAR_SMTP_URL": "smtp://mail"}, var_dir=tmp_path)
    with pytest.raises(SettingsError, match="WEERBAAR_SMTP_URL"):
        load_settings({"WEERBAAR_ENV": "production", "WEERBAAR_SECRET_KEY": "s" * 40}, var_dir=tmp_path)
    assert not (tmp_path / "secret_key").exists()


def test_production_settings(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "WEERBAAR_ENV": "production",
            "WEERBAAR_SECRET_KEY": "s" * 40,
            "WEERBAAR_SMTP_URL": "smtp+starttls://user:pw@mail.example:587",
            "WEERBAAR_BASE_URL": "https://weerbaar.example/",
            "WEERBAAR_DATABASE_URL": "postgres://weerbaar@db/weerbaar",
            "WEERBAAR_MAIL_FROM": "Weerbaar <noreply@weerbaar.example>",
            "WEERBAAR_METRICS_TOKEN": "m" * 40,
        },
        var_dir=tmp_path,
    )
    assert settings.is_production and settings.secure_cookies and not settings.dev_mail_page
    assert settings.base_url == "https://weerbaar.example"


def test_production_refuses_open_metrics(tmp_path: Path) -> None:
    production = {
        "WEERBAAR_ENV": "production",
        "WEERBAAR_SECRET_KEY": "s" * 40,
        "WEERBAAR_SMTP_URL": "smtp://mail",
    }
    with pytest.raises(SettingsError, match="WEERBAAR_METRICS_TOKEN"):
        load_settings(production, var_dir=tmp_path)
    settings = load_settings({**production, "WEERBAAR_METRICS_TOKEN": "t" * 32}, var_dir=tmp_path)
    assert settings.metrics_token == "t" * 32


def test_observability_settings(tmp_path: Path) -> None:
    defaults = load_settings({}, var_dir=tmp_path)
    assert defaults.observability and defaults.log_format == "json" and defaults.metrics_token is None
    settings = load_settings(
        {
            "WEERBAAR_OBSERVABILITY": "off",
            "WEERBAAR_LOG_FORMAT": "text",
            "WEERBAAR_READY_MAX_OUTBOX_OVERDUE": "0",
            "WEERBAAR_READY_MAX_RENDER_BACKLOG": "50",
            "PROMETHEUS_MULTIPROC_DIR": "/run/weerbaar/metrics",
        },
        var_dir=tmp_path,
    )
    assert not settings.observability and settings.log_format == "text"
    assert settings.ready_max_outbox_overdue == 0 and settings.ready_max_render_backlog == 50
    assert settings.metrics_multiprocess_dir == "/run/weerbaar/metrics"


@pytest.mark.parametrize(
    "environ",
    [
        {"WEERBAAR_ENV": "staging"},
        {"WEERBAAR_SECRET_KEY": "kort"},
        {"WEERBAAR_SMTP_URL": "mail.example:25"},
        {"WEERBAAR_FEEDBACK_THRESHOLD": "0"},
        {"WEERBAAR_INVITATION_FOLLOW_UP_WEEKS": "vier"},
        {"WEERBAAR_METRICS_TOKEN": "kort"},
        {"WEERBAAR_LOG_FORMAT": "xml"},
        {"WEERBAAR_OBSERVABILITY": "uit"},
        {"WEERBAAR_JOB_INTERVAL_SECONDS": "0"},
        {"WEERBAAR_LEASE_SECONDS": "4"},
        {"WEERBAAR_BOOKING_TEXT_RETENTION_MONTHS": "0"},
        {"WEERBAAR_AUDIT_DETAIL_RETENTION_MONTHS": "twee jaar"},
    ],
)
def test_wrong_values_are_named(tmp_path: Path, environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        load_settings(environ, var_dir=tmp_path)


def test_every_documented_number_is_read_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "WEERBAAR_FEEDBACK_WINDOW_DAYS": "10",
            "WEERBAAR_FEEDBACK_THRESHOLD": "7",
            "WEERBAAR_FEEDBACK_TEXT_RETENTION_MONTHS": "36",
            "WEERBAAR_FEEDBACK_CONTACT_RETENTION_MONTHS": "6",
            "WEERBAAR_PAYMENT_REMINDER_DAYS": "7,21",
            "WEERBAAR_INVITATION_FOLLOW_UP_WEEKS": "6",
            "WEERBAAR_OUTREACH_REMINDER_WEEKS": "3",
            "WEERBAAR_JOB_INTERVAL_SECONDS": "5",
            "WEERBAAR_LEASE_SECONDS": "30",
            "WEERBAAR_BOOKING_TEXT_RETENTION_MONTHS": "12",
            "WEERBAAR_AUDIT_DETAIL_RETENTION_MONTHS": "60",
            "WEERBAAR_CONTACT_RETENTION_MONTHS": "24",
        },
        var_dir=tmp_path,
    )
    assert settings.feedback_window_days == 10
    assert settings.feedback_threshold == 7
    assert settings.feedback_text_retention_months == 36
    assert settings.feedback_contact_retention_months == 6
    assert settings.payment_reminder_days == (7, 21)
    assert settings.invitation_follow_up_weeks == 6
    assert settings.outreach_reminder_weeks == 3
    assert (settings.job_interval_seconds, settings.lease_seconds) == (5, 30)
    assert (
        settings.booking_text_retention_months,
        settings.audit_detail_retention_months,
        settings.contact_retention_months,
    ) == (12, 60, 24)


def test_webhooks_to_private_addresses_only_outside_production(tmp_path: Path) -> None:
    assert load_settings({}, var_dir=tmp_path).webhooks_allow_private is False
    assert load_settings({"WEERBAAR_WEBHOOKS_ALLOW_PRIVATE": "on"}, var_dir=tmp_path).webhooks_allow_private
    with pytest.raises(SettingsError, match="WEERBAAR_WEBHOOKS_ALLOW_PRIVATE"):
        load_settings({"WEERBAAR_WEBHOOKS_ALLOW_PRIVATE": "ja"}, var_dir=tmp_path)
    production = {
        "WEERBAAR_ENV": "production",
        "WEERBAAR_SECRET_KEY": "s" * 40,
        "WEERBAAR_SMTP_URL": "smtp://mail",
        "WEERBAAR_METRICS_TOKEN": "t" * 32,
    }
    with pytest.raises(SettingsError, match="WEERBAAR_WEBHOOKS_ALLOW_PRIVATE"):
        load_settings({**production, "WEERBAAR_WEBHOOKS_ALLOW_PRIVATE": "on"}, var_dir=tmp_path)


def test_a_clock_start_needs_a_time_zone_and_is_refused_in_production(tmp_path: Path) -> None:
    assert load_settings({}, var_dir=tmp_path).clock_start is None
    start = load_settings({"WEERBAAR_CLOCK_START": "2026-11-18T09:30Z"}, var_dir=tmp_path).clock_start
    assert start == datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
    for wrong in ("2026-11-18T09:30", "woensdag"):
        with pytest.raises(SettingsError, match="WEERBAAR_CLOCK_START"):
            load_settings({"WEERBAAR_CLOCK_START": wrong}, var_dir=tmp_path)
    production = {
        "WEERBAAR_ENV": "production",
        "WEERBAAR_SECRET_KEY": "s" * 40,
        "WEERBAAR_SMTP_URL": "smtp://mail",
        "WEERBAAR_METRICS_TOKEN": "t" * 32,
        "WEERBAAR_CLOCK_START": "2026-11-18T09:30Z",
    }
    with pytest.raises(SettingsError, match="WEERBAAR_CLOCK_START"):
        load_settings(production, var_dir=tmp_path)
