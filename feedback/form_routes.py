"""Coordinators' pages for feedback forms: the list, one form with its questions, and their changes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from feedback import form_questions, forms_service
from feedback.forms_service import FormLocked
from feedback.models import QuestionKind
from server.access import requires
from server.errors import NotFound, ValidationFailed
from server.forms import values_of
from server.i18n import lazy_gettext
from server.models import Role
from server.security import read_form
from server.templating import render

NOTICES = {
    "aangemaakt": lazy_gettext("Het formulier is aangemaakt. Voeg nu de vragen toe."),
    "toegevoegd": lazy_gettext("De vraag is toegevoegd."),
    "gewijzigd": lazy_gettext("De vraag is gewijzigd."),
    "verwijderd": lazy_gettext("De vraag is verwijderd."),
    "verplaatst": lazy_gettext("De volgorde is gewijzigd."),
    "hernoemd": lazy_gettext("De naam is gewijzigd."),
    "nieuwe-versie": lazy_gettext(
        "De nieuwe versie is gemaakt. Het aanbod dat de vorige versie gebruikte, gebruikt nu deze."
    ),
    "gekoppeld": lazy_gettext("Het aanbod gebruikt nu dit formulier."),
}
NEW_QUESTION = {"kind": "", "text": "", "options": "", "is_required": "on", "marks_follow_up_interest": ""}


def _id(request: Request, name: str) -> int:
    raw = request.path_params[name]
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound()
    return int(raw)


def _form_url(form_id: int, notice: str = "") -> str:
    return f"/feedbackformulieren/{form_id}" + (f"?melding={notice}" if notice else "")


@requires(Role.COORDINATOR)
async def form_list(request: Request) -> Response:
    return await _list_page(request)


async def _list_page(
    request: Request, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> Response:
    return render(
        request,
        "feedback/forms/list.html",
        {
            "summaries": await forms_service.form_overview(),
            "values": values or {"name": ""},
            "errors": errors or {},
        },
        status_code=400 if errors else 200,
    )


@requires(Role.COORDINATOR)
async def create_form(request: Request) -> Response:
    values = values_of(await read_form(request), "name")
    try:
        form = await forms_service.create_form(values["name"], actor=request.state.user)
    except ValidationFailed as error:
        return await _list_page(request, values, error.errors)
    return RedirectResponse(_form_url(form.id, "aangemaakt"), status_code=303)


async def _form_page(
    request: Request,
    form_id: int,
    *,
    section: str = "",
    question_id: int | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    locked_message: str = "",
) -> Response:
    """The form page; after a failed POST, `section` ("vraag", "wijzig", "naam", "aanbod") says which
    form on the page the `values` and `errors` belong to."""
    detail = await forms_service.form_detail(form_id)
    edit_values = {q.id: form_questions.question_values(q) for q in detail.questions}
    if section == "wijzig" and question_id in edit_values and values is not None:
        edit_values[question_id] = values
    status_code = 200
    if errors:
        status_code = 400
    elif locked_message:
        status_code = 409
    return render(
        request,
        "feedback/forms/form.html",
        {
            "detail": detail,
            "form": detail.form,
            "kinds": list(QuestionKind),
            "edit_values": edit_values,
            "new_values": values if section == "vraag" and values is not None else NEW_QUESTION,
            "name_value": values["name"] if section == "naam" and values else detail.form.name,
            "section": section,
            "question_id": question_id,
            "errors": errors or {},
            "notice": NOTICES.get(request.query_params.get("melding", "")),
            "locked_message": locked_message,
        },
        status_code=status_code,
    )


@requires(Role.COORDINATOR)
async def form_page(request: Request) -> Response:
    return await _form_page(request, _id(request, "form_id"))


@requires(Role.COORDINATOR)
async def add_question(request: Request) -> Response:
    form_id = _id(request, "form_id")
    values = values_of(await read_form(request), *form_questions.QUESTION_FIELDS)
    try:
        await form_questions.add_question(form_id, values, actor=request.state.user)
    except ValidationFailed as error:
        return await _form_page(request, form_id, section="vraag", values=values, errors=error.errors)
    except FormLocked as error:
        return await _form_page(request, form_id, locked_message=error.message)
    return RedirectResponse(_form_url(form_id, "toegevoegd") + "#vragen", status_code=303)


@requires(Role.COORDINATOR)
async def update_question(request: Request) -> Response:
    form_id, question_id = _id(request, "form_id"), _id(request, "question_id")
    values = values_of(await read_form(request), *form_questions.QUESTION_FIELDS)
    try:
        await form_questions.update_question(question_id, values, actor=request.state.user, form_id=form_id)
    except ValidationFailed as error:
        return await _form_page(
            request, form_id, section="wijzig", question_id=question_id, values=values, errors=error.errors
        )
    except FormLocked as error:
        return await _form_page(request, form_id, locked_message=error.message)
    return RedirectResponse(_form_url(form_id, "gewijzigd") + f"#vraag-{question_id}", status_code=303)


@requires(Role.COORDINATOR)
async def remove_question(request: Request) -> Response:
    form_id, question_id = _id(request, "form_id"), _id(request, "question_id")
    await read_form(request)
    try:
        await form_questions.remove_question(question_id, actor=request.state.user, form_id=form_id)
    except FormLocked as error:
        return await _form_page(request, form_id, locked_message=error.message)
    return RedirectResponse(_form_url(form_id, "verwijderd") + "#vragen", status_code=303)


async def _move(request: Request, direction: str) -> Response:
    form_id, question_id = _id(request, "form_id"), _id(request, "question_id")
    await read_form(request)
    try:
        await form_questions.move_question(question_id, direction, actor=request.state.user, form_id=form_id)
    except FormLocked as error:
        return await _form_page(request, form_id, locked_message=error.message)
    return RedirectResponse(_form_url(form_id, "verplaatst") + f"#vraag-{question_id}", status_code=303)


@requires(Role.COORDINATOR)
async def move_up(request: Request) -> Response:
    return await _move(request, "up")


@requires(Role.COORDINATOR)
async def move_down(request: Request) -> Response:
    return await _move(request, "down")


@requires(Role.COORDINATOR)
async def rename_form(request: Request) -> Response:
    form_id = _id(request, "form_id")
    values = values_of(await read_form(request), "name")
    try:
        await forms_service.rename_form(form_id, values["name"], actor=request.state.user)
    except ValidationFailed as error:
        return await _form_page(request, form_id, section="naam", values=values, errors=error.errors)
    except FormLocked as error:
        return await _form_page(request, form_id, locked_message=error.message)
    return RedirectResponse(_form_url(form_id, "hernoemd"), status_code=303)


@requires(Role.COORDINATOR)
async def new_version(request: Request) -> Response:
    form_id = _id(request, "form_id")
    await read_form(request)
    try:
        form = await forms_service.new_version(form_id, actor=request.state.user)
    except FormLocked as error:
        return await _form_page(request, form_id, locked_message=error.message)
    return RedirectResponse(_form_url(form.id, "nieuwe-versie"), status_code=303)


@requires(Role.COORDINATOR)
async def link_offering(request: Request) -> Response:
    form_id = _id(request, "form_id")
    values = values_of(await read_form(request), "offering_id")
    raw = values["offering_id"]
    try:
        await forms_service.set_offering_form(
            int(raw) if raw.isdigit() and len(raw) < 10 else 0, form_id, actor=request.state.user
        )
    except ValidationFailed as error:
        return await _form_page(request, form_id, section="aanbod", values=values, errors=error.errors)
    except FormLocked as error:
        return await _form_page(request, form_id, locked_message=error.message)
    return RedirectResponse(_form_url(form_id, "gekoppeld") + "#gebruikt-door", status_code=303)


routes = [
    Route("/feedbackformulieren", form_list, methods=["GET"]),
    Route("/feedbackformulieren", create_form, methods=["POST"]),
    Route("/feedbackformulieren/{form_id}", form_page, methods=["GET"]),
    Route("/feedbackformulieren/{form_id}/naam", rename_form, methods=["POST"]),
    Route("/feedbackformulieren/{form_id}/nieuwe-versie", new_version, methods=["POST"]),
    Route("/feedbackformulieren/{form_id}/aanbod", link_offering, methods=["POST"]),
    Route("/feedbackformulieren/{form_id}/vragen", add_question, methods=["POST"]),
    Route("/feedbackformulieren/{form_id}/vragen/{question_id}", update_question, methods=["POST"]),
    Route("/feedbackformulieren/{form_id}/vragen/{question_id}/omhoog", move_up, methods=["POST"]),
    Route("/feedbackformulieren/{form_id}/vragen/{question_id}/omlaag", move_down, methods=["POST"]),
    Route(
        "/feedbackformulieren/{form_id}/vragen/{question_id}/verwijderen", remove_question, methods=["POST"]
    ),
]
