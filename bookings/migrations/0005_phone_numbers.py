"""Phone numbers stored before they were checked are rewritten in the international format the forms
now store ("+31 70 373 8314"); a number phonenumbers cannot read stays as it was typed. The rule is
copied here, not imported, so this migration keeps doing what it did when the forms change."""

import phonenumbers
from tortoise import migrations
from tortoise.migrations import operations as ops

#: (table, column) holding a phone number typed into a form; constants, never user input.
PHONE_COLUMNS = (("booking", "contact_phone"), ("contact", "phone"))


def _normalised(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw.strip(), "NL")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


async def normalise_phone_numbers(apps, schema_editor) -> None:
    client = schema_editor.client
    marks = ("$1", "$2") if client.capabilities.dialect == "postgres" else ("?", "?")
    for table, column in PHONE_COLUMNS:
        select = f'SELECT id, {column} AS phone FROM "{table}"'  # nosec B608 - constant names
        update = f'UPDATE "{table}" SET {column} = {marks[0]} WHERE id = {marks[1]}'  # nosec B608
        for row in await client.execute_query_dict(select):
            normal = _normalised(row["phone"] or "")
            if normal and normal != row["phone"]:
                await client.execute_query(update, [normal, row["id"]])


class Migration(migrations.Migration):
    dependencies = [("bookings", "0004_day_rate_history")]

    initial = False

    operations = [ops.RunPython(normalise_phone_numbers, ops.RunPython.noop)]
