from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('bookings', '0001_initial'), ('bookings', '0002_contacts_outreach'), ('bookings', '0003_calendar_invitations'), ('core', '0001_initial'), ('core', '0002_outbox_attachment'), ('core', '0003_organisation_mergers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DayRate',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('trainer', fields.ForeignKeyField('core.User', source_field='trainer_id', db_constraint=True, to_field='id', related_name='day_rates', on_delete=OnDelete.CASCADE)),
                ('valid_from', fields.DateField()),
                ('day_rate_cents', fields.IntField()),
                ('set_by', fields.ForeignKeyField('core.User', source_field='set_by_id', null=True, db_constraint=True, to_field='id', related_name='day_rates_set', on_delete=OnDelete.SET_NULL)),
                ('set_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'day_rate', 'app': 'bookings', 'unique_together': (('trainer', 'valid_from'),), 'pk_attr': 'id', 'table_description': "A trainer's day rate (for 8 hours) from `valid_from` on, where 0 means no rate from that day."},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='TrainerProfile',
            options={'table': 'trainer_profile', 'app': 'bookings', 'pk_attr': 'id', 'table_description': 'What the team knows of a trainer for staffing.'},
        ),
        ops.AddField(
            model_name='TrainerProfile',
            name='is_vat_registered',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.RunSQL(
            "INSERT INTO day_rate (trainer_id, valid_from, day_rate_cents) "
            "SELECT user_id, '1900-01-01', day_rate_cents FROM trainer_profile WHERE day_rate_cents > 0"
        ),
        ops.RemoveField(model_name='TrainerProfile', name='day_rate_cents'),
    ]
