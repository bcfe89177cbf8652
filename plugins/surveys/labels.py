"""Translatable names of areas, states and methods, and the standard questionnaire."""

from flask_babel import lazy_gettext as _l

AREA_LABELS = {
    "customer_service": _l("Customer service"),
    "repairs": _l("Repairs and maintenance"),
    "security": _l("Security and order"),
    "cleaning": _l("Cleaning and hygiene"),
    "greening": _l("Greening and landscaping"),
    "parking": _l("Parking and traffic"),
    "facilities": _l("Shared facilities"),
}
STATE_LABELS = {"draft": _l("Draft"), "open": _l("Open for responses"), "closed": _l("Closed")}
METHOD_LABELS = {"paper": _l("Paper questionnaire"), "phone": _l("Phone interview"), "door": _l("Door-to-door")}

#: The standard questionnaire (one or two questions per service area), copied into a new survey
#: in the language of the person who creates it.
STANDARD_QUESTIONS = [
    ("customer_service", _l("How satisfied are you with the service attitude of the front desk staff?")),
    ("customer_service", _l("How satisfied are you with how quickly your requests and complaints are handled?")),
    ("repairs", _l("How satisfied are you with the speed and quality of repairs?")),
    ("security", _l("How satisfied are you with the patrols, gate control and safety of the estate?")),
    ("cleaning", _l("How satisfied are you with the cleanliness of stairways, lifts and public areas?")),
    ("greening", _l("How satisfied are you with the care of lawns, trees and flower beds?")),
    ("parking", _l("How satisfied are you with parking order and traffic in the estate?")),
    ("facilities", _l("How satisfied are you with the upkeep of lifts, lighting and shared facilities?")),
]
