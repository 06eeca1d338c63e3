"""Small helpers shared by the form-handling routes."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request


def values_of(form: FormData, *names: str) -> dict[str, str]:
    """The named text fields, trimmed of nothing, missing ones as ''; files are ignored."""
    values: dict[str, str] = {}
    for name in names:
        value = form.get(name, "")
        values[name] = value if isinstance(value, str) else ""
    return values


def safe_next(target: str | None, default: str) -> str:
    """A local path to continue to after login; anything else (other hosts, '//x') gives `default`."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def client_address(request: Request) -> str:
    return request.client.host if request.client else "onbekend"


def page_number(request: Request) -> int:
    raw = request.query_params.get("pagina", "1")
    return max(int(raw), 1) if raw.isdigit() and len(raw) < 6 else 1
