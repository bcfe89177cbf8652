"""Translated labels of the codes stored in the repair tables."""

from flask_babel import lazy_gettext as _l

CATEGORY_LABELS = {
    "water": _l("Water supply"), "electricity": _l("Electricity"), "gas": _l("Gas"),
    "doors_windows": _l("Doors and windows"), "lift": _l("Lift"), "public_area": _l("Public area"),
    "drainage": _l("Drains and sewers"), "other": _l("Other"),
}
CHANNEL_LABELS = {
    "phone": _l("Phone call"), "walk_in": _l("Walk-in"), "hotline": _l("Service hotline"),
    "patrol": _l("Found on patrol"), "web": _l("Online"),
    "handover": _l("Found at the house handover"),
}
AREA_LABELS = {"private": _l("Inside the home (private)"), "common": _l("Common area")}
PRIORITY_LABELS = {"normal": _l("Normal"), "urgent": _l("Urgent")}
STATE_LABELS = {
    "recorded": _l("Recorded"), "dispatched": _l("Dispatched"), "in_progress": _l("In progress"),
    "completed": _l("Completed"), "closed": _l("Closed"), "cancelled": _l("Cancelled"),
}
ORDER_STATE_LABELS = {
    "issued": _l("Issued"), "accepted": _l("Accepted"), "completed": _l("Completed"), "cancelled": _l("Cancelled"),
}
CLOSED_VIA_LABELS = {"visit": _l("Satisfied on the return visit"), "supervisor": _l("Closed by the supervisor")}
