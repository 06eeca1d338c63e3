from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

#: Sessions confirmed before this migration: their clerk and accepted trainers already hold the
#: invitation (sent with the booking's SEQUENCE), so that a later update or cancellation reaches them.
#: A rescheduled session (SEQUENCE above 0) had its update sent to the clerk.
BACKFILL = [
    """INSERT INTO calendar_invitation (booking_id, address, sequence, is_cancelled, sent_at)
    SELECT b.id, u.email, b.calendar_sequence, FALSE, b.updated_at
    FROM booking b JOIN "user" u ON u.id = b.requested_by_id
    WHERE b.starts_at IS NOT NULL
      AND (b.status = 'confirmed' OR (b.status = 'scheduled' AND b.calendar_sequence > 0))""",
    """INSERT INTO calendar_invitation (booking_id, address, sequence, is_cancelled, sent_at)
    SELECT DISTINCT b.id, u.email, b.calendar_sequence, FALSE, b.updated_at
    FROM booking b
    JOIN assignment_request r ON r.booking_id = b.id AND r.status = 'accepted'
    JOIN "user" u ON u.id = r.trainer_id
    WHERE b.status = 'confirmed' AND b.starts_at IS NOT NULL
      AND NOT EXISTS (
        SELECT 1 FROM calendar_invitation c WHERE c.booking_id = b.id AND c.address = u.email
      )""",
]


class Migration(migrations.Migration):
    dependencies = [('bookings', '0001_initial'), ('bookings', '0002_contacts_outreach'), ('core', '0001_initial'), ('core', '0002_outbox_attachment'), ('core', '0003_organisation_mergers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CalendarInvitation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('booking', fields.ForeignKeyField('bookings.Booking', source_field='booking_id', db_constraint=True, to_field='id', related_name='calendar_invitations', on_delete=OnDelete.CASCADE)),
                ('address', fields.CharField(max_length=254)),
                ('sequence', fields.IntField()),
                ('is_cancelled', fields.BooleanField(default=False)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'calendar_invitation', 'app': 'bookings', 'unique_together': (('booking', 'address'),), 'pk_attr': 'id', 'table_description': "What one address's calendar holds of one session: the SEQUENCE last sent there, and whether"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Booking',
            name='contact_email',
            field=fields.CharField(default='', description='Optional: the contact on the day gets the calendar invitations too when an address is given.', db_default='', max_length=254),
        ),
        ops.RunSQL(BACKFILL, reverse_sql=["DELETE FROM calendar_invitation"]),
    ]
