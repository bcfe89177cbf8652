{
    "code": "notices",
    "name": "Notices",
    "version": "1.0.0",
    "summary": "Notices to residents: drafted, approved, posted, printed and filed (通知公告)",
    "category": "frontdesk",
    "sequence": 50,
    "author": "PropDesk",
    "license": "AGPL-3.0-or-later",
    "depends": [],
    "core_api": ">=1,<2",
    "default_enabled": True,
    "purgeable": True,
}
