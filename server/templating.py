"""The Jinja2 environments, one per language: templates for pages and mails, money and date filters,
gettext. Formatting follows the language of the request or recipient (server.i18n.use_language);
documents for a Dutch public body (invoices, quotes, reports) are made in Dutch (`render_document`)."""

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
from server.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    current_language,
    lazy_gettext,
    translations,
    use_language,
)
from server.navigation import navigation_for
from server.settings import PROJECT_DIR

TEMPLATES_DIR = PROJECT_DIR / "templates"
LOCALE = "nl_NL"
#: Parsed once: Babel parses a locale given as text on every call, which dominated long tables.
LOCALES = {"nl": Locale.parse(LOCALE), "en": Locale.parse("en_GB")}
DUTCH = LOCALES["nl"]
#: What the language switch offers on a page in each language: the other languages, by their own name.
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}
#: Date patterns with words in them: marked here so that `make messages` puts them in the catalogue,
#: which has the English ones. The date functions look every pattern up in the catalogue (a pattern
#: without words is not in it and stays as it is), once per value, pattern and language.
WORDED_PATTERNS = (
    lazy_gettext("d MMMM y 'om' HH:mm"),
    lazy_gettext("EEEE d MMMM y 'om' HH:mm"),
)


def format_money(cents: int) -> str:
    """Integer cents as euros in the current language: 123450 -> '€ 1.234,50' ('€1,234.50' in English)."""
    return _money(cents, current_language())


@lru_cache(maxsize=4096)
def _money(cents: int, language: str) -> str:
    return format_currency(Decimal(cents) / 100, "EUR", locale=LOCALES[language])


def format_number(value: float | int | Decimal | None, digits: int = 1) -> str:
    """A number in the current language, rounded to `digits` decimals: 99.4 -> '99,4' in Dutch.

    Templates use this (the `number` filter) instead of Python's `"%.1f"`, which writes a decimal point.
    """
    return "" if value is None else _number(value, digits, current_language())


@lru_cache(maxsize=4096)
def _number(value: float | int | Decimal, digits: int, language: str) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=LOCALES[language], decimal_quantization=True)


def local_time(value: datetime) -> datetime:
    return value.astimezone(AMSTERDAM)


#: Long tables write the same days and times on many rows: Babel formats each (moment, pattern) once.
@lru_cache(maxsize=8192)
def _babel_datetime(value: datetime, fmt: str, language: str) -> str:
    pattern = translations(language).gettext(fmt)
    return format_datetime(local_time(value), pattern, locale=LOCALES[language])


@lru_cache(maxsize=8192)
def _babel_date(value: date, fmt: str, language: str) -> str:
    return format_date(value, translations(language).gettext(fmt), locale=LOCALES[language])


def format_local_datetime(value: datetime | None, fmt: str = "d MMMM y 'om' HH:mm") -> str:
    """`value` in Amsterdam time, in the current language; `fmt` is a Babel (CLDR) pattern."""
    return "" if value is None else _babel_datetime(value, fmt, current_language())


def format_local_date(value: date | datetime | None, fmt: str = "d MMMM y") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local_time(value).date()
    return _babel_date(value, fmt, current_language())


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


@lru_cache(maxsize=16384)
def _translated(language: str, message: str, *, autoescape: bool) -> str:
    text = translations(language).gettext(message)
    # Our own catalogue, marked safe as Jinja's own gettext does; the variables are escaped on use.
    return Markup(text) if autoescape else text  # noqa: S704  # nosec B704


def _cached_gettext(language: str) -> Any:
    """Jinja's newstyle gettext in `language` (the text is a format string, even without variables),
    with the translation looked up once per text: a long table asks for the same labels on every row.
    It takes the evaluation context, not the whole context, which Jinja would copy for each call in
    a loop."""

    @jinja2.pass_eval_context
    def cached_gettext(eval_context: jinja2.nodes.EvalContext, message: str, /, **variables: Any) -> str:
        if not variables:
            return _constant(language, message, autoescape=eval_context.autoescape)
        return _translated(language, message, autoescape=eval_context.autoescape) % variables

    return cached_gettext


@lru_cache(maxsize=16384)
def _constant(language: str, message: str, *, autoescape: bool) -> str:
    return _translated(language, message, autoescape=autoescape) % {}


#: The names under which templates call gettext (see environment()).
GETTEXT_NAMES = frozenset({"_", "gettext"})


class _ConstantGettext(jinja2.visitor.NodeTransformer):
    """Puts the translation of each `_("literal")` (without variables) into the compiled template.

    Half the time of rendering a mail went to these calls: each passes through Jinja's
    `Context.call`, dozens per mail. The catalogues are fixed for the life of the process and each
    language has its own environment (so its own compiled templates), so the text is known at
    compile time. The text is `_constant`'s, as `_cached_gettext` gives it at render time (formatted
    with no variables: `%%` becomes `%`), Markup where the template autoescapes. A text that needs
    variables is left to fail at render time, as before.
    """

    def __init__(self, language: str) -> None:
        self.language = language

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
            text = _constant(self.language, node.args[0].value, autoescape=False)
        except (KeyError, TypeError, ValueError):
            return node
        return jinja2.nodes.MarkSafeIfAutoescape(jinja2.nodes.Const(text), lineno=node.lineno)


def _assigns_gettext_name(template: jinja2.nodes.Template) -> bool:
    """Whether the template binds `_` or `gettext` itself (a loop variable, a set, a macro argument)."""
    return any(
        name.ctx != "load" and name.name in GETTEXT_NAMES for name in template.find_all(jinja2.nodes.Name)
    )


class _Environment(jinja2.Environment):
    #: Set by `environment()`: the language this environment's templates are compiled in.
    language = DEFAULT_LANGUAGE

    def _parse(self, source: str, name: str | None, filename: str | None) -> jinja2.nodes.Template:
        template = super()._parse(source, name, filename)
        if _assigns_gettext_name(template):
            return template
        return _ConstantGettext(self.language).visit(template)


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


def environment(language: str | None = None) -> jinja2.Environment:
    """The environment of `language` (default: the current one)."""
    return _environment(language or current_language())


@cache
def _environment(language: str) -> jinja2.Environment:
    """Templates are read once per process and language (no `auto_reload`): otherwise every render,
    and every extends, import and include in it, asks the file system whether the file changed. A
    changed template shows after a restart, as changed code does."""
    env = _Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        auto_reload=False,
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=DictKeyUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.language = language
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = env.globals["gettext"] = _cached_gettext(language)
    env.globals["language"] = language
    env.globals["other_languages"] = [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES if code != language]
    env.filters["money"] = format_money
    env.filters["number"] = format_number
    env.filters["datetime"] = format_local_datetime
    env.filters["date"] = format_local_date
    env.filters["css_string"] = css_string
    return env


@cache
def _templates(language: str) -> Jinja2Templates:
    return Jinja2Templates(env=_environment(language))


def templates(language: str | None = None) -> Jinja2Templates:
    return _templates(language or current_language())


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
        "return_path": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "csrf_token": getattr(state, "csrf_token", ""),
        "settings": request.app.state.settings,
    }
    page.update(context or {})
    return templates().TemplateResponse(request, name, page, status_code=status_code)


def render_text(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(context)


def render_document(name: str, context: dict[str, Any]) -> str:
    """A document for a Dutch public body's files (invoice, quote, report, handout): in Dutch, whatever
    the language of the person who asks for it (docs/developer.md: Translations)."""
    with use_language(DEFAULT_LANGUAGE):
        return render_text(name, context)
