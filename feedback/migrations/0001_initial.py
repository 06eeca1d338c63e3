from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from feedback.models import QuestionKind
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('bookings', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='FeedbackForm',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('version', fields.IntField(default=1)),
                ('previous', fields.ForeignKeyField('feedback.FeedbackForm', source_field='previous_id', null=True, db_constraint=True, to_field='id', related_name='next_versions', on_delete=OnDelete.SET_NULL)),
                ('is_current', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'feedback_form', 'app': 'feedback', 'pk_attr': 'id', 'table_description': 'A version of a feedback form. Once it has responses it is not changed: a new version is made.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OfferingForm',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('offering', fields.OneToOneField('bookings.Offering', source_field='offering_id', db_constraint=True, to_field='id', related_name='feedback_form_link', on_delete=OnDelete.CASCADE)),
                ('form', fields.ForeignKeyField('feedback.FeedbackForm', source_field='form_id', db_constraint=True, to_field='id', related_name='offering_links', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'offering_feedback_form', 'app': 'feedback', 'pk_attr': 'id', 'table_description': 'The form an offering uses (the current version of it is used for new sessions).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Question',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('form', fields.ForeignKeyField('feedback.FeedbackForm', source_field='form_id', db_constraint=True, to_field='id', related_name='questions', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('kind', fields.CharEnumField(description='SCALE: scale\nGRADE: grade\nSINGLE: single\nMULTIPLE: multiple\nTEXT: text', enum_type=QuestionKind, max_length=16)),
                ('text', fields.CharField(max_length=500)),
                ('is_required', fields.BooleanField(default=True)),
                ('options', fields.JSONField(default=list, description='Choices for single and multiple choice, or the two end labels of a scale.', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('marks_follow_up_interest', fields.BooleanField(default=False, description='Answering the first option of this single-choice question means: wants a follow-up training.')),
            ],
            options={'table': 'feedback_question', 'app': 'feedback', 'unique_together': (('form', 'position'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SessionFeedback',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('booking', fields.OneToOneField('bookings.Booking', source_field='booking_id', db_constraint=True, to_field='id', related_name='feedback', on_delete=OnDelete.CASCADE)),
                ('form', fields.ForeignKeyField('feedback.FeedbackForm', source_field='form_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.RESTRICT)),
                ('code', fields.CharField(unique=True, max_length=12)),
                ('opens_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('closes_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('clerk_mailed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'session_feedback', 'app': 'feedback', 'pk_attr': 'id', 'table_description': "A session's feedback link: a short code, the form version and the window it is open."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ContactRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('feedback.SessionFeedback', source_field='session_id', db_constraint=True, to_field='id', related_name='contact_requests', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=254)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'feedback_contact_request', 'app': 'feedback', 'pk_attr': 'id', 'table_description': 'A participant asked to be contacted. Kept apart from the answers, deleted after follow-up.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Response',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('session', fields.ForeignKeyField('feedback.SessionFeedback', source_field='session_id', db_constraint=True, to_field='id', related_name='responses', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('submitted_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'feedback_response', 'app': 'feedback', 'indexes': [Index(fields=['session_id', 'submitted_at'])], 'pk_attr': 'id', 'table_description': "One participant's answers, found again only through the hash of their cookie token."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Answer',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('response', fields.ForeignKeyField('feedback.Response', source_field='response_id', db_constraint=True, to_field='id', related_name='answers', on_delete=OnDelete.CASCADE)),
                ('question', fields.ForeignKeyField('feedback.Question', source_field='question_id', db_constraint=True, to_field='id', related_name='answers', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField(null=True)),
                ('text', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'feedback_answer', 'app': 'feedback', 'indexes': [Index(fields=['question_id', 'number'])], 'pk_attr': 'id', 'table_description': 'One answer: a number (scale, grade, the index of a chosen option) or a text.'},
            bases=['Model'],
        ),
    ]
