from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_outbox_attachment')]

    initial = True

    operations = [
        ops.CreateModel(
            name='TourTarget',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('stage', fields.CharField(max_length=32)),
                ('percent', fields.IntField()),
                ('starts_on', fields.DateField()),
                ('deadline', fields.DateField()),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('updated_by', fields.ForeignKeyField('core.User', source_field='updated_by_id', null=True, db_constraint=True, to_field='id', related_name='tour_targets', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'tour_target', 'app': 'reporting', 'pk_attr': 'id', 'table_description': "The coordinators' target: a share of the organisations at a stage (or further) by a date."},
            bases=['Model'],
        ),
    ]
