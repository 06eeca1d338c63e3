"""Run in a separate process by test_phone_migration: migrate up to before the phone numbers' rewrite,
store a booking and a contact with numbers as people typed them, migrate to the end and print what
became of them (JSON)."""

from __future__ import annotations

import asyncio
import json
import sys

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from server.db import tortoise_config

#: Two requests with their contact's phone as typed before phone numbers were checked.
OLD_BOOKINGS = (
    "INSERT INTO booking (reference, organisation_id, offering_id, status, local_situation, themes, "
    "expected_participants, part_of_day, location_address, special_needs, contact_name, contact_phone, "
    "price_model, unit_price_cents, vat_treatment, po_number, invoice_email, calendar_sequence, "
    "cancellation_reason, cancellation_fee_cents, outcome_notes, next_step, created_at, updated_at) "
    "SELECT r.reference, organisation.id, offering.id, 'requested', '', '[]', 20, 'evening', 'Markt 1', '', "
    "'P', r.phone, 'free', 0, 'exempt_education', '', '', 0, '', 0, '', '', '2026-01-01 00:00:00+00:00', "
    "'2026-01-01 00:00:00+00:00' FROM organisation, offering, (SELECT 'WB-OUD001' AS reference, "
    "'070-3738314' AS phone UNION ALL SELECT 'WB-OUD002', 'bel de bode') AS r"
)


async def main(url: str) -> None:
    config = tortoise_config(url)
    await migrate(config=config, target="bookings.0004_day_rate_history")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    connection = Tortoise.get_connection("default")
    await connection.execute_script(
        "INSERT INTO organisation (cbs_code, name, kind, invoice_street, invoice_postcode, invoice_city, "
        "invoice_email, oin, requires_po_number, created_at, updated_at) VALUES ('GM8999', 'Zeist', "
        "'municipality', '', '', '', '', '', false, '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
    )
    await connection.execute_script(
        "INSERT INTO offering (name, stage, audience, description, duration_minutes, price_model, "
        "price_cents, vat_treatment, is_active, created_at, updated_at) VALUES ('Sessie', "
        "'council_session', 'whole_council', '', 150, 'free', 0, 'exempt_education', true, "
        "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')"
    )
    await connection.execute_script(OLD_BOOKINGS)
    await connection.execute_script(
        "INSERT INTO contact (organisation_id, function, name, email, phone, notes, created_at, "
        "updated_at) SELECT id, 'griffier', 'Petra', 'p@zeist.nl', '030 123 45 67', '', "
        "'2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00' "
        "FROM organisation"
    )
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    connection = Tortoise.get_connection("default")
    bookings = await connection.execute_query_dict(
        "SELECT reference, contact_phone FROM booking ORDER BY reference"
    )
    contacts = await connection.execute_query_dict("SELECT phone FROM contact")
    await Tortoise.close_connections()
    print(json.dumps({"bookings": bookings, "contacts": contacts}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
