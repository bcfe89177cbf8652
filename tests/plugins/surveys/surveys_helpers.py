"""Helpers for the surveys tests: surveys and responses written through the services."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select


def today():
    """Today in the estates' time zone (the server's date may still be yesterday)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()

QUESTIONS = [("cleaning", "Stairs and lifts are clean?"), ("cleaning", "Rubbish is collected on time?"),
             ("security", "Do you feel safe in the estate?")]


def make_survey(estate, user, state="open", questions=QUESTIONS, period="2026 Q1", start=None, end=None,
                title="Owner satisfaction"):
    from core.extensions import db
    from plugins.surveys import services

    start = start or today() - timedelta(days=30)
    end = end or today() + timedelta(days=30)
    survey = services.create_survey(user, estate_id=estate.id, title=title, period=period, start_date=start,
                                    end_date=end, standard_questions=False)
    for area, text in questions:
        services.add_question(user, survey, area=area, text=text)
    if state in ("open", "closed"):
        services.open_survey(user, survey)
    db.session.commit()
    return survey


def answer(survey, user, scores, unit=None, voided=None, respondent="", on=None):
    """One response; ``scores`` in question order."""
    from core.extensions import db
    from plugins.surveys import services

    resp = services.enter_response(
        user, survey, scores={q.id: s for q, s in zip(survey.questions, scores, strict=True)}, method="paper",
        answered_on=on or today(), today=today(), unit_id=unit.id if unit else None,
        respondent=respondent)
    if voided:
        services.void_response(user, resp, voided)
    db.session.commit()
    return resp


def close(survey, user):
    from core.extensions import db
    from plugins.surveys import services

    services.close_survey(user, survey)
    db.session.commit()


def count(model) -> int:
    from core.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def form_data(survey, scores, **kw):
    data = {"unit": "", "respondent": "", "method": "paper", "answered_on": today().isoformat(),
            "comment": ""}
    data.update({f"q_{q.id}": str(s) for q, s in zip(survey.questions, scores, strict=True) if s is not None})
    data.update(kw)
    return data


def unit_of(estate, number="1-1-101"):
    from core.extensions import db
    from core.models import Unit

    return db.session.scalar(select(Unit).where(Unit.estate_id == estate.id, Unit.number == number))


@pytest.fixture
def fresh_catalogs():
    """Flask-Babel caches the merged catalogs per process and locale only, so an app of an earlier
    test with another set of plugins would lend us its catalogs: start and end with an empty cache."""
    from core.extensions import babel

    babel.domain_instance.cache.clear()
    yield
    babel.domain_instance.cache.clear()
