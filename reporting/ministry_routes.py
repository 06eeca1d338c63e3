"""The ministry's report per quarter and per year (PDF and CSV), for coordinators."""

from __future__ import annotations

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
