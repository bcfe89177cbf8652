"""Notifications: the in-app centre is built in; plugins add channels (e-mail, SMS…)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from core.extensions import db
from core.models import Notification

log = logging.getLogger(__name__)


@dataclass
class Channel:
    """A delivery channel: ``send(user, title, body, link)`` is called for each notice."""

    code: str
    send: object


def recipient_locale(user) -> str:
    """The language a notice to ``user`` is written in: theirs, else the site's default
    (a job has no request whose language could be borrowed)."""
    from flask import current_app

    supported = current_app.config["PROPDESK_LOCALES"]
    return user.locale if user.locale in supported else current_app.config["BABEL_DEFAULT_LOCALE"]


def notify_each(users, message, link: str = "", estate_id: int | None = None) -> int:
    """Notify each user in their own language: ``message()`` returns ``(title, body)`` (or a
    title) and is called once per user under that user's language, so a Chinese-speaking
    supervisor and an English-speaking one each read the notice in theirs — not in the
    language of whoever (or whichever job) triggered it. Notices are stored as text."""
    from flask_babel import force_locale

    count = 0
    for user in users:
        with force_locale(recipient_locale(user)):
            text = message()
        title, body = text if isinstance(text, tuple) else (text, "")
        count += notify([user], str(title), str(body), link=link, estate_id=estate_id)
    return count


def notify(users, title: str, body: str = "", link: str = "", estate_id: int | None = None) -> int:
    """Put a notice in each user's centre and hand it to every enabled channel."""
    from core.plugins import plugins

    channels = plugins().collect("notification_channels")
    count = 0
    for user in users:
        db.session.add(Notification(user_id=user.id, estate_id=estate_id, title=str(title),
                                    body=str(body), link=link))
        count += 1
        for ch in channels:
            try:
                ch.send(user, title, body, link)
            except Exception:
                log.exception("notification channel %s failed", ch.code)
    return count
