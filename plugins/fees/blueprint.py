"""The plugin's one blueprint; each ``views_*`` module adds its pages to it."""

from flask import Blueprint

#: ``static/desk.js`` is served at /fees/static/desk.js (logged-in pages only use it).
bp = Blueprint("fees", __name__, template_folder="templates", static_folder="static", url_prefix="/fees")
