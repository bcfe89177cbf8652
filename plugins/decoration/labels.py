"""The translated labels of the decoration plugin."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

STATE_LABELS = {
    "submitted": _l("Under review"), "approved": _l("Approved, fees due"), "permitted": _l("Works permitted"),
    "suspended": _l("Permit suspended"), "completed": _l("Waiting for acceptance"),
    "accepted": lazy_pgettext("decoration state", "Accepted"), "refused": _l("Refused"), "cancelled": _l("Cancelled"),
}
SCOPE_LABELS = {
    "walls": _l("Walls and ceilings"), "floors": lazy_pgettext("decoration scope", "Floors"), "plumbing": _l("Plumbing and drainage"),
    "electrical": _l("Electrical wiring"), "windows": _l("Doors and windows"),
    "air_conditioning": _l("Air conditioning"), "structural": _l("Structural change (walls, openings, load)"),
    "services": _l("Change to shared services (gas, risers, meters, fire)"),
}
APPLICANT_LABELS = {"owner": _l("Owner"), "tenant": _l("Tenant, with the owner's consent")}
