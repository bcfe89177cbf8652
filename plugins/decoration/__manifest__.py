{
    "code": "decoration",
    "name": "Decoration",
    "version": "0.1.0",
    "summary": "Renovation applications, safety and supervisor review, fees and deposit, permits and "
               "workers' passes (装修管理)",
    "category": "service",
    "sequence": 85,
    "author": "PropDesk",
    "license": "AGPL-3.0-or-later",
    "depends": [],
    "uses": ["fees", "repairs", "archives", "visits"],
    "core_api": ">=1.2,<2",
    "default_enabled": True,
    "purgeable": False,
}
