from tortoise import migrations
from tortoise.migrations import operations as ops
from feedback.models import LeadSource, LeadStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('bookings', '0002_contacts_outreach'), ('core', '0003_organisation_mergers'), ('feedback', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Lead',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('core.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='leads', on_delete=OnDelete.CASCADE)),
                ('session', fields.ForeignKeyField('feedback.SessionFeedback', source_field='session_id', db_constraint=True, to_field='id', related_name='leads', on_delete=OnDelete.CASCADE)),
                ('source', fields.CharEnumField(description='CONTACT_REQUEST: contact_request\nFOLLOW_UP_INTEREST: follow_up_interest', enum_type=LeadSource, max_length=32)),
                ('key', fields.CharField(unique=True, description='One lead per contact request, and one per session for its follow-up answers: the unique key', max_length=64)),
                ('contact_request', fields.ForeignKeyField('feedback.ContactRequest', source_field='contact_request_id', null=True, db_constraint=True, to_field='id', related_name='leads', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=LeadStatus.NEW, description='NEW: new\nCONTACTED: contacted\nBOOKED: booked\nNOT_NOW: not_now', enum_type=LeadStatus, max_length=16)),
                ('owner', fields.ForeignKeyField('core.User', source_field='owner_id', null=True, db_constraint=True, to_field='id', related_name='owned_leads', on_delete=OnDelete.SET_NULL)),
                ('next_on', fields.DateField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'feedback_lead', 'app': 'feedback', 'indexes': [Index(fields=['status', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A chance of a follow-up training: a participant asked to be contacted, or participants of a'},
            bases=['Model'],
        ),
    ]
