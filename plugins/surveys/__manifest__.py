{
    "code": "surveys",
    "name": "Satisfaction surveys",
    "version": "1.0.0",
    "summary": "Periodic owner satisfaction surveys and the satisfaction index per service area (满意度调查)",
    "category": "service",
    "sequence": 75,
    "author": "PropDesk",
    "license": "AGPL-3.0-or-later",
    "depends": [],
    "core_api": ">=1,<2",
    "default_enabled": True,
    "purgeable": True,
}
