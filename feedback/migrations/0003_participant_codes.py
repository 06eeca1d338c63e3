from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('bookings', '0001_initial'), ('bookings', '0002_contacts_outreach'), ('core', '0001_initial'), ('core', '0002_outbox_attachment'), ('core', '0003_organisation_mergers'), ('feedback', '0002_leads')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ParticipantCode',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('feedback.SessionFeedback', source_field='session_id', db_constraint=True, to_field='id', related_name='participant_codes', on_delete=OnDelete.CASCADE)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('is_used', fields.BooleanField(default=False)),
            ],
            options={'table': 'feedback_participant_code', 'app': 'feedback', 'indexes': [Index(fields=['session_id', 'is_used'])], 'pk_attr': 'id', 'table_description': "A single-use code on a participant's slip or in the clerk's mail: it admits one response."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Response',
            name='via_open_link',
            field=fields.BooleanField(default=False, description='Came in through the open link rather than with a participant code.', db_default=False),
        ),
        ops.AddField(
            model_name='SessionFeedback',
            name='is_open_link',
            field=fields.BooleanField(default=False, description='The open link (anyone with `code` may respond, one response per device): a fallback a', db_default=False),
        ),
    ]
