from tortoise import migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('core', '0001_initial'), ('core', '0002_outbox_attachment'), ('core', '0003_organisation_mergers'), ('reporting', '0002_history_entry')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='TourTarget',
            options={'table': 'tour_target', 'app': 'reporting', 'pk_attr': 'id', 'table_description': "The coordinators' target: a share of the organisations that reached a step, by a date (a"},
        ),
    ]
