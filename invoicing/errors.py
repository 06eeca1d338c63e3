"""What goes wrong in invoicing, each with its status code.

- InvoiceRuleBroken (400): a rule of invoicing refuses the request (free training, missing
  purchase-order number, no lines, incomplete details of the buyer or the team, a bad payment).
- InvoiceLocked (409): the invoice is no longer a draft, or is credited already.
"""

from __future__ import annotations

from server.errors import DomainError


class InvoiceRuleBroken(DomainError):
    status_code = 400


class InvoiceLocked(DomainError):
    status_code = 409
