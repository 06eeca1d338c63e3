"""The one Jinja2 environment: templates for pages and mails, money and date filters, gettext."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any

import jinja2
import jinja2.visitor
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from server.clock import AMSTERDAM
from server.i18n import TRANSLATIONS
from server.navigation import navigation_for
from server.settings import PROJECT_DIR

TEMPLATES_DIR = PROJECT_DIR / "templates"
LOCALE = "nl_NL"
#: Parsed once: Babel parses a locale given as text on every call, which dominated long tables.
DUTCH = Locale.parse(LOCALE)


@lru_cache(maxsize=4096)
def format_money(cents: int) -> str:
    """Integer cents as Dutch euros: 123450 -> '€ 1.234,50'."""
    return format_currency(Decimal(cents) / 100, "EUR", locale=DUTCH)


@lru_cache(maxsize=4096)
def format_number(value: float | int | Decimal | None, digits: int = 1) -> str:
    """A number the Dutch way, rounded to `digits` decimals: 99.4 -> '99,4', 1234.5 -> '1.234,5'.

    Templates use this (the `number` filter) instead of Python's `"%.1f"`, which writes a decimal point.
    """
    if value is None:
        return ""
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=DUTCH, decimal_quantization=True)


def local_time(value: datetime) -> datetime:
    return value.astimezone(AMSTERDAM)


#: Long tables write the same days and times on many rows: Babel formats each (moment, pattern) once.
@lru_cache(maxsize=8192)
def _babel_datetime(value: datetime, fmt: str) -> str:
    return format_datetime(local_time(value), fmt, locale=DUTCH)


@lru_cache(maxsize=8192)
def _babel_date(value: date, fmt: str) -> str:
    return format_date(value, fmt, locale=DUTCH)


def format_local_datetime(value: datetime | None, fmt: str = "d MMMM y 'om' HH:mm") -> str:
    return "" if value is None else _babel_datetime(value, fmt)


def format_local_date(value: date | datetime | None, fmt: str = "d MMMM y") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_time(value).date()
    return _babel_date(value, fmt)


def css_string(value: str) -> Markup:
    """`value` as the inside of a double-quoted CSS string in a `<style>` element, for PDF margin boxes.

    Markup (escaped text) is unescaped first. Every character outside letters, digits, spaces and
    harmless punctuation becomes a CSS escape, so nothing can end the string, the rule or the
    `<style>` element (`"`, `\\`, `<`, `&`, line breaks, control characters all do not survive).
    """
    text = value.unescape() if isinstance(value, Markup) else str(value)
    escaped = "".join(char if _CSS_PLAIN.fullmatch(char) else f"\\{ord(char):x} " for char in text)
    # Safe: only letters, digits, spaces, inert punctuation and CSS escapes are left.
    return Markup(escaped)  # noqa: S704  # nosec B704


_CSS_PLAIN = re.compile(r"[\w ,.:;/·()'+-]")


@lru_cache(maxsize=8192)
def _translated(message: str, *, autoescape: bool) -> str:
    text = TRANSLATIONS.gettext(message)
    # Our own catalogue, marked safe as Jinja's own gettext does; the variables are escaped on use.
    return Markup(text) if autoescape else text  # noqa: S704  # nosec B704


@jinja2.pass_eval_context
def _cached_gettext(eval_context: jinja2.nodes.EvalContext, message: str, /, **variables: Any) -> str:
    """Jinja's newstyle gettext (the text is a format string, even without variables), with the
    translation looked up once per text: a long table asks for the same labels on every row. It takes
    the evaluation context, not the whole context, which Jinja would copy for each call in a loop."""
    if not variables:
        return _constant(message, autoescape=eval_context.autoescape)
    return _translated(message, autoescape=eval_context.autoescape) % variables


@lru_cache(maxsize=8192)
def _constant(message: str, *, autoescape: bool) -> str:
    return _translated(message, autoescape=autoescape) % {}


#: The names under which templates call gettext (see environment()).
GETTEXT_NAMES = frozenset({"_", "gettext"})


class _ConstantGettext(jinja2.visitor.NodeTransformer):
    """Puts the translation of each `_("literal")` (without variables) into the compiled template.

    Half the time of rendering a mail went to these calls: each passes through Jinja's
    `Context.call`, dozens per mail. The catalogue is fixed for the life of the process, so the text
    is known at compile time. The text is `_constant`'s, as `_cached_gettext` gives it at render
    time (formatted with no variables: `%%` becomes `%`), Markup where the template autoescapes. A
    text that needs variables is left to fail at render time, as before.
    """

    def visit_Concat(self, node: jinja2.nodes.Concat) -> jinja2.nodes.Node:
        """Left as it is: Jinja would join a constant `~` into plain text at compile time, where at
        render time a Markup part stays Markup and the other parts are escaped."""
        return node

    def visit_Call(self, node: jinja2.nodes.Call) -> jinja2.nodes.Node:
        node = self.generic_visit(node)
        if not (
            isinstance(node.node, jinja2.nodes.Name)
            and node.node.name in GETTEXT_NAMES
            and len(node.args) == 1
            and isinstance(node.args[0], jinja2.nodes.Const)
            and isinstance(node.args[0].value, str)
            and not node.kwargs
            and node.dyn_args is None
            and node.dyn_kwargs is None
        ):
            return node
        try:
            text = _constant(node.args[0].value, autoescape=False)
        except (KeyError, TypeError, ValueError):
            return node
        return jinja2.nodes.MarkSafeIfAutoescape(jinja2.nodes.Const(text), lineno=node.lineno)


def _assigns_gettext_name(template: jinja2.nodes.Template) -> bool:
    """Whether the template binds `_` or `gettext` itself (a loop variable, a set, a macro argument)."""
    return any(
        name.ctx != "load" and name.name in GETTEXT_NAMES for name in template.find_all(jinja2.nodes.Name)
    )


class _Environment(jinja2.Environment):
    def _parse(self, source: str, name: str | None, filename: str | None) -> jinja2.nodes.Template:
        template = super()._parse(source, name, filename)
        if _assigns_gettext_name(template):
            return template
        return _ConstantGettext().visit(template)


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
    """Templates are read once per process (no `auto_reload`): otherwise every render, and every
    extends, import and include in it, asks the file system whether the file changed. A changed
    template shows after a restart, as changed code does."""
    env = _Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        auto_reload=False,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=DictKeyUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(TRANSLATIONS, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = env.globals["gettext"] = _cached_gettext
    env.filters["money"] = format_money
    env.filters["number"] = format_number
    env.filters["datetime"] = format_local_datetime
    env.filters["date"] = format_local_date
    env.filters["css_string"] = css_string
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
