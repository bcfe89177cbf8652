"""Suggestion services (合理化建议, 000 §J 四(9)): recorded → reported → adopted/declined → answered."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _

from core.errors import DomainError
from core.extensions import db
from core.forms import PHONE_RE, normalise_phone
from core.models import utcnow
from core.numbering import next_number
from core.security import user_estate_ids
from plugins.complaints.models import CHANNELS, DECISIONS, Suggestion
from plugins.complaints.services import _text, _when, resolve_unit


def record(user, *, estate_id: int, suggester_name: str, content: str, suggester_phone: str = "",
           channel: str = "phone", unit_number: str | None = None, unit_id: int | None = None,
           received_at: datetime | None = None) -> Suggestion:
    if estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    if channel not in CHANNELS:
        raise DomainError(_("Choose how the suggestion came in."), "channel")
    name = (suggester_name or "").strip()
    if not name:
        raise DomainError(_("Enter the name of the person making the suggestion."), "suggester_name")
    phone = normalise_phone(suggester_phone)
    if phone and not PHONE_RE.match(phone):
        raise DomainError(_("Enter a phone number of 5 to 20 digits."), "suggester_phone")
    content = _text(content, _("Write down the suggestion."), "content", minimum=4)
    received = _when(received_at, field="received_at")
    if received < utcnow() - timedelta(days=366):
        raise DomainError(_("A suggestion older than a year cannot be recorded now."), "received_at")
    unit = resolve_unit(user, estate_id, unit_id, unit_number)
    suggestion = Suggestion(estate_id=estate_id, unit_id=unit.id if unit else None, suggester_name=name[:100],
                            suggester_phone=phone, channel=channel, content=content, received_at=received,
                            state="recorded", number=next_number("JY", estate_id, received))
    db.session.add(suggestion)
    db.session.flush()
    return suggestion


def report(user, suggestion: Suggestion, at: datetime | None = None) -> Suggestion:
    """Report the suggestion to the manager, who decides."""
    if suggestion.state != "recorded":
        raise DomainError(_("Only a newly recorded suggestion can be reported to the manager."))
    suggestion.reported_at = _when(at, suggestion.received_at)
    suggestion.reported_by_id = getattr(user, "id", None)
    suggestion.state = "reported"
    return suggestion


def decide(user, suggestion: Suggestion, decision: str, plan: str = "", reason: str = "",
           at: datetime | None = None) -> Suggestion:
    """The manager adopts it (with a rectification plan) or declines it (with a reason)."""
    if not user.can("complaints.decide"):
        raise DomainError(_("Only the manager decides on suggestions."))
    if suggestion.state != "reported":
        raise DomainError(_("Only a suggestion reported to the manager can be decided."))
    if decision not in DECISIONS:
        raise DomainError(_("Adopt or decline the suggestion."), "decision")
    if decision == "adopt":
        suggestion.plan = _text(plan, _("Write the rectification plan."), "plan", minimum=4)
        suggestion.decline_reason = None
        suggestion.state = "adopted"
    else:
        suggestion.decline_reason = _text(reason, _("Say why the suggestion is declined."), "reason", minimum=4)
        suggestion.plan = None
        suggestion.state = "declined"
    suggestion.decision = decision
    suggestion.decided_at = _when(at, suggestion.reported_at)
    suggestion.decided_by_id = user.id
    return suggestion


def answer(user, suggestion: Suggestion, text: str, at: datetime | None = None) -> Suggestion:
    """Thank and answer the person who made the suggestion."""
    if suggestion.state not in ("adopted", "declined"):
        raise DomainError(_("Answer the suggester after the manager has decided."))
    suggestion.answer_text = _text(text, _("Write the answer to the suggester."), "text", minimum=4)
    suggestion.answered_at = _when(at, suggestion.decided_at)
    suggestion.answered_by_id = getattr(user, "id", None)
    suggestion.state = "answered"
    return suggestion
