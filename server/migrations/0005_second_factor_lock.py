from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_outbox_attachment'), ('core', '0003_organisation_mergers'), ('core', '0004_job_run')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='totp_failures',
            field=fields.IntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='User',
            name='totp_locked_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
