from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('bookings', '0004_day_rate_history'), ('core', '0005_second_factor_lock'), ('feedback', '0003_participant_codes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='SessionFeedback',
            name='closed_announced_at',
            field=fields.DatetimeField(null=True, description='When the webhook event feedback.closed was recorded (feedback.closing): once per session.', auto_now=False, auto_now_add=False),
        ),
    ]
