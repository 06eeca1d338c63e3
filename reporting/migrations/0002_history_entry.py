from tortoise import migrations
from tortoise.migrations import operations as ops
from reporting.models import HistoryStep
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_outbox_attachment'), ('reporting', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HistoryEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('core.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='history', on_delete=OnDelete.RESTRICT)),
                ('step', fields.CharEnumField(description='INTAKE: intake\nCOUNCIL_SESSION: raadsbrede_sessie\nFOLLOW_UP: vervolgtraining', enum_type=HistoryStep, max_length=32)),
                ('held_on', fields.DateField()),
                ('participants', fields.IntField(null=True)),
                ('note', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'history_entry', 'app': 'reporting', 'unique_together': (('organisation', 'step', 'held_on'),), 'pk_attr': 'id', 'table_description': 'A session an organisation had before the tour used this app (imported, never booked).'},
            bases=['Model'],
        ),
    ]
