from tortoise import migrations
from tortoise.migrations import operations as ops
from bookings.contacts_models import ContactFunction
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('bookings', '0001_initial'), ('core', '0001_initial'), ('core', '0002_outbox_attachment')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Contact',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('core.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='contacts', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('function', fields.CharEnumField(description='GRIFFIER: griffier\nBURGEMEESTER: burgemeester\nCOMMISSARIS: commissaris\nSECRETARIS: secretaris\nVEILIGHEID: veiligheid\nCOMMUNICATIE: communicatie\nOVERIG: overig', enum_type=ContactFunction, max_length=16)),
                ('email', fields.CharField(max_length=254)),
                ('phone', fields.CharField(default='', max_length=40)),
                ('notes', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'contact', 'app': 'bookings', 'unique_together': (('organisation', 'email'),), 'pk_attr': 'id', 'table_description': "A person of an organisation: an address book entry, not an account."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutreachRecipient',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('invitation', fields.ForeignKeyField('bookings.TourInvitation', source_field='invitation_id', db_constraint=True, to_field='id', related_name='outreach_recipients', on_delete=OnDelete.CASCADE)),
                ('contact', fields.ForeignKeyField('bookings.Contact', source_field='contact_id', null=True, db_constraint=True, to_field='id', related_name='outreach', on_delete=OnDelete.SET_NULL)),
                ('user', fields.ForeignKeyField('core.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='outreach', on_delete=OnDelete.SET_NULL)),
                ('name', fields.CharField(max_length=200)),
                ('email', fields.CharField(max_length=254)),
                ('function', fields.CharEnumField(description='GRIFFIER: griffier\nBURGEMEESTER: burgemeester\nCOMMISSARIS: commissaris\nSECRETARIS: secretaris\nVEILIGHEID: veiligheid\nCOMMUNICATIE: communicatie\nOVERIG: overig', enum_type=ContactFunction, max_length=16)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('mailed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reminders_sent', fields.IntField(default=0)),
                ('mail', fields.ForeignKeyField('core.OutboxMessage', source_field='mail_id', null=True, db_constraint=True, to_field='id', related_name='outreach', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'outreach_recipient', 'app': 'bookings', 'pk_attr': 'id', 'table_description': 'One person a tour invitation was mailed to, with the link that person may use once.'},
            bases=['Model'],
        ),
    ]
