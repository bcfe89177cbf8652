"""The satisfaction index (满意度指数): mean score / 5 × 100, per service area and overall.

The overall index is taken over every answer of the survey (not the mean of the areas).
Void responses never count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from core.extensions import db
from plugins.surveys.models import AREAS, Answer, Question, Response, Survey


def index(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) * 100 / (Decimal(5) * count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass
class Score:
    total: int = 0
    count: int = 0

    @property
    def index(self) -> Decimal | None:
        return index(self.total, self.count)

    @property
    def mean(self) -> Decimal | None:
        if not self.count:
            return None
        return (Decimal(self.total) / self.count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Results:
    responses: int = 0
    areas: dict[str, Score] = field(default_factory=dict)
    overall: Score = field(default_factory=Score)

    def area_list(self):
        return [(a, self.areas[a]) for a in AREAS if a in self.areas]


def _live(stmt):
    return stmt.join(Response, Response.id == Answer.response_id).join(
        Question, Question.id == Answer.question_id).where(Response.voided_at.is_(None))


def results(survey_ids: list[int]) -> Results:
    out = Results()
    if not survey_ids:
        return out
    rows = db.session.execute(_live(
        select(Question.area, func.sum(Answer.score), func.count(Answer.id)).select_from(Answer))
        .where(Response.survey_id.in_(survey_ids)).group_by(Question.area)).all()
    for area, total, count in rows:
        out.areas[area] = Score(int(total or 0), int(count or 0))
        out.overall.total += int(total or 0)
        out.overall.count += int(count or 0)
    out.responses = db.session.scalar(select(func.count()).select_from(Response).where(
        Response.survey_id.in_(survey_ids), Response.voided_at.is_(None)))
    return out


def question_scores(survey_id: int) -> dict[int, Score]:
    rows = db.session.execute(_live(
        select(Answer.question_id, func.sum(Answer.score), func.count(Answer.id)).select_from(Answer))
        .where(Response.survey_id == survey_id).group_by(Answer.question_id)).all()
    return {qid: Score(int(t or 0), int(c or 0)) for qid, t, c in rows}


@dataclass
class Trend:
    periods: list[str]
    areas: dict[str, list[Decimal | None]]
    overall: list[Decimal | None]
    responses: list[int]


def trend(estate_ids: list[int], last: int = 8) -> Trend:
    """Index per area for each period (surveys open or closed), oldest first; estates pooled."""
    if not estate_ids:
        return Trend([], {}, [], [])
    surveys = db.session.execute(
        select(Survey.period, func.min(Survey.start_date)).where(
            Survey.estate_id.in_(estate_ids), Survey.state != "draft").group_by(Survey.period)).all()
    periods = [p for p, _start in sorted(surveys, key=lambda r: (r[1], r[0]))][-last:]
    if not periods:
        return Trend([], {}, [], [])
    in_scope = (Survey.estate_id.in_(estate_ids), Survey.state != "draft", Survey.period.in_(periods))
    rows = db.session.execute(_live(
        select(Survey.period, Question.area, func.sum(Answer.score), func.count(Answer.id)).select_from(Answer))
        .join(Survey, Survey.id == Response.survey_id).where(*in_scope)
        .group_by(Survey.period, Question.area)).all()
    scores: dict[tuple[str, str], Score] = {(p, a): Score(int(t or 0), int(c or 0)) for p, a, t, c in rows}
    counts = dict(db.session.execute(
        select(Survey.period, func.count(Response.id)).join(Survey, Survey.id == Response.survey_id)
        .where(*in_scope, Response.voided_at.is_(None)).group_by(Survey.period)).all())
    areas = {a: [scores[(p, a)].index if (p, a) in scores else None for p in periods]
             for a in AREAS if any((p, a) in scores for p in periods)}
    overall = []
    for p in periods:
        s = Score()
        for (pp, _a), sc in scores.items():
            if pp == p:
                s.total += sc.total
                s.count += sc.count
        overall.append(s.index)
    return Trend(periods, areas, overall, [int(counts.get(p, 0)) for p in periods])


def chart_datasets(tr: Trend, area_labels, overall_label) -> list[dict]:
    def num(v):
        return None if v is None else float(v)

    data = [{"label": str(overall_label), "data": [num(v) for v in tr.overall]}]
    data += [{"label": str(area_labels[a]), "data": [num(v) for v in values]} for a, values in tr.areas.items()]
    return data
