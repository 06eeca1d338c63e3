from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0008_user_language'), ('reporting', '0003_tour_target_description')]

    initial = False

    operations = [
        ops.CreateModel(
            name='OrganisationFigures',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.OneToOneField('core.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='figures', on_delete=OnDelete.CASCADE)),
                ('since_invited', fields.DateField(null=True)),
                ('since_intake_planned', fields.DateField(null=True)),
                ('since_intake_held', fields.DateField(null=True)),
                ('since_session_planned', fields.DateField(null=True)),
                ('since_session_held', fields.DateField(null=True)),
                ('since_follow_up_booked', fields.DateField(null=True)),
                ('since_follow_up_held', fields.DateField(null=True)),
                ('booked_intake_planned', fields.DateField(null=True)),
                ('booked_session_planned', fields.DateField(null=True)),
                ('booked_follow_up_booked', fields.DateField(null=True)),
                ('before_app_intake_held', fields.BooleanField(default=False)),
                ('before_app_session_held', fields.BooleanField(default=False)),
                ('before_app_follow_up_held', fields.BooleanField(default=False)),
                ('last_activity_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_invited_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'organisation_figures', 'app': 'reporting', 'pk_attr': 'id', 'table_description': "An organisation's own tour steps, as `reporting.stages.step_facts` computes them: per step"},
            bases=['Model'],
        ),
    ]
