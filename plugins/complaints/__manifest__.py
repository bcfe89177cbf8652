{
    "code": "complaints",
    "name": "Complaints",
    "version": "1.0.0",
    "summary": "Owner complaints and suggestions: recorded, forwarded, handled, answered in writing (投诉管理)",
    "category": "service",
    "sequence": 30,
    "author": "PropDesk",
    "license": "AGPL-3.0-or-later",
    "depends": [],
    "core_api": ">=1,<2",
    "default_enabled": True,
    "purgeable": True,
}
