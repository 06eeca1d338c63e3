"""Invoicing test set-up: the team's details filled in, and a finance user."""

from __future__ import annotations

import pytest

from invoicing.models import SellerSettings
from server.models import Role, User
from tests.factories import make_user


@pytest.fixture
async def finance() -> User:
    await SellerSettings.create(
        id=1,
        legal_name="Ondersteuningsteam Weerbaar Bestuur",
        street="Lange Voorhout 1",
        postcode="2514 EA",
        city="Den Haag",
        kvk="12345678",
        vat_id="NL123456782B01",
        iban="NL91ABNA0417164300",
        invoice_email="facturen@weerbaar.example",
    )
    return await make_user(Role.FINANCE)
