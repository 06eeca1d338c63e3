from tortoise import migrations
from tortoise.migrations import operations as ops
from server.scheduler import RunOutcome
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_outbox_attachment'), ('core', '0003_organisation_mergers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='JobRun',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job', fields.CharField(max_length=64)),
                ('due_at', fields.DatetimeField(description='The start of the tick this run is for.', auto_now=False, auto_now_add=False)),
                ('host', fields.CharField(max_length=100)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharEnumField(default=RunOutcome.RUNNING, description='RUNNING: running\nOK: ok\nFAILED: failed', enum_type=RunOutcome, max_length=8)),
                ('detail', fields.CharField(default='', description="The job's result (a count) or the error's type and message.", max_length=300)),
            ],
            options={'table': 'job_run', 'app': 'core', 'unique_together': (('job', 'due_at'),), 'indexes': [Index(fields=['job', 'started_at'])], 'pk_attr': 'id', 'table_description': 'One tick of one periodic job, claimed by exactly one process.'},
            bases=['Model'],
        ),
    ]
