"""Foundation models: organisations, users, login tokens, sessions, audit log, rate-limit hits."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from server.timestamps import ClockDatetimeField


class Role(StrEnum):
    COORDINATOR = "coordinator"
    CLERK = "clerk"
    TRAINER = "trainer"
    FINANCE = "finance"

    @property
    def needs_second_factor(self) -> bool:
        return self in (Role.COORDINATOR, Role.FINANCE)


#: CBS codes are "GM" or "PV" and four digits.
CBS_CODE_LENGTH = 6


class OrganisationKind(StrEnum):
    MUNICIPALITY = "municipality"
    PROVINCE = "province"


class Organisation(Model):
    """A municipality or province, keyed by its CBS code (GM0363, PV27)."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(OrganisationKind, max_length=16)
    cbs_code = fields.CharField(max_length=CBS_CODE_LENGTH, unique=True)
    name = fields.CharField(max_length=200)
    province: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "core.Organisation", related_name="municipalities", null=True, on_delete=fields.RESTRICT
    )
    invoice_street = fields.CharField(max_length=200, default="")
    invoice_postcode = fields.CharField(max_length=10, default="")
    invoice_city = fields.CharField(max_length=100, default="")
    invoice_email = fields.CharField(max_length=254, default="")
    oin = fields.CharField(max_length=20, default="")
    requires_po_number = fields.BooleanField(default=False)
    #: A merger (server.mergers): the successor exists from `started_on`, the merged ones until the
    #: day before `ended_on` (the merger's effective date). Both empty: always there.
    started_on = fields.DateField(null=True)
    ended_on = fields.DateField(null=True)
    successor: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "core.Organisation", related_name="predecessors", null=True, on_delete=fields.RESTRICT
    )
    created_at = ClockDatetimeField(auto_now_add=True)
    updated_at = ClockDatetimeField(auto_now=True)

    class Meta:
        table = "organisation"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_municipality(self) -> bool:
        return self.kind is OrganisationKind.MUNICIPALITY

    @property
    def is_ended(self) -> bool:
        """Merged into another: kept with its history, but nothing new is booked for it."""
        return self.ended_on is not None


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=200)
    role = fields.CharEnumField(Role, max_length=16)
    #: The interface language the user chose (server.i18n.LANGUAGES), also of the mails they get.
    language = fields.CharField(max_length=8, default="nl", db_default="nl")
    organisation: fields.ForeignKeyNullableRelation[Organisation] = fields.ForeignKeyField(
        "core.Organisation", related_name="users", null=True, on_delete=fields.RESTRICT
    )
    is_active = fields.BooleanField(default=True)
    totp_secret = fields.CharField(max_length=64, null=True)
    totp_confirmed_at = fields.DatetimeField(null=True)
    totp_last_step = fields.BigIntField(null=True)
    # Wrong second-factor codes since the last right one (at auth.LOCK_AFTER the factor locks).
    totp_failures = fields.IntField(default=0, db_default=0)
    totp_locked_at = fields.DatetimeField(null=True)
    created_at = ClockDatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "user"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def has_second_factor(self) -> bool:
        return self.totp_confirmed_at is not None

    @property
    def is_second_factor_locked(self) -> bool:
        """Too many wrong codes: no code is accepted until a coordinator resets the second factor."""
        return self.totp_locked_at is not None

    @property
    def is_erased(self) -> bool:
        """Its personal data was erased (server.privacy): an anonymous row kept for the history."""
        return self.email == erased_email(self.id)


#: The domain of erased accounts' addresses (RFC 2606 reserves .invalid: never deliverable).
ERASED_DOMAIN = "weerbaar.invalid"


def erased_email(user_id: int) -> str:
    """A unique, undeliverable address for an erased account."""
    return f"verwijderd-{user_id}@{ERASED_DOMAIN}"


class LoginToken(Model):
    """A one-time login link. Only the SHA-256 of the token is stored."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="login_tokens", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = ClockDatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    next_path = fields.CharField(max_length=500, default="")

    class Meta:
        table = "login_token"


class UserSession(Model):
    """A server-side session. The cookie holds a random key, the table only its hash."""

    id = fields.IntField(primary_key=True)
    key_hash = fields.CharField(max_length=64, unique=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="sessions", on_delete=fields.CASCADE
    )
    created_at = ClockDatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    second_factor_at = fields.DatetimeField(null=True)

    class Meta:
        table = "user_session"


class RecoveryCode(Model):
    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    code_hash = fields.CharField(max_length=64)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "recovery_code"
        unique_together = (("user", "code_hash"),)


class AuditEntry(Model):
    """Who did what to which object, when. Written in the transaction of the change itself."""

    id = fields.BigIntField(primary_key=True)
    created_at = ClockDatetimeField(auto_now_add=True)
    actor: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="audit_entries", null=True, on_delete=fields.SET_NULL
    )
    actor_label = fields.CharField(max_length=300)
    action = fields.CharField(max_length=64)
    object_type = fields.CharField(max_length=64)
    object_id = fields.CharField(max_length=64)
    summary = fields.TextField(default="")

    class Meta:
        table = "audit_entry"
        ordering = ["-created_at", "-id"]
        indexes = (Index(fields=("created_at",)), Index(fields=("object_type", "object_id")))


class RateLimitHit(Model):
    """One counted attempt, shared by all processes because it lives in the database."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=128)
    created_at = fields.DatetimeField()

    class Meta:
        table = "rate_limit_hit"
        indexes = (Index(fields=("key", "created_at")),)


class ApiScope(StrEnum):
    """What a personal access token may do; the role of its owner still decides on which objects."""

    READ = "read"
    BOOK = "book"
    ANSWER_REQUESTS = "answer-requests"
    INVOICES = "invoices"


class ApiToken(Model):
    """A personal access token for the API, stored as the SHA-256 of the token only.

    The visible `prefix` (its first characters) lets its owner recognise it in the list."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="api_tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    prefix = fields.CharField(max_length=16)
    token_hash = fields.CharField(max_length=64, unique=True)
    scopes = fields.JSONField(default=list)
    created_at = ClockDatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_token"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: ApiScope) -> bool:
        return scope.value in self.scopes


class IdempotentRequest(Model):
    """The answer to a creating API call made with an `Idempotency-Key`.

    A repeat with the same key and token gets the same answer, and the unique constraint lets only
    one of simultaneous repeats do the work."""

    id = fields.BigIntField(primary_key=True)
    token: fields.ForeignKeyRelation[ApiToken] = fields.ForeignKeyField(
        "core.ApiToken", related_name="idempotent_requests", on_delete=fields.CASCADE
    )
    key = fields.CharField(max_length=100)
    request_hash = fields.CharField(max_length=64)
    status_code = fields.IntField(null=True)
    body = fields.TextField(default="")
    created_at = ClockDatetimeField(auto_now_add=True)

    class Meta:
        table = "idempotent_request"
        unique_together = (("token", "key"),)
