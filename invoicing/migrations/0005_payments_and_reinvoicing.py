from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('bookings', '0001_initial'), ('bookings', '0002_contacts_outreach'), ('core', '0001_initial'), ('core', '0002_outbox_attachment'), ('core', '0003_organisation_mergers'), ('invoicing', '0001_initial'), ('invoicing', '0002_invoice_batch_and_render_lease'), ('invoicing', '0003_fee_statements'), ('invoicing', '0004_free_standing_invoice_linked_booking')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Payment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('invoice', fields.ForeignKeyField('invoicing.Invoice', source_field='invoice_id', db_constraint=True, to_field='id', related_name='payments', on_delete=OnDelete.RESTRICT)),
                ('amount_cents', fields.BigIntField()),
                ('paid_on', fields.DateField()),
                ('reference', fields.CharField(description='The bank statement line (name, description, transaction id) as finance copied it.', max_length=140)),
                ('recorded_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('recorded_by', fields.ForeignKeyField('core.User', source_field='recorded_by_id', null=True, db_constraint=True, to_field='id', related_name='recorded_payments', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'invoice_payment', 'app': 'invoicing', 'indexes': [Index(fields=['invoice_id', 'paid_on'])], 'pk_attr': 'id', 'table_description': "Money received for an invoice: a bank statement line. The invoice's open amount is its total"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Invoice',
            name='after_credit_note',
            field=fields.ForeignKeyField('invoicing.Invoice', source_field='after_credit_note_id', null=True, description='A re-invoice: the credit note it follows (one per credit note). It has no booking of its own, as', db_constraint=True, to_field='id', related_name='reinvoices', on_delete=OnDelete.RESTRICT),
        ),
        ops.AddConstraint(
            model_name='Invoice',
            constraint=UniqueConstraint(fields=('after_credit_note',), name=None),
        ),
        # Before payments had amounts: a paid invoice gets one payment of what was open, dated when it was
    # marked paid; an invoice locked as credited by the credit of some of its lines is open again.
    ops.RunSQL(
        [
            """
            INSERT INTO invoice_payment (invoice_id, amount_cents, paid_on, reference, recorded_at)
            SELECT i.id,
                   i.gross_cents - COALESCE((SELECT SUM(c.gross_cents) FROM invoice c
                                             WHERE c.credited_invoice_id = i.id AND c.status <> 'draft'), 0),
                   i.paid_on, 'Als betaald gemarkeerd', i.issued_at
            FROM invoice i
            WHERE i.kind = 'invoice' AND i.status = 'paid' AND i.paid_on IS NOT NULL AND i.issued_at IS NOT NULL
            """,
            """
            UPDATE invoice SET status = CASE WHEN sent_at IS NULL THEN 'issued' ELSE 'sent' END
            WHERE kind = 'invoice' AND status = 'credited' AND paid_on IS NULL
              AND gross_cents > (SELECT COALESCE(SUM(c.gross_cents), 0) FROM invoice c
                                 WHERE c.credited_invoice_id = invoice.id AND c.status <> 'draft')
            """,
        ],
        reverse_sql=["DELETE FROM invoice_payment"],
    ),
    ]
