{
    "code": "visits",
    "name": "Return visits",
    "version": "1.0.0",
    "summary": "Return visits after repairs and complaints, routine owner visits, visit and on-time rates (回访管理)",
    "category": "service",
    "sequence": 70,
    "author": "PropDesk",
    "license": "AGPL-3.0-or-later",
    "depends": [],
    "core_api": ">=1,<2",
    "default_enabled": True,
    "purgeable": True,
}
