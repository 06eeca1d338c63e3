"""Contacts of an organisation (on its page), and the coordinators' upload of a contacts CSV."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bookings import contacts
from bookings.contacts_models import Contact, function_options
from server.access import requires
from server.errors import NotFound, ValidationFailed
from server.forms import values_of
from server.models import Organisation, Role
from server.organisations import organisation_for
from server.security import read_form
from server.templating import render


async def _organisation(request: Request) -> Organisation:
    return await organisation_for(request.state.user, request.path_params["code"])


def _contact_id(request: Request) -> int:
    raw = request.path_params["person_id"]
    if not raw.isdigit() or len(raw) > 9:
        raise NotFound()
    return int(raw)


def _form_page(
    request: Request,
    organisation: Organisation,
    contact: Contact | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "organisations/contact_form.html",
        {
            "organisation": organisation,
            "contact": contact,
            "values": values,
            "errors": errors,
            "function_options": function_options(),
        },
        status_code=status_code,
    )


def _back(organisation: Organisation, notice: str) -> Response:
    return RedirectResponse(
        f"/organisaties/{organisation.cbs_code}?melding={notice}#contactpersonen", status_code=303
    )


@requires(Role.CLERK, Role.COORDINATOR)
async def add_contact(request: Request) -> Response:
    organisation = await _organisation(request)
    values = values_of(await read_form(request), *contacts.CONTACT_FIELDS)
    try:
        await contacts.add_contact(organisation, values, actor=request.state.user)
    except ValidationFailed as error:
        return _form_page(request, organisation, None, values, error.errors, status_code=400)
    return _back(organisation, "contactpersoon")


@requires(Role.CLERK, Role.COORDINATOR)
async def contact_form(request: Request) -> Response:
    organisation = await _organisation(request)
    contact = await contacts.contact_of(organisation, _contact_id(request), actor=request.state.user)
    values = {name: str(getattr(contact, name)) for name in contacts.CONTACT_FIELDS}
    return _form_page(request, organisation, contact, values, {})


@requires(Role.CLERK, Role.COORDINATOR)
async def save_contact(request: Request) -> Response:
    organisation = await _organisation(request)
    contact_id = _contact_id(request)
    contact = await contacts.contact_of(organisation, contact_id, actor=request.state.user)
    values = values_of(await read_form(request), *contacts.CONTACT_FIELDS)
    try:
        await contacts.update_contact(organisation, contact_id, values, actor=request.state.user)
    except ValidationFailed as error:
        return _form_page(request, organisation, contact, values, error.errors, status_code=400)
    return _back(organisation, "contactpersoon")


@requires(Role.CLERK, Role.COORDINATOR)
async def remove_contact(request: Request) -> Response:
    organisation = await _organisation(request)
    await read_form(request)
    await contacts.remove_contact(organisation, _contact_id(request), actor=request.state.user)
    return _back(organisation, "contactpersoon-verwijderd")


def _upload_page(
    request: Request, report: contacts.ContactImportReport | None, error: str, status_code: int = 200
) -> Response:
    return render(
        request,
        "organisations/contacts_upload.html",
        {"report": report, "errors": {"file": error} if error else {}, "columns": ",".join(contacts.COLUMNS)},
        status_code=status_code,
    )


@requires(Role.COORDINATOR)
async def upload_form(request: Request) -> Response:
    return _upload_page(request, None, "")


@requires(Role.COORDINATOR)
async def upload(request: Request) -> Response:
    form = await read_form(request, max_files=1)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _upload_page(request, None, contacts.NO_FILE, status_code=400)
    try:
        text = contacts.decoded_upload(await upload.read())
        report = await contacts.import_contacts(text, source=upload.filename, actor=request.state.user)
    except contacts.ImportFailed as error:
        return _upload_page(request, None, error.message, status_code=400)
    return _upload_page(request, report, "")


routes = [
    Route("/organisaties/{code}/contactpersonen", add_contact, methods=["POST"]),
    Route("/organisaties/{code}/contactpersonen/{person_id}", contact_form, methods=["GET"]),
    Route("/organisaties/{code}/contactpersonen/{person_id}", save_contact, methods=["POST"]),
    Route("/organisaties/{code}/contactpersonen/{person_id}/verwijderen", remove_contact, methods=["POST"]),
    Route("/contactpersonen/importeren", upload_form, methods=["GET"]),
    Route("/contactpersonen/importeren", upload, methods=["POST"]),
]
