"""WSGI entry point: ``gunicorn wsgi:app`` or ``flask --app wsgi ...``."""

from core import create_app
from core.app import freeze_startup_objects

app = create_app()
freeze_startup_objects()
