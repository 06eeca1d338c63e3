"""Invoicing test set-up: the team's details filled in, and a finance user."""

from __future__ import annotations

import pytest

from server.models import Role, User
from tests.factories import make_user
from tests.invoicing.factories import complete_seller_settings


@pytest.fixture
async def finance() -> User:
    await complete_seller_settings()
    return await make_user(Role.FINANCE)
