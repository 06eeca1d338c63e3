"""No text is translated at import time: labels defined in a module translate when they are used.

The language is per request (server.i18n.use_language); a `_()` at module level, in a class body, in a
default argument or in a decorator's arguments runs once, before any request, and freezes Dutch.
Such texts use `lazy_gettext` (or become a function); this test finds the rest in the source, and
checks with a small English catalogue that converted labels follow the language of the moment.
"""

from __future__ import annotations

import ast
import gettext
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

from server import i18n
from server.app import JOB_LABELS
from server.audit import in_dutch
from server.errors import ValidationFailed
from server.forms import EMAIL_MESSAGE
from server.i18n import use_language
from server.models import AuditEntry, Role
from server.navigation import NAVIGATION
from server.problems import problem, problem_for
from server.settings import PROJECT_DIR
from server.users import ROLE_LABELS, change_role
from tests.factories import make_user

PACKAGES = ("server", "bookings", "feedback", "invoicing", "reporting")
#: The gettext functions that translate on the spot; `lazy_gettext` is the one allowed at import time.
TRANSLATING = {"_", "gettext", "ngettext", "pgettext", "npgettext"}


def _is_translation(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    function = node.func
    name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)
    return name in TRANSLATING


def _evaluated(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes of an expression that run when it is evaluated: not the body of a lambda."""
    yield node
    if isinstance(node, ast.Lambda):
        children: list[ast.AST] = [*node.args.defaults, *(d for d in node.args.kw_defaults if d)]
    else:
        children = list(ast.iter_child_nodes(node))
    for child in children:
        yield from _evaluated(child)


def _run_at_import(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """The expressions of a module (or class) body that run when it is imported: everything except
    the bodies of functions, but with their decorators and default values."""
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = statement.args
            yield from statement.decorator_list
            yield from arguments.defaults
            yield from (default for default in arguments.kw_defaults if default is not None)
        elif isinstance(statement, ast.ClassDef):
            yield from statement.decorator_list
            yield from statement.bases
            yield from (keyword.value for keyword in statement.keywords)
            yield from _run_at_import(statement.body)
        else:
            for value in ast.iter_child_nodes(statement):
                if isinstance(value, ast.stmt):  # the body of an if, try, with or for
                    yield from _run_at_import([value])
                elif isinstance(value, ast.excepthandler):
                    yield from _run_at_import(value.body)
                else:
                    yield value


def import_time_translations(source: str) -> list[tuple[int, str]]:
    """(line, call) of each translating call in `source` that runs at import time."""
    found = []
    for expression in _run_at_import(ast.parse(source).body):
        for node in _evaluated(expression):
            if _is_translation(node):
                found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


def source_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((PROJECT_DIR / package).rglob("*.py")):
            if "migrations" not in path.parts and "tests" not in path.parts:
                yield path


def test_no_module_translates_at_import_time() -> None:
    found = [
        f"{path.relative_to(PROJECT_DIR)}:{line}: {call}"
        for path in source_files()
        for line, call in import_time_translations(path.read_text(encoding="utf-8"))
    ]
    advice = "use lazy_gettext (or a function) for texts defined at import time:\n"
    assert not found, advice + "\n".join(found)
    assert len(list(source_files())) > 100  # the walk found the packages


SAMPLE = """
from server.i18n import _, gettext, lazy_gettext, ngettext, pgettext

TITLE = _("module level")                                       # 4
LABELS = {"a": gettext("in a dict")}                            # 5
PLURAL = [ngettext("een", "twee", n) for n in (1, 2)]           # 6
if True:
    INSIDE_IF = pgettext("context", "in an if")                 # 8
LAZY = lazy_gettext("allowed")
LATER = lambda: _("a lambda's body runs later")                  # noqa


class Form:
    message = _("class body")                                   # 14

    def check(self, text=_("default argument")):                # 16
        return _("inside a function: fine")


@decorate(_("decorator argument"))                              # 20
def view(*, title=i18n.gettext("keyword default")):             # 21
    return ngettext("one", "more", 2)
"""


def test_the_walk_finds_each_kind_of_import_time_call() -> None:
    lines = [line for line, _call in import_time_translations(SAMPLE)]
    assert lines == [4, 5, 6, 8, 14, 16, 20, 21]


@pytest.fixture
def english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny English catalogue in place of locale/en (which is still being filled)."""
    catalog = Catalog(locale="en", domain="messages")
    for dutch, english_text in {
        "Herinneringen voor sessies versturen": "Send session reminders",
        "Gebruikers": "Users",
        "Niet gevonden": "Not found",
        "Ongeldige invoer": "Invalid input",
        "trainer": "trainer (en)",
        "Vul één geldig e-mailadres in, bijvoorbeeld naam@gemeente.nl.": "Enter one valid e-mail address.",
    }.items():
        catalog.add(dutch, english_text)
    compiled = tmp_path / "messages.mo"
    with compiled.open("wb") as handle:
        write_mo(handle, catalog)
    with compiled.open("rb") as handle:
        translations = gettext.GNUTranslations(handle)
    dutch_catalogue = i18n.translations
    monkeypatch.setattr(
        i18n, "translations", lambda language: translations if language == "en" else dutch_catalogue(language)
    )


def _navigation_label(role: Role, href: str) -> str:
    return next(str(item.label) for item in NAVIGATION[role] if item.href == href)


def test_labels_defined_at_import_follow_the_language_of_the_moment(english: None) -> None:
    with use_language("en"):
        assert str(JOB_LABELS["send_booking_reminders"]) == "Send session reminders"
        assert _navigation_label(Role.COORDINATOR, "/beheer/gebruikers") == "Users"
        assert str(ROLE_LABELS[Role.TRAINER]) == "trainer (en)"
    with use_language("nl"):
        assert str(JOB_LABELS["send_booking_reminders"]) == "Herinneringen voor sessies versturen"
        assert _navigation_label(Role.COORDINATOR, "/beheer/gebruikers") == "Gebruikers"
        assert str(ROLE_LABELS[Role.TRAINER]) == "trainer"


async def test_audit_summaries_keep_labels_in_dutch(english: None) -> None:
    coordinator = await make_user(Role.COORDINATOR)
    user = await make_user(Role.FINANCE, email="f@example.org")
    with use_language("en"):
        assert in_dutch(ROLE_LABELS[Role.TRAINER]) == "trainer"
        await change_role(user.id, "trainer", "", actor=coordinator)
    entry = await AuditEntry.get(action="role_changed")
    assert entry.summary == "f@example.org: trainer"


def test_problem_json_carries_titles_and_messages_as_text_in_the_language(english: None) -> None:
    with use_language("en"):
        missing = json.loads(problem(404, "x").body)
        refused = json.loads(problem_for(ValidationFailed({"email": EMAIL_MESSAGE})).body)
    assert missing["title"] == "Not found"
    assert refused["detail"] == "Enter one valid e-mail address."
    assert refused["invalidParams"] == [{"name": "email", "reason": "Enter one valid e-mail address."}]
    with use_language("nl"):
        assert json.loads(problem(404, "x").body)["title"] == "Niet gevonden"
