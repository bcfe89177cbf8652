"""Demo surveys: the last four quarters (three closed, the current one open), ~30 responses each."""

from __future__ import annotations

import random
from datetime import date, timedelta

from flask_babel import force_locale
from sqlalchemy import select

from core.audit import acting_as
from core.demo import demo_locale, demo_text
from core.extensions import db
from core.models import Occupancy, Unit
from core.security import user_estate_ids
from plugins.surveys import services
from plugins.surveys.models import Survey

#: Mean score per area in the oldest quarter; each quarter gets a little better (or worse).
BASE = {"customer_service": (4.1, .08), "repairs": (3.5, .15), "security": (4.0, .05), "cleaning": (3.8, .1),
        "greening": (3.9, -.05), "parking": (3.2, .12), "facilities": (3.6, .07)}
#: (English, Chinese): see ``core.demo.demo_text``.
COMMENTS = [("", ""), ("", ""), ("", ""), ("Please light the underground car park better.", "希望加强地下车库的照明。"),
            ("The guards are very conscientious, well done.", "保安很负责，点赞。"),
            ("The lifts are often stopped for servicing: please tell us beforehand.", "电梯经常停运检修，希望提前通知。"),
            ("Lovely greenery, but fallen leaves are not swept soon enough.", "绿化很好，但落叶清扫不及时。"),
            ("Repairs answer faster than before.", "报修响应比以前快了。"), ("", ""),
            ("Please put up parcel lockers.", "建议增设快递柜。")]


def _quarter(day: date, back: int) -> tuple[int, int]:
    q = (day.month - 1) // 3 - back
    y = day.year
    while q < 0:
        q, y = q + 4, y - 1
    return y, q + 1


def _bounds(year: int, q: int) -> tuple[date, date]:
    start = date(year, 3 * (q - 1) + 1, 1)
    end = date(year + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
    return start, end


def _score(rng: random.Random, mean: float) -> int:
    return max(1, min(5, round(rng.gauss(mean, 0.8))))


def load(estate, users) -> None:
    if db.session.scalar(select(Survey.id).where(Survey.estate_id == estate.id).limit(1)):
        return
    staff = users["manager"] if estate.id in user_estate_ids(users["manager"]) else None
    if staff is None:
        return
    entering = users["clerk"] if estate.id in user_estate_ids(users["clerk"]) else staff
    rng = random.Random(estate.id * 104729)
    today = date.today()
    units = db.session.execute(
        select(Unit.id, Unit.number, Occupancy.resident_id).join(Occupancy, Occupancy.unit_id == Unit.id)
        .where(Unit.estate_id == estate.id).order_by(Unit.sort_key)).all()
    if not units:
        return
    from core.models import Resident

    names = dict(db.session.execute(select(Resident.id, Resident.name).where(Resident.estate_id == estate.id)).all())
    for n, back in enumerate((3, 2, 1, 0)):
        year, q = _quarter(today, back)
        start, end = _bounds(year, q)
        # The standard questions are stored in the language of the moment: the demo's.
        with acting_as(staff), force_locale(demo_locale()):
            survey = services.create_survey(staff, estate_id=estate.id,
                                            title=demo_text(f"Owner satisfaction survey, {year} Q{q}",
                                                            f"{year}年第{q}季度业主满意度调查"),
                                            period=f"{year} Q{q}", start_date=start, end_date=end)
            services.open_survey(staff, survey)
        db.session.flush()
        last_day = min(end, today)
        span = max(0, (last_day - start).days)
        with acting_as(entering):
            for unit_id, _number, resident_id in rng.sample(units, min(len(units), rng.randint(27, 33))):
                scores = {}
                for question in survey.questions:
                    base, step = BASE[question.area]
                    scores[question.id] = _score(rng, base + step * n)
                services.enter_response(
                    entering, survey, scores=scores, method=rng.choice(["paper", "paper", "phone", "door"]),
                    answered_on=start + timedelta(days=rng.randint(0, span)), today=today, unit_id=unit_id,
                    respondent=names.get(resident_id, "") if rng.random() < .7 else "",
                    comment=demo_text(*rng.choice(COMMENTS)))
        if back:
            with acting_as(staff):
                services.close_survey(staff, survey)
    db.session.flush()
