{
    "code": "fees",
    "name": "Fees",
    "version": "1.0.0",
    "summary": "Fee items and published prices, billing runs, cashier desk and receipts, daily close, "
               "deposits and refunds, arrears, income reports (收费管理)",
    "category": "money",
    "sequence": 30,
    "author": "PropDesk",
    "license": "AGPL-3.0-or-later",
    "depends": [],
    "uses": ["repairs"],
    "core_api": ">=1,<2",
    "default_enabled": True,
    "purgeable": False,
}
