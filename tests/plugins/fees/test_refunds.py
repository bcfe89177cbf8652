"""Refunds of deposits and prepaid credit: request → approval by someone else → payout by the
cashier; the decoration_accepted hook asks for the deposits of that application."""

from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

from core.testing import refused
from plugins.fees import desk, ledger
from plugins.fees.models import CreditEntry, Deposit, Refund
from tests.plugins.fees.test_desk_kit import count, login, once, pay, shop_fixture  # noqa: F401

D = Decimal

def held_deposit(db, shop, ref="ZX-2026-007", amount="3000"):
    pay(shop, [], amount=D(amount), deposit_item_id=shop.deposit.id, deposit_ref=ref)
    db.session.commit()
    return db.session.scalar(select(Deposit).where(Deposit.source_ref == ref))


def test_deposit_refund_goes_through_request_approval_and_payout(db, client, shop):
    dep = held_deposit(db, shop)
    login(client, shop.cashier)
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/refund", data=once({
        "kind": "deposit", "deposit_id": dep.id, "payee": "王芳", "reason": "装修验收合格"}))
    assert resp.status_code == 302
    refund = db.session.scalar(select(Refund))
    assert refund.number.startswith("TK-E01-") and refund.number.endswith("-000001")
    assert refund.state == "requested" and refund.amount == D("3000.00")
    assert db.session.get(Deposit, dep.id).state == "refunding"
    # the cashier may neither approve nor pay out before approval
    assert client.post(f"/fees/refunds/{refund.id}/decide", data=once({"decision": "approve"})).status_code == 403
    resp = client.post(f"/fees/refunds/{refund.id}/pay", data=once({"method": "cash"}))
    assert resp.status_code == 422 and "Only an approved refund can be paid out." in resp.get_data(as_text=True)
    login(client, shop.manager)
    assert client.post(f"/fees/refunds/{refund.id}/decide", data=once({"decision": "approve"})).status_code == 302
    login(client, shop.cashier)
    assert client.post(f"/fees/refunds/{refund.id}/pay", data=once({"method": "cash"})).status_code == 302
    db.session.expire_all()
    refund = db.session.get(Refund, refund.id)
    assert refund.state == "paid" and refund.paid_by_id == shop.cashier.id and refund.method == "cash"
    assert refund.business_date == ledger.business_date_of(shop.e1)
    assert db.session.get(Deposit, dep.id).state == "refunded"


def test_requester_cannot_approve_and_rejection_needs_a_reason(db, shop):
    dep = held_deposit(db, shop)
    unit = shop.unit
    refund = desk.request_refund(shop.manager, unit, kind="deposit", deposit_id=dep.id, reason="验收合格")
    db.session.commit()
    refused("someone else must approve it", desk.decide_refund, shop.manager, refund, True)
    refused("Say why the refund is rejected", desk.decide_refund, shop.finance, refund, False, " x ")
    desk.decide_refund(shop.finance, refund, False, "验收未通过")
    db.session.commit()
    assert db.session.get(Deposit, dep.id).state == "held"
    refused("has been decided already", desk.decide_refund, shop.finance, refund, True)


def test_credit_refund_is_at_most_the_credit_and_reduces_it(db, shop):
    pay(shop, [], amount=D("500"), prepay=True)
    db.session.commit()
    refused("only CN¥500.00 of prepaid credit", desk.request_refund, shop.cashier, shop.unit, kind="credit",
            amount=D("600"), reason="业主搬走")
    refused("Use at most 2 decimal places.", desk.request_refund, shop.cashier, shop.unit, kind="credit",
            amount=D("1.001"), reason="业主搬走")
    r1 = desk.request_refund(shop.cashier, shop.unit, kind="credit", amount=D("300"), reason="业主搬走")
    db.session.commit()
    refused("only CN¥200.00 of prepaid credit", desk.request_refund, shop.cashier, shop.unit, kind="credit",
            amount=D("300"), reason="业主搬走")
    desk.decide_refund(shop.manager, r1, True)
    desk.pay_refund(shop.cashier, r1, "transfer")
    db.session.commit()
    assert ledger.credit_balance(shop.unit.id) == D("200.00")
    entry = db.session.scalar(select(CreditEntry).where(CreditEntry.kind == "refund"))
    assert entry.amount == D("-300.00") and entry.refund_id == r1.id
    assert sum(e.amount for e in ledger.statement(shop.unit.id)) == ledger.balance(shop.unit.id) == D("-200.00")


def test_a_refunded_prepayment_cannot_be_voided(db, shop):
    p = pay(shop, [], amount=D("100"), prepay=True)
    r = desk.request_refund(shop.cashier, shop.unit, kind="credit", amount=D("100"), reason="多交了")
    desk.decide_refund(shop.manager, r, True)
    desk.pay_refund(shop.cashier, r, "cash")
    db.session.commit()
    refused("has been refunded: it cannot be voided", ledger.void_payment, p, "mistake", shop.manager.id)
    assert ledger.credit_balance(shop.unit.id) == 0


def test_decoration_accepted_asks_for_the_deposit_refund(db, shop):
    dep = held_deposit(db, shop, ref="ZX-2026-042")
    other = held_deposit(db, shop, ref="ZX-2026-043", amount="500")
    from core.plugins import hook

    # An application as decoration documents it (the visits plugin, enabled here too, reads it).
    hook("decoration_accepted")(application=SimpleNamespace(
        id=42, estate_id=shop.e1.id, unit_id=shop.unit.id, number="ZX-2026-042", permit_number="XK-042",
        contractor="装修公司", applicant_name="业主", applicant_phone="13800000042", owner_name="业主",
        description="厨房翻新", accepted_at=None, accepted_by_id=None))
    db.session.commit()
    refunds = list(db.session.scalars(select(Refund)))
    assert [(r.deposit_id, r.state, r.amount) for r in refunds] == [(dep.id, "requested", D("3000.00"))]
    assert "ZX-2026-042" in refunds[0].reason and refunds[0].payee.startswith("Owner of E01")
    assert db.session.get(Deposit, dep.id).releasable_at is not None
    assert db.session.get(Deposit, other.id).state == "held"
    assert count(db, Refund) == 1


def test_refund_pages_are_scoped(db, client, shop):
    dep = held_deposit(db, shop)
    r = desk.request_refund(shop.cashier, shop.unit, kind="deposit", deposit_id=dep.id, reason="验收合格")
    db.session.commit()
    login(client, shop.manager)
    assert r.number in client.get("/fees/refunds").get_data(as_text=True)
    login(client, shop.cashier_e2)
    assert client.get(f"/fees/refunds/{r.id}").status_code == 404
    assert r.number not in client.get("/fees/refunds").get_data(as_text=True)


def test_refund_voucher_prints_the_state_until_paid_then_the_payout_in_chinese(db, client, shop):
    from sqlalchemy import update

    from core.models import User

    dep = held_deposit(db, shop, amount="3000")
    r = desk.request_refund(shop.cashier, shop.unit, kind="deposit", deposit_id=dep.id, payee="王芳",
                            reason="装修验收合格")
    db.session.commit()
    db.session.execute(update(User).where(User.id == shop.manager.id).values(locale="zh_CN"))
    db.session.commit()
    login(client, shop.manager)
    assert f"/fees/refunds/{r.id}/print" in client.get(f"/fees/refunds/{r.id}").get_data(as_text=True)
    html = client.get(f"/fees/refunds/{r.id}/print").get_data(as_text=True)
    assert r.number in html and "王芳" in html and "装修验收合格" in html and "ZX-2026-007" in html
    assert "叁仟元整" in html and 'data-state="requested"' in html  # not a voucher yet: marked across
    desk.decide_refund(shop.manager, r, True, "同意退还")
    db.session.commit()
    html = client.get(f"/fees/refunds/{r.id}/print").get_data(as_text=True)
    assert 'data-state="approved"' in html and "同意退还" in html
    desk.pay_refund(shop.cashier, r, "cash")
    db.session.commit()
    html = client.get(f"/fees/refunds/{r.id}/print").get_data(as_text=True)
    assert "refund-state-mark" not in html and shop.cashier.full_name in html
    login(client, shop.cashier_e2)
    assert client.get(f"/fees/refunds/{r.id}/print").status_code == 404


def test_a_refused_refund_is_explained_even_when_nothing_is_left_to_refund(db, client, shop):
    """Two people ask for the same deposit: the second page no longer shows the refund card
    (nothing is held), but says why nothing was saved."""
    dep = held_deposit(db, shop)
    desk.request_refund(shop.cashier2, shop.unit, kind="deposit", deposit_id=dep.id, reason="装修验收合格")
    db.session.commit()
    login(client, shop.cashier)
    resp = client.post(f"/fees/desk/units/{shop.unit.id}/refund", data=once({
        "kind": "deposit", "deposit_id": dep.id, "payee": "王芳", "reason": "装修验收合格"}))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="refund-form"' not in html
    assert "refund-error" in html and "This deposit is not held any more" in html
    assert count(db, Refund) == 1
