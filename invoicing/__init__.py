"""Invoicing: invoices and credit notes for paid trainings, as PDF and UBL e-invoice."""
