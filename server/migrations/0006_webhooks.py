from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from server.webhook_models import DeliveryStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0005_second_factor_lock')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebhookEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event_id', fields.CharField(unique=True, description='The id of the CloudEvent (a UUID): the same for every delivery and resend, so receivers can dedupe.', max_length=36)),
                ('type', fields.CharField(max_length=64)),
                ('subject', fields.CharField(max_length=100)),
                ('organisation', fields.ForeignKeyField('core.Organisation', source_field='organisation_id', null=True, db_constraint=True, to_field='id', related_name='webhook_events', on_delete=OnDelete.CASCADE)),
                ('data', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('path', fields.CharField(default='', description='The page of the subject in Weerbaar, made absolute with the base URL when sent.', max_length=300)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_event', 'app': 'core', 'pk_attr': 'id', 'table_description': 'Something that happened, kept as the parts of a CloudEvent (the body is built from them when sent).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookSubscription',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('core.Organisation', source_field='organisation_id', null=True, description='None: a global subscription of the team, which receives the events of every organisation.', db_constraint=True, to_field='id', related_name='webhook_subscriptions', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('core.User', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='webhook_subscriptions', on_delete=OnDelete.SET_NULL)),
                ('url', fields.CharField(max_length=2000)),
                ('description', fields.CharField(default='', max_length=200)),
                ('event_types', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('secret', fields.CharField(description='The HMAC key, kept as is because signing needs it (shown only when made or renewed).', max_length=100)),
                ('is_active', fields.BooleanField(default=True)),
                ('disabled_reason', fields.CharField(default='', max_length=300)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'webhook_subscription', 'app': 'core', 'pk_attr': 'id', 'table_description': 'Where to POST which events: for one organisation (made by its clerks) or for all (coordinators).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('subscription', fields.ForeignKeyField('core.WebhookSubscription', source_field='subscription_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('core.WebhookEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=DeliveryStatus.QUEUED, description='QUEUED: queued\nSENDING: sending\nDELIVERED: delivered\nFAILED: failed', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_status_code', fields.IntField(null=True)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_delivery', 'app': 'core', 'unique_together': (('subscription', 'event'),), 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One event to one subscription: queued, being sent (under a lease), delivered or failed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('core.WebhookDelivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='attempt_log', on_delete=OnDelete.CASCADE)),
                ('attempted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status_code', fields.IntField(null=True)),
                ('response_snippet', fields.CharField(default='', max_length=500)),
                ('error', fields.CharField(default='', max_length=300)),
            ],
            options={'table': 'webhook_attempt', 'app': 'core', 'pk_attr': 'id', 'table_description': 'One POST of a delivery: the status code and the start of the answer, or what went wrong.'},
            bases=['Model'],
        ),
    ]
