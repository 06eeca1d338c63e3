from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from invoicing.document import DocumentKind, VatCategory
from invoicing.models import InvoiceStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('bookings', '0001_initial'), ('core', '0001_initial'), ('core', '0002_outbox_attachment')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Invoice',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(default=DocumentKind.INVOICE, description='INVOICE: invoice\nCREDIT_NOTE: credit_note', enum_type=DocumentKind, max_length=16)),
                ('status', fields.CharEnumField(default=InvoiceStatus.DRAFT, description='DRAFT: draft\nISSUED: issued\nSENT: sent\nPAID: paid\nCREDITED: credited', enum_type=InvoiceStatus, max_length=16)),
                ('organisation', fields.ForeignKeyField('core.Organisation', source_field='organisation_id', db_constraint=True, to_field='id', related_name='invoices', on_delete=OnDelete.RESTRICT)),
                ('booking', fields.ForeignKeyField('bookings.Booking', source_field='booking_id', null=True, db_constraint=True, to_field='id', related_name='invoices', on_delete=OnDelete.RESTRICT)),
                ('credited_invoice', fields.ForeignKeyField('invoicing.Invoice', source_field='credited_invoice_id', null=True, db_constraint=True, to_field='id', related_name='credit_notes', on_delete=OnDelete.RESTRICT)),
                ('number', fields.CharField(null=True, unique=True, max_length=20)),
                ('order_reference', fields.CharField(default='', max_length=100)),
                ('delivery_date', fields.DateField(null=True)),
                ('issue_date', fields.DateField(null=True)),
                ('due_date', fields.DateField(null=True)),
                ('note', fields.CharField(default='', max_length=300)),
                ('content', fields.JSONField(null=True, description='The frozen content at issue (invoicing.document.InvoiceDocument as JSON).', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('pdf', fields.BinaryField(null=True)),
                ('ubl', fields.BinaryField(null=True)),
                ('net_cents', fields.BigIntField(default=0)),
                ('vat_cents', fields.BigIntField(default=0)),
                ('gross_cents', fields.BigIntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('issued_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('issued_by', fields.ForeignKeyField('core.User', source_field='issued_by_id', null=True, db_constraint=True, to_field='id', related_name='issued_invoices', on_delete=OnDelete.SET_NULL)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('paid_on', fields.DateField(null=True)),
            ],
            options={'table': 'invoice', 'app': 'invoicing', 'unique_together': (('booking', 'kind'),), 'indexes': [Index(fields=['status', 'due_date']), Index(fields=['organisation_id', 'issue_date'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InvoiceCounter',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('year', fields.IntField(unique=True)),
                ('last_number', fields.IntField(default=0)),
            ],
            options={'table': 'invoice_counter', 'app': 'invoicing', 'pk_attr': 'id', 'table_description': 'The last number used in a year. Locked while a number is taken, so numbers have no gaps.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='InvoiceLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('invoice', fields.ForeignKeyField('invoicing.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='lines', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('description', fields.CharField(max_length=300)),
                ('quantity', fields.IntField(default=1)),
                ('unit_price_cents', fields.BigIntField()),
                ('vat_category', fields.CharEnumField(description='STANDARD: S\nEXEMPT: E', enum_type=VatCategory, max_length=1)),
                ('vat_percent', fields.IntField()),
                ('credited_line', fields.ForeignKeyField('invoicing.InvoiceLine', source_field='credited_line_id', null=True, description='On a credit note: the invoice line it credits (each line is credited once).', db_constraint=True, to_field='id', related_name='credits', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'invoice_line', 'app': 'invoicing', 'unique_together': (('invoice', 'position'),), 'pk_attr': 'id', 'table_description': 'A line of a draft (editable) or of an issued document (then frozen in Invoice.content too).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SellerSettings',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('legal_name', fields.CharField(default='', max_length=200)),
                ('street', fields.CharField(default='', max_length=200)),
                ('postcode', fields.CharField(default='', max_length=10)),
                ('city', fields.CharField(default='', max_length=100)),
                ('kvk', fields.CharField(default='', max_length=8)),
                ('vat_id', fields.CharField(default='', max_length=14)),
                ('iban', fields.CharField(default='', max_length=34)),
                ('invoice_email', fields.CharField(default='', max_length=254)),
                ('payment_term_days', fields.IntField(default=30)),
                ('number_format', fields.CharField(default='{year}-{number:04d}', description='The number of the n-th document of a year, e.g. 2026-0001: {year} and {number} with optional width.', max_length=40)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'seller_settings', 'app': 'invoicing', 'pk_attr': 'id', 'table_description': "The team's legal details as they appear on invoices (one row)."},
            bases=['Model'],
        ),
    ]
