"""The one Jinja2 environment: templates for pages and mails, money and date filters, gettext."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from server.i18n import TRANSLATIONS
from server.navigation import navigation_for
from server.settings import PROJECT_DIR

TEMPLATES_DIR = PROJECT_DIR / "templates"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
LOCALE = "nl_NL"
#: Parsed once: Babel parses a locale given as text on every call, which dominated long tables.
DUTCH = Locale.parse(LOCALE)


def format_money(cents: int) -> str:
    """Integer cents as Dutch euros: 123450 -> '€ 1.234,50'."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=DUTCH)


def local_time(value: datetime) -> datetime:
    return value.astimezone(AMSTERDAM)


def format_local_datetime(value: datetime | None, fmt: str = "d MMMM y 'om' HH:mm") -> str:
    if value is None:
        return ""
    return format_datetime(local_time(value), fmt, locale=DUTCH)


def format_local_date(value: date | datetime | None, fmt: str = "d MMMM y") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_time(value).date()
    return format_date(value, fmt, locale=DUTCH)


class DictKeyUndefined(jinja2.StrictUndefined):
    """Strict, except that a missing key of a dict is empty: `errors.email` when there is no error.

    A misspelt variable or attribute still fails loudly.
    """

    def _is_missing_key(self) -> bool:
        return isinstance(self._undefined_obj, dict)

    def __str__(self) -> str:
        return "" if self._is_missing_key() else super().__str__()

    def __bool__(self) -> bool:
        return False if self._is_missing_key() else super().__bool__()

    def __iter__(self) -> Any:
        return iter(()) if self._is_missing_key() else super().__iter__()

    def __len__(self) -> int:
        return 0 if self._is_missing_key() else super().__len__()


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=DictKeyUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(TRANSLATIONS, newstyle=True)  # type: ignore[attr-defined]
    env.filters["money"] = format_money
    env.filters["datetime"] = format_local_datetime
    env.filters["date"] = format_local_date
    return env


@cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(env=environment())


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page with what every page needs: the user, the CSRF token, the settings flags."""
    state = request.state
    user = getattr(state, "user", None)
    page = {
        "user": user,
        "navigation": navigation_for(user, getattr(state, "session", None), request.url.path),
        "current_path": request.url.path,
        "csrf_token": getattr(state, "csrf_token", ""),
        "settings": request.app.state.settings,
    }
    page.update(context or {})
    return templates().TemplateResponse(request, name, page, status_code=status_code)


def render_text(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(context)
