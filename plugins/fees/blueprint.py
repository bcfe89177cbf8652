"""The plugin's one blueprint; each ``views_*`` module adds its pages to it."""

from flask import Blueprint

bp = Blueprint("fees", __name__, template_folder="templates", url_prefix="/fees")
