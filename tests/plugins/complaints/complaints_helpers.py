"""Helpers for the complaints plugin's tests (imported by name: the test folders have no packages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def hours_ago(h: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=h)


def record(user, estate, **kw):
    from plugins.complaints import services

    data = {"estate_id": estate.id, "channel": "phone", "category": "repairs", "kind": "wants_fix",
            "severity": "normal", "content": "卫生间漏水，渗到楼下", "contact_name": "王建国",
            "contact_phone": "13912345678", **kw}
    return services.record(user, **data)


def handle_to_replied(c, sup, dept, start: datetime, reply_after_h: float = 5):
    """forward (+1 h) → note (+2 h) → reply (+reply_after_h h) by ``sup``."""
    from plugins.complaints import services

    services.forward(sup, c, dept.id, "", start + timedelta(hours=1))
    services.add_note(sup, c, "现场核实属实", start + timedelta(hours=2))
    services.reply(sup, c, "已安排维修工更换水管并修复楼下天花。", "letter", start + timedelta(hours=reply_after_h))
    return c
