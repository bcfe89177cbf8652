# Read with ast.literal_eval: a literal dict, no imports, no code.
{
    "code": "parking",
    "name": "Parking",
    "version": "1.0.0",
    "summary": "Parking spaces and their assignment to units (车位管理)",
    "category": "operations",
    "sequence": 120,
    "author": "PropDesk sample",
    "license": "AGPL-3.0-or-later",
    "depends": [],
    "uses": ["notices"],
    "core_api": ">=1.2,<2",
    "default_enabled": True,
    "purgeable": True,
}
