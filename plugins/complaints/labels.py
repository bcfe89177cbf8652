"""Translated names of the codes stored on complaints and suggestions."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

CHANNEL_LABELS = {
    "phone": _l("Phone"), "written": _l("In writing"), "visit": _l("In person"),
    "email": _l("E-mail"), "forum": _l("Owners' forum"),
}
CATEGORY_LABELS = {
    "service_attitude": _l("Service attitude"), "repairs": _l("Repairs"), "cleaning": _l("Cleaning"),
    "security": _l("Security"), "greening": _l("Greening"), "fees": _l("Fees and charges"), "noise": _l("Noise"),
    "parking": lazy_pgettext("complaint category", "Parking"), "facilities": _l("Facilities"), "other": _l("Other"),
}
SEVERITY_LABELS = {"minor": _l("Minor"), "normal": _l("Normal"), "serious": _l("Serious")}
STATE_LABELS = {
    "recorded": _l("Recorded"), "forwarded": _l("Forwarded"), "investigating": _l("Investigating"),
    "escalated": _l("Escalated to the manager"), "decided": _l("Decided by the manager"),
    "replied": _l("Replied"), "closed": _l("Closed"), "visited": _l("Confirmed on the return visit"),
}
REPLY_METHOD_LABELS = {
    "letter": _l("Written reply letter"), "email": _l("E-mail"), "visit": _l("Letter handed over in person"),
    "phone": _l("Phone, letter to follow"),
}
NOTE_KIND_LABELS = {
    "note": _l("Investigation note"), "forward": _l("Forwarded"), "escalate": _l("Escalated"),
    "decide": _l("Manager's decision"), "reply": _l("Reply"), "close": _l("Closed"),
    "reopen": _l("Reopened"), "visit": _l("Return visit: satisfied"),
}

#: The kinds of complainant and how to respond (000 §J 四(7), 投诉应对方法).
KIND_LABELS = {
    "wants_fix": _l("Wants a problem solved"),
    "venting": _l("Venting"),
    "expectation": _l("Has an expectation"),
}
KIND_SIGNS = {
    "wants_fix": _l("Good reasons, angry but reasonable, speaks clearly, stresses the key points again and again"),
    "venting": _l("Angry, loud and fast, the complaint is unclear, simple reasons repeated"),
    "expectation": _l("No anger, mostly explains their situation, often draws favourable comparisons"),
}
KIND_RESPONSES = {
    "wants_fix": _l("Listen, agree and express the intent to improve; handle it and reply promptly."),
    "venting": _l("Listen."),
    "expectation": _l("Agree and express the intent to improve."),
}

SUGGESTION_STATE_LABELS = {
    "recorded": _l("Recorded"), "reported": _l("Reported to the manager"), "adopted": _l("Adopted"),
    "declined": _l("Declined"), "answered": _l("Answered"),
}
DECISION_LABELS = {"adopt": _l("Adopt, with a rectification plan"), "decline": _l("Decline, with a reason")}


def kinds_table():
    """Rows of the 000 §J table for forms and records: (code, name, signs, response)."""
    return [(k, KIND_LABELS[k], KIND_SIGNS[k], KIND_RESPONSES[k]) for k in KIND_LABELS]
