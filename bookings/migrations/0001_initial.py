from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from bookings.models import Audience, BookingStatus, PartOfDay, PriceModel, Stage, TrainerKind, VatTreatment
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('core', '0002_outbox_attachment')]

    initial = True

    operations = [
        ops.CreateModel(
            name='CalendarFeed',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('core.User', source_field='user_id', db_constraint=True, to_field='id', related_name='calendar_feed', on_delete=OnDelete.CASCADE)),
                ('token', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'calendar_feed', 'app': 'bookings', 'pk_attr': 'id', 'table_description': 'A private, revocable calendar feed URL.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Offering',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('description', fields.TextField(default='', unique=False)),
                ('stage', fields.CharEnumField(description='INTAKE: intake\nCOUNCIL_SESSION: council_session\nFOLLOW_UP: follow_up', enum_type=Stage, max_length=32)),
                ('audience', fields.CharEnumField(description='WHOLE_COUNCIL: whole_council\nGROUP: group\nINDIVIDUALS: individuals', enum_type=Audience, max_length=32)),
                ('duration_minutes', fields.IntField()),
                ('max_participants', fields.IntField(null=True)),
                ('price_model', fields.CharEnumField(description='FREE: free\nPER_SESSION: per_session\nPER_PARTICIPANT: per_participant', enum_type=PriceModel, max_length=32)),
                ('price_cents', fields.IntField(default=0)),
                ('vat_treatment', fields.CharEnumField(default=VatTreatment.STANDARD, description='STANDARD: standard\nEXEMPT_EDUCATION: exempt_education', enum_type=VatTreatment, max_length=32)),
                ('is_active', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'offering', 'app': 'bookings', 'pk_attr': 'id', 'table_description': 'Something the team offers: the intake, the free council-wide session, a paid training.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Booking',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reference', fields.CharField(unique=True, max_length=12)),
                ('organisation', fields.ForeignKeyField('core.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('offering', fields.ForeignKeyField('bookings.Offering', source_field='offering_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.RESTRICT)),
                ('status', fields.CharEnumField(default=BookingStatus.REQUESTED, description='REQUESTED: requested\nSCHEDULED: scheduled\nCONFIRMED: confirmed\nDELIVERED: delivered\nCLOSED: closed\nCANCELLED: cancelled', enum_type=BookingStatus, max_length=16)),
                ('requested_by', fields.ForeignKeyField('core.User', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name='requested_bookings', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('local_situation', fields.TextField(default='', unique=False)),
                ('themes', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('expected_participants', fields.IntField()),
                ('part_of_day', fields.CharEnumField(description='AFTERNOON: afternoon\nEVENING: evening', enum_type=PartOfDay, max_length=16)),
                ('location_address', fields.TextField(unique=False)),
                ('special_needs', fields.TextField(default='', unique=False)),
                ('contact_name', fields.CharField(max_length=200)),
                ('contact_phone', fields.CharField(max_length=40)),
                ('price_model', fields.CharEnumField(description='FREE: free\nPER_SESSION: per_session\nPER_PARTICIPANT: per_participant', enum_type=PriceModel, max_length=32)),
                ('unit_price_cents', fields.IntField(default=0)),
                ('vat_treatment', fields.CharEnumField(description='STANDARD: standard\nEXEMPT_EDUCATION: exempt_education', enum_type=VatTreatment, max_length=32)),
                ('po_number', fields.CharField(default='', max_length=100)),
                ('invoice_email', fields.CharField(default='', max_length=254)),
                ('starts_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('calendar_sequence', fields.IntField(default=0)),
                ('council_term_start', fields.DateField(null=True, description='For the free council-wide session: the council term it counts against (one per term).')),
                ('participants_count', fields.IntField(null=True)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('closed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('cancelled_by', fields.ForeignKeyField('core.User', source_field='cancelled_by_id', null=True, db_constraint=True, to_field='id', related_name='cancelled_bookings', on_delete=OnDelete.SET_NULL)),
                ('cancellation_reason', fields.TextField(default='', unique=False)),
                ('cancellation_fee_cents', fields.IntField(default=0)),
                ('outcome_notes', fields.TextField(default='', unique=False)),
                ('next_step', fields.TextField(default='', unique=False)),
            ],
            options={'table': 'booking', 'app': 'bookings', 'indexes': [Index(fields=['status', 'starts_at']), Index(fields=['organisation_id', 'status'])], 'pk_attr': 'id', 'table_description': "A clerk's booking of an offering for their organisation, from request to delivery."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BookingReminder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('booking', fields.ForeignKeyField('bookings.Booking', source_field='booking_id', db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.CASCADE)),
                ('days_before', fields.IntField()),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'booking_reminder', 'app': 'bookings', 'unique_together': (('booking', 'days_before', 'starts_at'),), 'pk_attr': 'id', 'table_description': 'A reminder that went out, so each one goes out once (per start time: a new date, new reminders).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FreeSessionException',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('core.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='free_session_exceptions', on_delete=OnDelete.CASCADE)),
                ('term_start', fields.DateField()),
                ('reason', fields.TextField(unique=False)),
                ('granted_by', fields.ForeignKeyField('core.User', source_field='granted_by_id', null=True, db_constraint=True, to_field='id', related_name='granted_exceptions', on_delete=OnDelete.SET_NULL)),
                ('granted_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('used_by', fields.ForeignKeyField('bookings.Booking', source_field='used_by_id', null=True, db_constraint=True, to_field='id', related_name='exception_used', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'free_session_exception', 'app': 'bookings', 'pk_attr': 'id', 'table_description': 'A coordinator allowed a second free council-wide session in one council term, with a reason.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OfferingRole',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('offering', fields.ForeignKeyField('bookings.Offering', source_field='offering_id', db_constraint=True, to_field='id', related_name='roles', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='COORDINATOR: coordinator\nMODERATOR: moderator\nTRAINER: trainer\nEXPERT: expert\nPEER: peer', enum_type=TrainerKind, max_length=32)),
                ('min_count', fields.IntField(default=1)),
                ('max_count', fields.IntField(default=1)),
            ],
            options={'table': 'offering_role', 'app': 'bookings', 'unique_together': (('offering', 'kind'),), 'pk_attr': 'id', 'table_description': 'How many people of one kind an offering needs, e.g. one moderator and one or two trainers.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PreferredSlot',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('booking', fields.ForeignKeyField('bookings.Booking', source_field='booking_id', db_constraint=True, to_field='id', related_name='preferred_slots', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'preferred_slot', 'app': 'bookings', 'unique_together': (('booking', 'position'),), 'pk_attr': 'id', 'table_description': 'One of the one to three dates and start times a clerk proposes.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TourInvitation',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('organisation', fields.ForeignKeyField('core.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='tour_invitations', on_delete=OnDelete.CASCADE)),
                ('invited_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('invited_by', fields.ForeignKeyField('core.User', source_field='invited_by_id', null=True, db_constraint=True, to_field='id', related_name='sent_tour_invitations', on_delete=OnDelete.SET_NULL)),
                ('recipients', fields.IntField(default=0)),
                ('booked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('booking', fields.ForeignKeyField('bookings.Booking', source_field='booking_id', null=True, db_constraint=True, to_field='id', related_name='invitations', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'tour_invitation', 'app': 'bookings', 'pk_attr': 'id', 'table_description': 'A coordinator invited an organisation to the tour, booked_at is set by its first booking.'},
            bases=['Model'],
        ),
    ]
