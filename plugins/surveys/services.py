"""Survey services: every state change is one function raising a translated DomainError.

draft (questions editable) → open (responses entered) → closed (figures final).
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select

from core.errors import DomainError
from core.extensions import db
from core.i18n import fmt_date
from core.models import Unit, utcnow
from core.plugins import hook
from core.security import user_estate_ids
from plugins.surveys.labels import STANDARD_QUESTIONS
from plugins.surveys.models import AREAS, METHODS, SCORES, Answer, Question, Response, Survey


def _check_fields(user, *, estate_id: int, title: str, period: str, start_date: date | None,
                  end_date: date | None) -> None:
    if estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."), "estate_id")
    if not (title or "").strip():
        raise DomainError(_("Give the survey a title."), "title")
    if not (period or "").strip():
        raise DomainError(_("Name the period, e.g. 2026 Q3."), "period")
    if start_date is None:
        raise DomainError(_("Enter the first day of the survey."), "start_date")
    if end_date is None:
        raise DomainError(_("Enter the last day of the survey."), "end_date")
    if end_date < start_date:
        raise DomainError(_("The survey cannot end before it starts."), "end_date")


def create_survey(user, *, estate_id: int, title: str, period: str, start_date: date | None,
                  end_date: date | None, standard_questions: bool = True) -> Survey:
    _check_fields(user, estate_id=estate_id, title=title, period=period, start_date=start_date,
                  end_date=end_date)
    survey = Survey(estate_id=estate_id, title=title.strip()[:200], period=period.strip()[:20],
                    start_date=start_date, end_date=end_date, state="draft")
    db.session.add(survey)
    db.session.flush()
    if standard_questions:
        for n, (area, text) in enumerate(STANDARD_QUESTIONS, start=1):
            db.session.add(Question(survey_id=survey.id, position=n, area=area, text=str(text)))
        db.session.flush()
        db.session.refresh(survey)
    return survey


def _must_be_draft(survey: Survey) -> None:
    if survey.state != "draft":
        raise DomainError(_("Only a draft survey can be changed; this one is already open or closed."))


def update_survey(user, survey: Survey, *, title: str, period: str, start_date: date | None,
                  end_date: date | None) -> Survey:
    _must_be_draft(survey)
    _check_fields(user, estate_id=survey.estate_id, title=title, period=period, start_date=start_date,
                  end_date=end_date)
    survey.title, survey.period = title.strip()[:200], period.strip()[:20]
    survey.start_date, survey.end_date = start_date, end_date
    return survey


def add_question(user, survey: Survey, *, area: str, text: str) -> Question:
    _must_be_draft(survey)
    if area not in AREAS:
        raise DomainError(_("Choose the service area the question is about."), "area")
    text = (text or "").strip()
    if len(text) < 5:
        raise DomainError(_("Write the question."), "text")
    position = (max((q.position for q in survey.questions), default=0)) + 1
    question = Question(survey_id=survey.id, position=position, area=area, text=text[:300])
    db.session.add(question)
    db.session.flush()
    db.session.refresh(survey)
    return question


def remove_question(user, survey: Survey, question: Question) -> None:
    _must_be_draft(survey)
    if question.survey_id != survey.id:
        raise DomainError(_("That question belongs to another survey."))
    db.session.delete(question)
    db.session.flush()
    db.session.refresh(survey)


def open_survey(user, survey: Survey) -> Survey:
    if survey.state != "draft":
        raise DomainError(_("Only a draft survey can be opened."))
    if not survey.questions:
        raise DomainError(_("Add at least one question before opening the survey."))
    survey.state = "open"
    survey.opened_at = utcnow()
    return survey


def close_survey(user, survey: Survey) -> Survey:
    if survey.state != "open":
        raise DomainError(_("Only an open survey can be closed."))
    survey.state = "closed"
    survey.closed_at = utcnow()
    db.session.flush()
    hook("surveys_closed")(survey=survey)
    return survey


def _unit(survey: Survey, unit_id: int | None, unit_number: str) -> Unit | None:
    if unit_id:
        unit = db.session.get(Unit, unit_id)
        if unit is None:
            raise DomainError(_("There is no such unit."), "unit")
        if unit.estate_id != survey.estate_id:
            raise DomainError(_("Unit %(n)s belongs to another estate.", n=unit.number), "unit")
        return unit
    number = (unit_number or "").strip()
    if not number:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.estate_id == survey.estate_id, Unit.number == number))
    if unit is None:
        raise DomainError(_("No unit %(n)s in this estate.", n=number), "unit")
    return unit


def parse_score(raw) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if value in SCORES else None


def enter_response(user, survey: Survey, *, scores: dict, method: str, answered_on: date | None,
                   today: date, unit_id: int | None = None, unit_number: str = "", respondent: str = "",
                   comment: str = "") -> Response:
    """Enter one questionnaire: every question answered with 1–5; only while the survey is open."""
    if survey.estate_id not in user_estate_ids(user):
        raise DomainError(_("Choose one of your estates."))
    if survey.state != "open":
        raise DomainError(_("Responses can only be entered while the survey is open."))
    unit = _unit(survey, unit_id, unit_number)
    if method not in METHODS:
        raise DomainError(_("Choose how the answers were collected."), "method")
    if answered_on is None:
        raise DomainError(_("Enter the day the questionnaire was answered."), "answered_on")
    if answered_on > today:
        raise DomainError(_("The answer date cannot be in the future."), "answered_on")
    if not survey.start_date <= answered_on <= survey.end_date:
        raise DomainError(_("The answer date must fall within the survey (%(a)s – %(b)s).",
                            a=fmt_date(survey.start_date), b=fmt_date(survey.end_date)), "answered_on")
    parsed = {}
    for q in survey.questions:
        score = parse_score(scores.get(q.id, scores.get(str(q.id))))
        if score is None:
            raise DomainError(_("Choose a score from 1 to 5."), f"q_{q.id}")
        parsed[q.id] = score
    response = Response(survey_id=survey.id, estate_id=survey.estate_id, unit_id=unit.id if unit else None,
                        respondent=(respondent or "").strip()[:100], method=method, answered_on=answered_on,
                        comment=(comment or "").strip()[:4000])
    db.session.add(response)
    db.session.flush()
    db.session.add_all(Answer(response_id=response.id, question_id=qid, score=s) for qid, s in parsed.items())
    db.session.flush()
    return response


def void_response(user, response: Response, reason: str) -> Response:
    """A questionnaire entered by mistake is voided (kept, left out of the figures)."""
    if response.is_void:
        raise DomainError(_("This response is already void."))
    if response.survey.state != "open":
        raise DomainError(_("Responses of a closed survey can no longer be voided."))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError(_("Say why the response is voided."), "reason")
    response.voided_at = utcnow()
    response.voided_by_id = user.id
    response.void_reason = reason[:500]
    return response


def response_count(survey_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Response).where(
        Response.survey_id == survey_id, Response.voided_at.is_(None)))
