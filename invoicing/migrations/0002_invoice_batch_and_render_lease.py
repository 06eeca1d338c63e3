from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('bookings', '0001_initial'), ('bookings', '0002_contacts_outreach'), ('core', '0001_initial'), ('core', '0002_outbox_attachment'), ('core', '0003_organisation_mergers'), ('invoicing', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='InvoiceBatch',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('started_by', fields.ForeignKeyField('core.User', source_field='started_by_id', null=True, db_constraint=True, to_field='id', related_name='invoice_batches', on_delete=OnDelete.SET_NULL)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('issue_date', fields.DateField()),
                ('draft_ids', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('total', fields.IntField()),
                ('issued_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('issued_numbers', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('skipped', fields.JSONField(default=dict, description='Draft id (as text) -> why it was not issued.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('error', fields.CharField(default='', max_length=300)),
                ('running', fields.CharField(null=True, unique=True, max_length=3)),
                ('host', fields.CharField(default='', max_length=100)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('takeovers', fields.IntField(default=0)),
            ],
            options={'table': 'invoice_batch', 'app': 'invoicing', 'pk_attr': 'id', 'table_description': 'A batch issue (invoicing.batch): its progress, and its guard and lease across the cluster.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Invoice',
            name='render_lease_until',
            field=fields.DatetimeField(null=True, description="Until when one process has the render of this document's files (invoicing.documents).", auto_now=False, auto_now_add=False),
        ),
    ]
