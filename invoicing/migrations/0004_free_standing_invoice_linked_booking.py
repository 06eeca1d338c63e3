from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('bookings', '0001_initial'), ('bookings', '0002_contacts_outreach'), ('core', '0001_initial'), ('core', '0002_outbox_attachment'), ('core', '0003_organisation_mergers'), ('invoicing', '0001_initial'), ('invoicing', '0002_invoice_batch_and_render_lease'), ('invoicing', '0003_fee_statements')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Invoice',
            name='linked_booking',
            field=fields.ForeignKeyField('bookings.Booking', source_field='linked_booking_id', null=True, description='A free-standing invoice (no `booking`: travel costs, materials, an extra half day) may name the', db_constraint=True, to_field='id', related_name='linked_invoices', on_delete=OnDelete.RESTRICT),
        ),
    ]
