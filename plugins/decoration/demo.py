"""Demo renovations: the estate's rules, and applications in every state — one accepted (passes,
a violation rectified, an extension, a defect reworked, then accepted), one permitted with two
workers' passes and an open rectification notice, one with a structural change waiting for the
maintenance department, one under the supervisor's review, one refused, one approved with its
fees due, one completed waiting for acceptance.

Everything goes through the services. With the fees plugin enabled, the estate gets its own
price-list items for the decoration fee and deposit (``ZX-FEE``, ``ZX-DEP``) and the cashier
takes the permitted one's fee and deposit at the desk.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_text
from core.extensions import db
from core.models import Occupancy, Unit
from core.security import user_estate_ids
from core.settings import save_settings
from plugins.decoration import services
from plugins.decoration.models import Application

RULES_EN = """1. Before renovating, the owner (or a tenant with the owner's consent) applies at the customer service centre; work starts only after approval, payment of the decoration management fee and deposit, and with the Renovation Permit.
2. Load-bearing walls, beams, columns, floor slabs and outer walls must not be altered; changes to water, gas, power or fire systems need the engineering department's safety approval.
3. Working hours: weekdays 8:00–12:00 and 14:00–18:00; no noisy work on public holidays.
4. Renovation waste is bagged and taken to the designated place, never left in common areas.
5. Workers enter with a Temporary Pass, which expires with the Renovation Permit.
6. Breaches get a rectification notice with a deadline; repeated breaches suspend the permit.
7. The management office inspects the finished works; the deposit is refunded after acceptance."""
RULES_ZH = """一、业主（或经业主同意的租户）装修前须到客服中心办理装修申请，经审批并缴纳装修管理费和装修押金后，领取《装修许可证》方可施工。
二、严禁拆改承重墙、梁、柱、楼板及外墙；改动给排水、燃气、供电、消防等公共设施须经工程部安全审核同意。
三、施工时间：工作日 8:00—12:00、14:00—18:00；节假日不得进行产生噪声的作业。
四、装修垃圾须袋装并运至指定地点，不得堆放于公共部位。
五、施工人员凭《临时出入证》出入，出入证随装修许可证到期失效。
六、违反本规定者，管理处发出整改通知，限期整改；屡次违规的，暂停装修许可。
七、装修完工后由管理处组织验收，验收合格后退还装修押金。"""
NOTICES = ("Book the lift and protect its car; hot work needs a permit beforehand; keep fire exits clear.",
           "电梯使用须预约并做好轿厢保护；动火作业须提前申请；请勿占用消防通道。")

#: (applicant, phone, contractor, site manager, manager's phone), in English and Chinese.
PEOPLE = [(("Zhang Wei", "张伟"), "13800138101", ("Meijia Decoration Co., Ltd.", "美家装饰工程有限公司"),
           ("Li Jianguo", "李建国"), "13912345601"),
          (("Wang Fang", "王芳"), "13800138102", ("Juran Decoration Co., Ltd.", "居然装饰有限公司"),
           ("Chen Haitao", "陈海涛"), "13912345602"),
          (("Liu Yang", "刘洋"), "13800138103", ("Jiangxin Home Studio", "匠心家装工作室"), ("Zhou Ming", "周明"),
           "13912345603"),
          (("Zhao Li", "赵丽"), "13800138104", ("Anju Decoration Co.", "安居装饰工程公司"), ("Wu Qiang", "吴强"),
           "13912345604"),
          (("Sun Jie", "孙杰"), "13800138105", ("Hongtu Building Decoration Co.", "宏图建筑装饰公司"),
           ("Zheng Wei", "郑伟"), "13912345605"),
          (("Zhou Min", "周敏"), "13800138106", ("Meijia Decoration Co., Ltd.", "美家装饰工程有限公司"),
           ("Li Jianguo", "李建国"), "13912345601"),
          (("Qian Jin", "钱进"), "13800138107", ("Juran Decoration Co., Ltd.", "居然装饰有限公司"),
           ("Chen Haitao", "陈海涛"), "13912345602")]
WORKERS = [(("Li Dashan", "李大山"), "110101198001011234", ("Tiler", "泥瓦工")),
           (("Wang Xiaoming", "王小明"), "11010119850505123X", ("Electrician", "电工"))]


def _t(pair) -> str:
    return demo_text(*pair)


def _member(user, estate) -> bool:
    return user is not None and estate.id in user_estate_ids(user)


def _fee_items(estate) -> None:
    """The estate's decoration items in the fees plugin's price list (our own codes)."""
    from core.plugins import is_enabled

    if not is_enabled("fees"):
        return
    from plugins.decoration.partners import _fee_item
    from plugins.fees import billing

    since = services.estate_today(estate) - timedelta(days=400)
    if _fee_item(estate.id, "ZX-FEE") is None:
        item = billing.create_item(estate, {"code": "ZX-FEE", "name": demo_text("Decoration management fee", "装修管理费"),
                                            "kind": "oneoff", "due_days": 7, "sequence": 10})
        billing.add_price(item, price=Decimal("500.00"), valid_from=since, basis=demo_text("Renovation rules", "装修管理规定"))
    if _fee_item(estate.id, "ZX-DEP") is None:
        item = billing.create_item(estate, {"code": "ZX-DEP", "name": demo_text("Renovation deposit", "装修押金（装修管理）"),
                                            "kind": "deposit", "sequence": 11})
        billing.add_price(item, price=Decimal("2000.00"), valid_from=since, basis=demo_text("Renovation rules", "装修管理规定"))
    save_settings(services.NAMESPACE, {"fee_item": "ZX-FEE", "deposit_item": "ZX-DEP"}, estate.id)


def _pay_at_desk(app, cashier) -> None:
    from core.plugins import is_enabled

    if not services.through_fees(app) or not is_enabled("fees"):
        services.tick_fees_paid(cashier, app, demo_text("Receipt SJ-demo", "收据 SJ-demo"))
        return
    from plugins.fees import desk

    bill = services.partners.charge_fee(app, services.settings(app.estate_id)["fee_item"], None)
    if bill is not None and bill.state != "paid":
        desk.collect(cashier, app.unit, method="cash", amount=bill.amount - bill.paid, bills=[(bill.id, bill.paid)])
    item = services.partners._fee_item(app.estate_id, services.settings(app.estate_id)["deposit_item"])
    desk.collect(cashier, app.unit, method="card", amount=app.deposit_amount, bills=[], deposit_item_id=item.id,
                 deposit_ref=app.number, note=demo_text("Renovation deposit", "装修押金"))


def load(estate, users) -> None:
    save_settings(services.NAMESPACE, {"rules": demo_text(RULES_EN, RULES_ZH), "notices": _t(NOTICES)}, estate.id)
    clerk, sup, tech, cashier = (users.get(k) for k in ("frontdesk", "supervisor", "technician", "cashier"))
    if not all(_member(u, estate) for u in (clerk, sup, tech, cashier)):
        return
    _fee_items(estate)
    owned = select(Occupancy.unit_id).where(Occupancy.estate_id == estate.id, Occupancy.role == "owner",
                                            Occupancy.end_date.is_(None))
    busy = select(Application.unit_id).where(Application.estate_id == estate.id)
    units = db.session.scalars(select(Unit).where(Unit.estate_id == estate.id, Unit.id.in_(owned),
                                                  Unit.id.not_in(busy)).order_by(Unit.id).limit(len(PEOPLE))).all()
    today = services.estate_today(estate)
    made = []
    for i, unit in enumerate(units):
        name, phone, contractor, manager, mphone = PEOPLE[i]
        scope = ["walls", "floors", "electrical"] + (["structural"] if i in (0, 2) else [])
        with acting_as(clerk):
            app = services.apply(
                clerk, estate_id=estate.id, unit_number=unit.number, applicant_kind="owner", applicant_name=_t(name),
                applicant_phone=phone, owner_consent=True, contractor=_t(contractor), manager_name=_t(manager),
                manager_phone=mphone, planned_start=today - timedelta(days=5 - i), planned_end=today + timedelta(days=60),
                scope=scope, structural_details=demo_text(
                    "Remove the non-load-bearing bathroom partition and rebuild it",
                    "拆除卫生间非承重隔墙，重新砌筑") if "structural" in scope else "",
                description=demo_text("Whole-flat renovation: walls, floors, rewiring",
                                      "全屋翻新：墙面、地面、电路改造"))
        made.append(app)
    # The first two come first: an estate with two units still gets every kind of record.
    steps = ["accept", "violation", None, "review", "refuse", "approve", "complete"]
    for app, step in zip(made, steps, strict=False):
        if step == "refuse":
            with acting_as(sup):
                services.refuse(sup, app, demo_text(
                    "The drawings are incomplete: add the plumbing and wiring plans and apply again",
                    "施工图纸不全，请补充水电改造图后重新申请"))
        elif step in ("approve", "violation", "complete", "accept"):
            if app.needs_safety:
                with acting_as(tech):
                    services.safety_approve(tech, app, demo_text("The partition is not load-bearing: approved",
                                                                 "隔墙非承重，同意拆改"))
            with acting_as(sup):
                services.approve(sup, app, demo_text("Approved", "同意装修"))
            if step != "approve":
                _works(app, step, clerk, sup, tech, cashier, today)
    db.session.flush()


def _works(app, step, clerk, sup, tech, cashier, today) -> None:
    with acting_as(cashier):
        _pay_at_desk(app, cashier)
    with acting_as(clerk):
        services.issue_permit(clerk, app)
        for wname, idno, trade in WORKERS:
            services.add_pass(clerk, app, name=_t(wname), id_number=idno, trade=_t(trade), valid_from=today,
                              valid_to=app.end_date)
    with acting_as(tech):
        services.inspect(tech, app, findings=demo_text("Tidy site, waste bagged", "现场施工有序，垃圾已袋装"))
        if step in ("violation", "accept"):
            insp = services.inspect(tech, app, findings=demo_text("Hammer drill still in use at 20:30",
                                                                "晚间 20:30 仍在使用电锤施工"), violation=True,
                                    required_action=demo_text("Keep to the working hours: no noisy work at night",
                                                              "严格遵守施工时间，夜间停止产生噪声的作业"),
                                    deadline=today + timedelta(days=3))
            if step == "accept":
                services.recheck(tech, insp, rectified=True, note=demo_text("Rechecked: work stops on time",
                                                                           "复查：已按时停工"))
    if step == "violation":
        return
    if step == "accept":
        with acting_as(clerk):
            ext = services.request_extension(clerk, app, new_end=app.end_date + timedelta(days=15),
                                             reason=demo_text("The fitted kitchen arrives late",
                                                                "定制橱柜到货延误"))
        with acting_as(sup):
            services.decide_extension(sup, ext, True, demo_text("15 more days approved", "同意延期 15 天"))
    with acting_as(clerk):
        services.complete(clerk, app)
    if step == "accept":
        with acting_as(tech):
            services.check(tech, app, defects=["walls"], defect_note=demo_text("Damp bathroom wall", "卫生间墙面渗水"),
                           remedy="rework")
        with acting_as(clerk):
            services.complete(clerk, app)
        with acting_as(tech):
            services.check(tech, app, defects=[], accept=True, note=demo_text("Accepted after the rework", "返工后复验合格"))
