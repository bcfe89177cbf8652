from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, StopValidation

from core.forms import Form, options
from core.listing import FilterForm
from plugins.surveys.labels import AREA_LABELS, METHOD_LABELS, STATE_LABELS
from plugins.surveys.models import AREAS, METHODS, SCORES, STATES


class SurveyForm(Form):
    estate_id = SelectField(_l("Estate"), coerce=int, validate_choice=False)
    title = StringField(_l("Title"), validators=[InputRequired(message=_l("Give the survey a title.")),
                                                 Length(max=200)])
    period = StringField(_l("Period (e.g. 2026 Q3)"), validators=[
        InputRequired(message=_l("Name the period, e.g. 2026 Q3.")), Length(max=20)])
    start_date = DateField(_l("First day"), validators=[
        InputRequired(message=_l("Enter the first day of the survey."))])
    end_date = DateField(_l("Last day"), validators=[InputRequired(message=_l("Enter the last day of the survey."))])
    standard_questions = BooleanField(_l("Start with the standard questionnaire"), default=True)


class QuestionForm(Form):
    area = SelectField(_l("Service area"), choices=options([(a, AREA_LABELS[a]) for a in AREAS]), validate_choice=False)
    text = StringField(_l("Question"), validators=[InputRequired(message=_l("Write the question.")),
                                                   Length(max=300)])


class ReasonForm(Form):
    reason = StringField(_l("Reason"), validators=[InputRequired(message=_l("Give a reason.")), Length(max=500)])


class ScoreRequired:
    """A score from 1 to 5 must be chosen (one message whatever was sent)."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        if str(field.data or "") not in {str(s) for s in SCORES}:
            field.errors[:] = []
            raise StopValidation(_l("Choose a score from 1 to 5."))


class ResponseForm(Form):
    unit = StringField(_l("Unit (optional)"), validators=[Optional(), Length(max=30)])
    respondent = StringField(_l("Respondent (optional)"), validators=[Optional(), Length(max=100)])
    method = SelectField(_l("Collected by"), choices=options([(m, METHOD_LABELS[m]) for m in METHODS]),
                         validate_choice=False)
    answered_on = DateField(_l("Answered on"), validators=[
        InputRequired(message=_l("Enter the day the questionnaire was answered."))])
    comment = TextAreaField(_l("Comments and suggestions"), validators=[Optional(), Length(max=4000)],
                            render_kw={"rows": 3})


def response_form(survey, **kw) -> ResponseForm:
    """The response form with one 1–5 choice per question of ``survey`` (fields ``q_<id>``)."""

    class Bound(ResponseForm):
        pass

    for q in survey.questions:
        setattr(Bound, f"q_{q.id}", RadioField(q.text, choices=options([(str(s), str(s)) for s in SCORES]),
                                               validators=[ScoreRequired()], validate_choice=False))
    return Bound(**kw)


class SurveyFilter(FilterForm):
    q = StringField(_l("Title or period"))
    state = SelectField(_l("State"), choices=options([("", _l("All states"))] + [(s, STATE_LABELS[s]) for s in STATES]),
                        validate_choice=False)
