"""Configuration from the environment (12-factor), with safe defaults for `make run`."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _instance_dir() -> Path:
    path = Path(os.environ.get("PROPDESK_INSTANCE", ROOT / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _secret_key(instance: Path) -> str:
    """The secret key signs sessions and CSRF tokens.

    Production sets ``PROPDESK_SECRET_KEY``; a development machine gets a random
    key kept in ``instance/secret_key`` so sessions survive restarts.
    """
    key = os.environ.get("PROPDESK_SECRET_KEY")
    if key:
        return key
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def default_config() -> dict:
    instance = _instance_dir()
    db_url = os.environ.get("PROPDESK_DATABASE_URL") or f"sqlite:///{instance / 'propdesk.db'}"
    allow = os.environ.get("PROPDESK_PLUGINS")
    secure = os.environ.get("PROPDESK_SECURE_COOKIES", "0") == "1"
    return {
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SQLALCHEMY_RECORD_QUERIES": False,
        "PROPDESK_INSTANCE": str(instance),
        # None = every discovered plugin may load; a comma list limits it (tests use this).
        "PROPDESK_PLUGINS": None if allow is None else [p.strip() for p in allow.split(",") if p.strip()],
        "PERMANENT_SESSION_LIFETIME": timedelta(
            minutes=int(os.environ.get("PROPDESK_SESSION_MINUTES", "480"))
        ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        # "Keep me signed in": the same flags as the session cookie.
        "REMEMBER_COOKIE_DURATION": timedelta(days=1),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session, which expires anyway
        "BABEL_DEFAULT_LOCALE": os.environ.get("PROPDESK_DEFAULT_LOCALE", "en"),
        # A site that sets its language speaks it to everyone until they choose another; a site
        # that does not follows each browser's Accept-Language (English when it names neither).
        "PROPDESK_LOCALE_FROM_BROWSER": not os.environ.get("PROPDESK_DEFAULT_LOCALE"),
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "PROPDESK_LOCALES": ["en", "zh_CN"],
        "PROPDESK_DEFAULT_TIMEZONE": os.environ.get("PROPDESK_TIMEZONE", "Asia/Shanghai"),
        "PROPDESK_CURRENCY": os.environ.get("PROPDESK_CURRENCY", "CNY"),
        # Login throttling within the window: this many failures for one account from one
        # address, and (looser) from one address over all accounts.
        "PROPDESK_LOGIN_MAX_FAILURES": 5,
        "PROPDESK_LOGIN_MAX_FAILURES_PER_ADDRESS": 50,
        # Reverse proxies in front of the app that append to X-Forwarded-For (0: none).
        "PROPDESK_TRUSTED_PROXIES": int(os.environ.get("PROPDESK_TRUSTED_PROXIES", "0")),
        "PROPDESK_LOGIN_WINDOW_MINUTES": 15,
        "PROPDESK_IMPORT_MAX_BYTES": 5 * 1024 * 1024,
        "PROPDESK_IMPORT_MAX_ROWS": 20000,
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "PROPDESK_PAGE_SIZE": 25,
    }
