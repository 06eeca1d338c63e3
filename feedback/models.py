"""Feedback models: forms and their questions, a session's feedback link, anonymous responses.

Nothing that identifies a participant is stored with a response: no account, no IP address, no user
agent. The cookie token that lets a participant change their answer is stored only as a hash. An
e-mail address for contact is kept apart from the answers, with no link to them.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from bookings.models import Booking, Offering
from server.models import Organisation, User
from server.timestamps import ClockDatetimeField


class QuestionKind(StrEnum):
    SCALE = "scale"
    GRADE = "grade"
    SINGLE = "single"
    MULTIPLE = "multiple"
    TEXT = "text"

    @property
    def is_numeric(self) -> bool:
        return self in (QuestionKind.SCALE, QuestionKind.GRADE)


class FeedbackForm(Model):
    """A version of a feedback form. Once it has responses it is not changed: a new version is made."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    version = fields.IntField(default=1)
    previous: fields.ForeignKeyNullableRelation[FeedbackForm] = fields.ForeignKeyField(
        "feedback.FeedbackForm", related_name="next_versions", null=True, on_delete=fields.SET_NULL
    )
    is_current = fields.BooleanField(default=True)
    created_at = ClockDatetimeField(auto_now_add=True)

    questions: fields.ReverseRelation[Question]

    class Meta:
        table = "feedback_form"
        ordering = ["name", "-version"]


class Question(Model):
    id = fields.IntField(primary_key=True)
    form: fields.ForeignKeyRelation[FeedbackForm] = fields.ForeignKeyField(
        "feedback.FeedbackForm", related_name="questions", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    kind = fields.CharEnumField(QuestionKind, max_length=16)
    text = fields.CharField(max_length=500)
    is_required = fields.BooleanField(default=True)
    #: Choices for single and multiple choice, or the two end labels of a scale.
    options = fields.JSONField(default=list)
    #: Answering the first option of this single-choice question means: wants a follow-up training.
    marks_follow_up_interest = fields.BooleanField(default=False)

    class Meta:
        table = "feedback_question"
        ordering = ["position", "id"]
        unique_together = (("form", "position"),)


class OfferingForm(Model):
    """The form an offering uses (the current version of it is used for new sessions)."""

    id = fields.IntField(primary_key=True)
    offering: fields.OneToOneRelation[Offering] = fields.OneToOneField(
        "bookings.Offering", related_name="feedback_form_link", on_delete=fields.CASCADE
    )
    form: fields.ForeignKeyRelation[FeedbackForm] = fields.ForeignKeyField(
        "feedback.FeedbackForm", related_name="offering_links", on_delete=fields.RESTRICT
    )

    class Meta:
        table = "offering_feedback_form"


class SessionFeedback(Model):
    """A session's feedback link: a short code, the form version and the window it is open."""

    id = fields.IntField(primary_key=True)
    booking: fields.OneToOneRelation[Booking] = fields.OneToOneField(
        "bookings.Booking", related_name="feedback", on_delete=fields.CASCADE
    )
    form: fields.ForeignKeyRelation[FeedbackForm] = fields.ForeignKeyField(
        "feedback.FeedbackForm", related_name="sessions", on_delete=fields.RESTRICT
    )
    # Identifies the session; it lets people respond only while `is_open_link` is on (the fallback).
    code = fields.CharField(max_length=12, unique=True)
    #: The open link (anyone with `code` may respond, one response per device): a fallback a
    #: coordinator switches on, shown as such on the results. Normally each response needs a
    #: participant code.
    is_open_link = fields.BooleanField(default=False, db_default=False)
    opens_at = fields.DatetimeField()
    closes_at = fields.DatetimeField()
    clerk_mailed_at = fields.DatetimeField(null=True)
    #: When the webhook event feedback.closed was recorded (feedback.closing): once per session.
    closed_announced_at = fields.DatetimeField(null=True)
    created_at = ClockDatetimeField(auto_now_add=True)

    class Meta:
        table = "session_feedback"


class ParticipantCode(Model):
    """A single-use code on a participant's slip or in the clerk's mail: it admits one response.

    On purpose not linked to the response it was used for, and without a time of use: whoever
    handed out the slips cannot find a participant's answers through their code.
    """

    id = fields.BigIntField(primary_key=True)
    session: fields.ForeignKeyRelation[SessionFeedback] = fields.ForeignKeyField(
        "feedback.SessionFeedback", related_name="participant_codes", on_delete=fields.CASCADE
    )
    code = fields.CharField(max_length=16, unique=True)
    is_used = fields.BooleanField(default=False)

    class Meta:
        table = "feedback_participant_code"
        indexes = (Index(fields=("session_id", "is_used")),)


class Response(Model):
    """One participant's answers, found again only through the hash of their cookie token."""

    id = fields.BigIntField(primary_key=True)
    session: fields.ForeignKeyRelation[SessionFeedback] = fields.ForeignKeyField(
        "feedback.SessionFeedback", related_name="responses", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    #: Came in through the open link rather than with a participant code.
    via_open_link = fields.BooleanField(default=False, db_default=False)
    submitted_at = ClockDatetimeField(auto_now_add=True)
    updated_at = ClockDatetimeField(auto_now=True)

    answers: fields.ReverseRelation[Answer]

    class Meta:
        table = "feedback_response"
        indexes = (Index(fields=("session_id", "submitted_at")),)


class Answer(Model):
    """One answer: a number (scale, grade, the index of a chosen option) or a text.

    A multiple-choice question has one row per chosen option.
    """

    id = fields.BigIntField(primary_key=True)
    response: fields.ForeignKeyRelation[Response] = fields.ForeignKeyField(
        "feedback.Response", related_name="answers", on_delete=fields.CASCADE
    )
    question: fields.ForeignKeyRelation[Question] = fields.ForeignKeyField(
        "feedback.Question", related_name="answers", on_delete=fields.CASCADE
    )
    number = fields.IntField(null=True)
    text = fields.TextField(null=True)

    class Meta:
        table = "feedback_answer"
        indexes = (Index(fields=("question_id", "number")),)


class ContactRequest(Model):
    """A participant asked to be contacted. Kept apart from the answers, deleted after follow-up."""

    id = fields.IntField(primary_key=True)
    session: fields.ForeignKeyRelation[SessionFeedback] = fields.ForeignKeyField(
        "feedback.SessionFeedback", related_name="contact_requests", on_delete=fields.CASCADE
    )
    email = fields.CharField(max_length=254)
    created_at = ClockDatetimeField(auto_now_add=True)
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "feedback_contact_request"


class LeadSource(StrEnum):
    CONTACT_REQUEST = "contact_request"
    FOLLOW_UP_INTEREST = "follow_up_interest"


class LeadStatus(StrEnum):
    """Where the team is with a lead. BOOKED is never stored: it is read from the organisation's
    follow-up bookings made after the lead (see feedback/leads.py), so bookings need not know leads."""

    NEW = "new"
    CONTACTED = "contacted"
    BOOKED = "booked"
    NOT_NOW = "not_now"


class Lead(Model):
    """A chance of a follow-up training: a participant asked to be contacted, or participants of a
    session said they want a follow-up. Coordinators follow it up: status, owner and next date."""

    id = fields.IntField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "core.Organisation", related_name="leads", on_delete=fields.CASCADE
    )
    session: fields.ForeignKeyRelation[SessionFeedback] = fields.ForeignKeyField(
        "feedback.SessionFeedback", related_name="leads", on_delete=fields.CASCADE
    )
    source = fields.CharEnumField(LeadSource, max_length=32)
    #: One lead per contact request, and one per session for its follow-up answers: the unique key
    #: lets exactly one of two simultaneous submissions make it.
    key = fields.CharField(max_length=64, unique=True)
    contact_request: fields.ForeignKeyNullableRelation[ContactRequest] = fields.ForeignKeyField(
        "feedback.ContactRequest", related_name="leads", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharEnumField(LeadStatus, max_length=16, default=LeadStatus.NEW)
    owner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "core.User", related_name="owned_leads", null=True, on_delete=fields.SET_NULL
    )
    next_on = fields.DateField(null=True)
    created_at = ClockDatetimeField(auto_now_add=True)
    updated_at = ClockDatetimeField(auto_now=True)

    class Meta:
        table = "feedback_lead"
        ordering = ["-created_at", "-id"]
        indexes = (Index(fields=("status", "created_at")),)
