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
