"""The inventory demo data: two store rooms with receipts, weekly issues to the departments, a
return, a reversed wrong issue, a transfer, a posted count with a shortage; stock equal to the
movements; some items below their minimum; Chinese wording on a Chinese site."""

from __future__ import annotations

from sqlalchemy import func, select

from core.testing import make_estate
from plugins.inventory import demo, services
from plugins.inventory.models import Item, Movement, StockCount, StoreRoom
from tests.plugins.inventory.conftest import ledger_matches


def _load(db, make_user, staff, code):
    estate = make_estate(code, "Demo Garden", units=("1-1-101",))
    users = {role: make_user(role, [estate], username=f"{code}{role}") for role in ("manager", "supervisor", "clerk")}
    demo.load(estate, users)
    db.session.commit()
    return estate, users


def test_demo_store_rooms(app, db, make_user, staff):
    estate, users = _load(db, make_user, staff, "D01")

    def n(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(model.estate_id == estate.id, *where))

    assert n(StoreRoom) == 2
    assert n(Item) == len(demo.ITEMS) + len(demo.CLEANING) + 1  # the transferred valve in the cleaning room
    kinds = {k: c for k, c in db.session.execute(select(Movement.kind, func.count()).where(
        Movement.estate_id == estate.id).group_by(Movement.kind))}
    assert kinds["receipt"] == len(demo.ITEMS) + len(demo.CLEANING) and kinds["issue"] == 8 * 6 + 1
    assert kinds["return"] == kinds["reversal"] == kinds["transfer_out"] == kinds["transfer_in"] == 1
    assert kinds["adjustment"] == 1
    assert db.session.scalar(select(StockCount.state).where(StockCount.estate_id == estate.id)) == "posted"
    assert db.session.scalar(services.low_stock_query([estate.id])) >= 1
    assert ledger_matches(db)
    demo.load(estate, users)  # again: nothing added
    assert n(StoreRoom) == 2


def test_demo_wording_follows_the_sites_language(make_app, db, make_user, staff):
    app = make_app(BABEL_DEFAULT_LOCALE="zh_CN")
    with app.app_context():
        from core.site import refresh

        refresh(force=True)
        estate, _users = _load(db, make_user, staff, "D02")
        names = set(db.session.scalars(select(StoreRoom.name).where(StoreRoom.estate_id == estate.id)))
        assert names == {"工程库房", "保洁物料间"}
