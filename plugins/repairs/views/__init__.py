"""The repairs pages: one blueprint, split by subject (records, actions, work orders, reports)."""

from flask import Blueprint

bp = Blueprint("repairs", __name__, template_folder="../templates")

from plugins.repairs.views import actions, orders, records, reports  # noqa: E402,F401  (routes)
