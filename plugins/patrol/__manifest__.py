{
    "code": "patrol",
    "name": "Patrols",
    "version": "0.1.0",
    "summary": "Patrol routes, checkpoints with QR labels, patrol plans, problems to repairs, building log (巡视)",
    "category": "operations",
    "sequence": 91,  # after vendors (90): its demo sends a problem to the vendors demo's contract
    "author": "PropDesk",
    "license": "AGPL-3.0-or-later",
    "depends": [],
    "uses": ["repairs", "vendors"],
    "core_api": ">=1.2,<2",
    "default_enabled": True,
    "purgeable": False,
}
