from tortoise import migrations
from tortoise.migrations import operations as ops
from invoicing.fee_statement_models import FeeStatementStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('bookings', '0001_initial'), ('bookings', '0002_contacts_outreach'), ('core', '0001_initial'), ('core', '0002_outbox_attachment'), ('core', '0003_organisation_mergers'), ('invoicing', '0001_initial'), ('invoicing', '0002_invoice_batch_and_render_lease')]

    initial = False

    operations = [
        ops.CreateModel(
            name='FeeStatement',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('trainer', fields.ForeignKeyField('core.User', source_field='trainer_id', db_constraint=True, to_field='id', related_name='fee_statements', on_delete=OnDelete.RESTRICT)),
                ('month', fields.DateField()),
                ('status', fields.CharEnumField(default=FeeStatementStatus.DRAFT, description='DRAFT: draft\nSUBMITTED: submitted\nAPPROVED: approved', enum_type=FeeStatementStatus, max_length=16)),
                ('trainer_name', fields.CharField(default='', max_length=200)),
                ('vat_percent', fields.IntField(default=0)),
                ('fee_cents', fields.IntField(default=0)),
                ('travel_cents', fields.IntField(default=0)),
                ('vat_cents', fields.IntField(default=0)),
                ('total_cents', fields.IntField(default=0)),
                ('returned_reason', fields.TextField(default='', description='Why a coordinator sent the statement back (empty unless it was).', unique=False)),
                ('submitted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('submitted_by', fields.ForeignKeyField('core.User', source_field='submitted_by_id', null=True, db_constraint=True, to_field='id', related_name='submitted_fee_statements', on_delete=OnDelete.SET_NULL)),
                ('approved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('approved_by', fields.ForeignKeyField('core.User', source_field='approved_by_id', null=True, db_constraint=True, to_field='id', related_name='approved_fee_statements', on_delete=OnDelete.SET_NULL)),
                ('pdf', fields.BinaryField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'fee_statement', 'app': 'invoicing', 'unique_together': (('trainer', 'month'),), 'pk_attr': 'id', 'table_description': "One trainer's statement for one month (`month` is its first day)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FeeStatementLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('statement', fields.ForeignKeyField('invoicing.FeeStatement', source_field='statement_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('assignment', fields.ForeignKeyField('bookings.AssignmentRequest', source_field='assignment_id', null=True, unique=True, db_constraint=True, to_field='id', related_name='fee_statement_lines', on_delete=OnDelete.SET_NULL)),
                ('session_date', fields.DateField()),
                ('description', fields.CharField(max_length=300)),
                ('minutes', fields.IntField()),
                ('day_rate_cents', fields.IntField()),
                ('fee_cents', fields.IntField()),
                ('travel_cents', fields.IntField(default=0)),
                ('travel_note', fields.CharField(default='', max_length=200)),
            ],
            options={'table': 'fee_statement_line', 'app': 'invoicing', 'pk_attr': 'id', 'table_description': 'One session the trainer gave: its hours, the day rate valid on its day, the fee and travel costs.'},
            bases=['Model'],
        ),
    ]
