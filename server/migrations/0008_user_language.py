from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('core', '0007_api_tokens')]

    initial = False

    operations = [
        ops.AddField(
            model_name='User',
            name='language',
            field=fields.CharField(default='nl', description='The interface language the user chose (server.i18n.LANGUAGES), also of the mails they get.', db_default='nl', max_length=8),
        ),
    ]
