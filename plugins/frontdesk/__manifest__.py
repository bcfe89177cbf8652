{
    "code": "frontdesk",
    "name": "Front desk",
    "version": "0.1.0",
    "summary": "Goods-out passes, enquiries and calls, mail and parcels, visitors, dog licences, "
               "vehicle passes, certificates and the daily work log (前台)",
    "category": "operations",
    "sequence": 120,
    "author": "PropDesk",
    "license": "AGPL-3.0-or-later",
    "depends": [],
    "uses": ["repairs", "complaints", "fees"],
    "core_api": ">=1.2,<2",
    "default_enabled": True,
    "purgeable": False,
}
