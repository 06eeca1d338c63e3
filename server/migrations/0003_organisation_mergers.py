from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_outbox_attachment')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Organisation',
            name='ended_on',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='Organisation',
            name='started_on',
            field=fields.DateField(null=True, description='A merger (server.mergers): the successor exists from `started_on`, the merged ones until the'),
        ),
        ops.AddField(
            model_name='Organisation',
            name='successor',
            field=fields.ForeignKeyField('core.Organisation', source_field='successor_id', null=True, db_constraint=True, to_field='id', related_name='predecessors', on_delete=OnDelete.RESTRICT),
        ),
    ]
