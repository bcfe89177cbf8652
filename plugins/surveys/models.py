"""Satisfaction surveys (满意度调查): a survey per estate and period, its questions, the responses."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models import BusinessRecord, EstateScopedMixin, UTCDateTime, VoidableMixin

AREAS = ("customer_service", "repairs", "security", "cleaning", "greening", "parking", "facilities")
STATES = ("draft", "open", "closed")
METHODS = ("paper", "phone", "door")
SCORES = (1, 2, 3, 4, 5)


class Survey(EstateScopedMixin, BusinessRecord, db.Model):
    """One survey of an estate's owners for a period (e.g. "2026 Q3"): draft → open → closed."""

    __tablename__ = "surveys_survey"
    __table_args__ = (sa.Index("ix_surveys_survey_estate_start", "estate_id", "start_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    period: Mapped[str] = mapped_column(sa.String(20))
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[date] = mapped_column()
    state: Mapped[str] = mapped_column(sa.String(10), default="draft")
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    estate = relationship("Estate", lazy="joined", viewonly=True)
    questions: Mapped[list[Question]] = relationship(
        back_populates="survey", order_by="Question.position, Question.id", lazy="selectin")


class Question(BusinessRecord, db.Model):
    """A question about one service area, answered on a 1–5 scale (5 = very satisfied)."""

    __tablename__ = "surveys_question"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys_survey.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    area: Mapped[str] = mapped_column(sa.String(30))
    text: Mapped[str] = mapped_column(sa.String(300))

    survey: Mapped[Survey] = relationship(back_populates="questions")


class Response(EstateScopedMixin, VoidableMixin, BusinessRecord, db.Model):
    """One filled-in questionnaire, entered by staff from paper, a phone call or a door visit."""

    __tablename__ = "surveys_response"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys_survey.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("core_unit.id"), nullable=True, index=True)
    respondent: Mapped[str] = mapped_column(sa.String(100), default="")
    method: Mapped[str] = mapped_column(sa.String(10))
    answered_on: Mapped[date] = mapped_column()
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    survey: Mapped[Survey] = relationship(lazy="joined", viewonly=True)
    unit = relationship("Unit", lazy="joined", viewonly=True)
    answers: Mapped[list[Answer]] = relationship(back_populates="response", lazy="selectin")

    @property
    def mean(self) -> float | None:
        scores = [a.score for a in self.answers]
        return sum(scores) / len(scores) if scores else None


class Answer(db.Model):
    """The score (1–5) one response gives one question."""

    __tablename__ = "surveys_answer"
    __table_args__ = (sa.UniqueConstraint("response_id", "question_id"),
                      sa.CheckConstraint("score BETWEEN 1 AND 5", name="score_1_to_5"))
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys_response.id"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys_question.id"), index=True)
    score: Mapped[int] = mapped_column()

    response: Mapped[Response] = relationship(back_populates="answers")
