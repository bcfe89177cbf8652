"""Every printable form of the fees plugin (and the repair work order) as Chromium prints it to
PDF, with the longest realistic data, in Chinese: the page count (a half-A4 receipt with six
lines and its signatures is one page), the "cash received" stamp clear of the receipt number,
the tables inside the paper's right edge, and people's names (never usernames) on the paper.

PDFs and screenshots of the print-emulated pages go to ``$PROPDESK_SCREENSHOTS``."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

pytestmark = pytest.mark.browser

D = Decimal
MM = 96 / 25.4  # CSS pixels per millimetre
#: The printable width of each paper: A4 portrait with 15 mm margins, half A4 (A5 landscape)
#: with 8 mm margins.
PRINTABLE_MM = {"a4": 210 - 2 * 15, "half": 210 - 2 * 8}

COMPANY = "深圳市阳光城市物业服务集团股份有限公司第二分公司"
ESTATE = "阳光花园二期（南区）商住小区"
ITEMS = ["物业服务费（住宅，含电梯运行费）", "生活水费（阶梯计价，含二次供水加压费）", "公摊电费（公共照明、电梯、水泵房）",
         "生活垃圾清运及处理费", "地下车位管理费（B2层 218号）", "装修垃圾清运费（含建筑垃圾外运）"]


def pdf_pages(pdf: bytes) -> int:
    """How many pages Chromium's PDF has (its page objects, not the /Pages tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


@pytest.fixture
def paper(site, estates, make_user, db):
    """A long-named company, estate and fee items; a cashier with a receipt of six bill lines
    (the largest amounts), a refund paid out and the day closed, handed over and confirmed."""
    from core.audit import acting_as
    from core.models import Company, Occupancy, Resident, Unit, User
    from plugins.fees import close as closing
    from plugins.fees import desk, ledger
    from plugins.fees.models import Bill, FeeItem

    e1 = estates[0]
    company = db.session.get(Company, e1.company_id)
    company.name = COMPANY
    e1.name = ESTATE
    cashier = make_user("cashier", [e1], username="cashier", locale="zh_CN", full_name="欧阳晓明")
    finance = make_user("manager", [e1], username="finance", locale="zh_CN", full_name="司马文静")
    manager = make_user("manager", [e1], username="boss", locale="zh_CN", full_name="诸葛建国")
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == e1.id, Unit.number == "3-2-1201"))
    owner = db.session.get(Resident, db.session.scalar(select(Occupancy.resident_id).where(
        Occupancy.unit_id == unit.id)))
    owner.name = "欧阳娜娜（业主）"
    items = []
    for n, name in enumerate(ITEMS):
        item = FeeItem(estate_id=e1.id, code=f"X{n}", name=name, kind="fixed")
        db.session.add(item)
        items.append(item)
    deposit = FeeItem(estate_id=e1.id, code="ZXYJ", name="装修押金（含垃圾清运保证金）", kind="deposit", cycle="oneoff")
    db.session.add(deposit)
    db.session.flush()
    bills = []
    for n, item in enumerate(items):
        start = date(2026, 1 + n, 1)
        bill = Bill(estate_id=e1.id, unit_id=unit.id, item_id=item.id, period_start=start,
                    period_end=date(2026, 12, 31), due_date=start, quantity=D("1"),
                    unit_price=D("98765.43"), amount=D("98765.43"), dedupe_key=f"p:{n}")
        db.session.add(bill)
        bills.append(bill)
    db.session.commit()
    with acting_as(cashier):
        payment = ledger.take_payment(
            estate=e1, unit_id=unit.id, cashier_id=cashier.id, method="cash", amount=D("592592.58") + D("1000"),
            bills=[(b.id, b.amount, D("0")) for b in bills], prepay=True, payer="欧阳娜娜（代业主欧阳建国缴纳）",
            reference="", note="业主要求开具增值税普通发票，抬头：深圳市某某科技有限公司")
        db.session.commit()
        desk.record_invoice(cashier, payment, "04400261234567890123")
        refund = desk.request_refund(cashier, unit, kind="credit", amount=D("1000.00"),
                                     reason="业主多缴预存款，申请退回至原付款银行卡（工商银行尾号 8888）", payee="欧阳娜娜（业主）")
        db.session.commit()
    with acting_as(manager):
        desk.decide_refund(manager, refund, True, "同意退款")
        db.session.commit()
    with acting_as(cashier):
        desk.pay_refund(cashier, refund, "cash")
        db.session.commit()
        close = closing.close_day(cashier, e1, payment.business_date, finance.id, "现金已全部交财务")
        db.session.commit()
    with acting_as(finance):
        closing.confirm(finance, close, "现金点清无误")
        db.session.commit()
    # unpaid, overdue bills of another unit (the arrears list and notices), and the price list
    from plugins.fees import billing

    other = db.session.scalar(select(Unit).where(Unit.estate_id == e1.id, Unit.number == "1-1-101"))
    for n, item in enumerate(items):
        db.session.add(Bill(estate_id=e1.id, unit_id=other.id, item_id=item.id, period_start=date(2025, 1 + n, 1),
                            period_end=date(2025, 12, 31), due_date=date(2025, 1 + n, 1), quantity=D("1"),
                            unit_price=D("12345.67"), amount=D("12345.67"), dedupe_key=f"o:{n}"))
        billing.add_price(item, price=D("12345.6789"), valid_from=date(2025, 1, 1), basis="按建筑面积每平方米每月计收")
    db.session.commit()
    # a printed reminder notice for the unit in arrears (12 overdue bills: the longest notice
    # before the lines are grouped per fee item)
    from plugins.fees import arrears

    for n, item in enumerate(items):
        db.session.add(Bill(estate_id=e1.id, unit_id=other.id, item_id=item.id, period_start=date(2024, 1 + n, 1),
                            period_end=date(2024, 12, 31), due_date=date(2024, 1 + n, 1), quantity=D("1"),
                            unit_price=D("12345.67"), amount=D("12345.67"), dedupe_key=f"q:{n}"))
    db.session.commit()
    with acting_as(manager):
        [reminder] = arrears.print_notices(manager, [other], payment.business_date,
                                           payment.business_date + timedelta(days=10), payment.business_date)
        db.session.commit()
    # a repair dispatched to a technician: its work order
    from plugins.repairs import services as repairs

    sup = make_user("supervisor", [e1], username="sup", locale="zh_CN", full_name="上官婉儿")
    tech = make_user("technician", [e1], username="tech", locale="zh_CN", full_name="东方明亮")
    with acting_as(sup):
        repair = repairs.record(sup, estate_id=e1.id, unit_id=unit.id, contact_name="欧阳娜娜（业主）",
                                contact_phone="13800001234", category="water", channel="phone",
                                description="主卧卫生间天花板渗水，楼上住户不在家；厨房水龙头关不紧，持续滴水。" * 3)
        db.session.commit()
        repairs.dispatch(sup, repair, tech.id, "带上备用阀芯和防水胶，先联系楼上业主开门检查。")
        db.session.commit()
    from plugins.repairs.models import WorkOrder

    order = db.session.scalar(select(WorkOrder).where(WorkOrder.repair_id == repair.id))
    db.session.execute(update(User).where(User.username.in_(["cashier", "finance", "boss"])).values(locale="zh_CN"))
    db.session.commit()
    return dict(payment=payment.id, number=payment.number, refund=refund.id, close=close.id, unit=unit.id,
                estate=e1.id, day=payment.business_date, order=order.id, batch=reminder.batch)


def printed(page, url, size, shot_dir, name):
    """Open ``url`` as it prints on ``size`` paper; return its PDF (saved with a screenshot)."""
    page.set_viewport_size({"width": round(PRINTABLE_MM[size] * MM), "height": 900})
    page.emulate_media(media="print")
    page.goto(url)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True,
                   **({} if size == "half" else {"format": "A4"}))
    (shot_dir / f"{name}.pdf").write_bytes(pdf)
    page.screenshot(path=str(shot_dir / f"{name}.png"), full_page=True)
    return pdf


def overlap(a, b) -> bool:
    """Whether two bounding boxes (a rotated stamp's is the box around it) share any area."""
    return not (a["x"] >= b["x"] + b["width"] or a["x"] + a["width"] <= b["x"]
                or a["y"] >= b["y"] + b["height"] or a["y"] + a["height"] <= b["y"])


def inside_the_paper(page, size):
    """Every table's right border lies within the printable width."""
    width = PRINTABLE_MM[size] * MM
    rights = page.eval_on_selector_all("table", "ts => ts.map(t => t.getBoundingClientRect().right)")
    assert rights and max(rights) <= width, (rights, width)


def test_every_fees_printout_in_chinese(page, paper, login, site, shot):
    folder = shot("start").parent
    login("cashier")
    base = site.url + "/fees"
    for size in ("half", "a4"):
        url = f"{base}/receipts/{paper['payment']}/print" + ("?size=half" if size == "half" else "")
        pdf = printed(page, url, size, folder, f"paper-receipt-{size}")
        assert pdf_pages(pdf) == 1, size
        assert page.locator(".receipt-line").count() == 7  # six bills and the prepaid rest
        stamp = page.locator(".receipt-stamp").bounding_box()
        for what in (".receipt-number", ".receipt-paid-at", "table"):
            for box in (page.locator(what).nth(i).bounding_box() for i in range(page.locator(what).count())):
                assert not overlap(stamp, box), (size, what, stamp, box)
        inside_the_paper(page, size)
        assert "欧阳晓明" in page.content() and ">cashier<" not in page.content()


def test_every_other_fees_printout_and_the_work_order_fit_a4(page, paper, login, site, shot):
    folder = shot("start").parent
    login("boss")
    base = site.url + "/fees"
    month = paper["day"].strftime("%Y-%m")
    forms = {
        "refund": (f"/refunds/{paper['refund']}/print", ["欧阳晓明", "诸葛建国"]),
        "close": (f"/closes/{paper['close']}/print", ["欧阳晓明", "司马文静"]),
        "arrears": (f"/arrears/print?estate={paper['estate']}&as_of={paper['day'].isoformat()}", ["1-1-101"]),
        "prices": (f"/prices/print?estate={paper['estate']}", [ITEMS[1]]),
        "income": (f"/reports/income/print?estate={paper['estate']}&month={month}", []),
        "collection": (f"/reports/collection/print?estate={paper['estate']}&last={month}", []),
        "notice": (f"/arrears/batches/{paper['batch']}", ["1-1-101", ESTATE]),
    }
    for name, (url, names) in forms.items():
        pdf = printed(page, base + url, "a4", folder, f"paper-{name}")
        assert pdf_pages(pdf) == 1, name
        inside_the_paper(page, "a4")
        html = page.content()
        for text in names:
            assert text in html, (name, text)
        for username in ("cashier", "finance", "boss"):
            assert f">{username}<" not in html and f": {username}" not in html, (name, username)


def test_the_repair_work_order_fits_one_a4_page(page, paper, login, site, shot):
    folder = shot("start").parent
    login("sup")
    pdf = printed(page, f"{site.url}/repairs/orders/{paper['order']}/print", "a4", folder, "paper-work-order")
    assert pdf_pages(pdf) == 1
    inside_the_paper(page, "a4")
    html = page.content()
    assert "东方明亮" in html and ">tech<" not in html
