"""Surveys: the life cycle draft → open → closed, entering responses, refusals, permissions, scope."""

from datetime import timedelta

import pytest
from surveys_helpers import answer, close, count, form_data, make_survey, today, unit_of

from plugins.surveys.models import Answer, Question, Response, Survey

pytestmark = pytest.mark.plugins("surveys")


def test_a_supervisor_prepares_opens_and_closes_a_survey(client, login_as, db, estates):
    e1 = estates[0]
    login_as("supervisor", estates=[e1])
    resp = client.post("/surveys/new", data={
        "estate_id": e1.id, "title": "2026 年第三季度业主满意度调查", "period": "2026 Q3",
        "start_date": (today() - timedelta(days=5)).isoformat(),
        "end_date": (today() + timedelta(days=25)).isoformat(), "standard_questions": "y"})
    assert resp.status_code == 302
    survey = db.session.query(Survey).one()
    assert survey.state == "draft" and len(survey.questions) == 8
    assert {q.area for q in survey.questions} == {"customer_service", "repairs", "security", "cleaning",
                                                  "greening", "parking", "facilities"}
    client.post(f"/surveys/{survey.id}/questions", data={"area": "parking", "text": "Enough visitor parking?"})
    first = survey.questions[0]
    client.post(f"/surveys/{survey.id}/questions/{first.id}/remove")
    db.session.expire_all()
    assert len(survey.questions) == 8 and survey.questions[-1].text == "Enough visitor parking?"
    client.post(f"/surveys/{survey.id}/open")
    db.session.expire_all()
    assert survey.state == "open" and survey.opened_at is not None
    resp = client.post(f"/surveys/{survey.id}/responses/new", data=form_data(survey, [5, 4, 4, 3, 5, 4, 2, 3],
                                                                             unit="3-2-1201"))
    assert resp.status_code == 302 and "/responses/new" in resp.headers["Location"]
    r = db.session.query(Response).one()
    assert r.unit.number == "3-2-1201" and sorted(a.score for a in r.answers) == [2, 3, 3, 4, 4, 4, 5, 5]
    client.post(f"/surveys/{survey.id}/close")
    db.session.expire_all()
    assert survey.state == "closed" and survey.closed_at is not None
    resp = client.post(f"/surveys/{survey.id}/responses/new", data=form_data(survey, [5] * 8))
    assert resp.status_code == 422
    assert "Responses can only be entered while the survey is open." in resp.get_data(as_text=True)
    assert count(Response) == 1


def test_illegal_transitions_are_refused(client, login_as, db, estates):
    from core.errors import DomainError
    from plugins.surveys import services

    e1 = estates[0]
    sup = login_as("supervisor", estates=[e1])
    empty = make_survey(e1, sup, state="draft", questions=[])
    page = client.post(f"/surveys/{empty.id}/open", follow_redirects=True).get_data(as_text=True)
    assert "Add at least one question before opening the survey." in page
    page = client.post(f"/surveys/{empty.id}/close", follow_redirects=True).get_data(as_text=True)
    assert "Only an open survey can be closed." in page
    survey = make_survey(e1, sup)
    page = client.post(f"/surveys/{survey.id}/open", follow_redirects=True).get_data(as_text=True)
    assert "Only a draft survey can be opened." in page
    resp = client.post(f"/surveys/{survey.id}/questions", data={"area": "parking", "text": "Too late to ask?"})
    assert "Only a draft survey can be changed; this one is already open or closed." in resp.get_data(as_text=True)
    resp = client.post(f"/surveys/{survey.id}/questions/{survey.questions[0].id}/remove", follow_redirects=True)
    assert "Only a draft survey can be changed" in resp.get_data(as_text=True)
    resp = client.post(f"/surveys/{survey.id}/edit", data={"estate_id": e1.id, "title": "x", "period": "p",
                                                           "start_date": "2026-01-01", "end_date": "2026-02-01"})
    assert "Only a draft survey can be changed" in resp.get_data(as_text=True)
    close(survey, sup)
    with pytest.raises(DomainError, match="Only an open survey can be closed."):
        services.close_survey(sup, survey)
    db.session.rollback()
    db.session.expire_all()
    assert [len(s.questions) for s in db.session.query(Survey).order_by(Survey.id)] == [0, 3]


@pytest.mark.parametrize("changes,field,message", [
    ({"title": ""}, "title", "Give the survey a title."),
    ({"period": ""}, "period", "Name the period, e.g. 2026 Q3."),
    ({"start_date": ""}, "start_date", "Enter the first day of the survey."),
    ({"end_date": "2026-06-30"}, "end_date", "The survey cannot end before it starts."),
    ({"start_date": "2026-13-01"}, "start_date", "Not a valid date value."),
])
def test_a_bad_survey_is_refused_beside_the_field(changes, field, message, client, login_as, estates):
    e1 = estates[0]
    login_as("manager", estates=[e1])
    data = {"estate_id": e1.id, "title": "Q3", "period": "2026 Q3", "start_date": "2026-07-01",
            "end_date": "2026-09-30", "standard_questions": "y", **changes}
    resp = client.post("/surveys/new", data=data)
    assert resp.status_code == 422
    assert f'data-field="{field}">{message}' in resp.get_data(as_text=True)
    assert count(Survey) == 0 and count(Question) == 0


def test_a_survey_in_another_estate_cannot_be_created(client, login_as, estates):
    login_as("manager", estates=[estates[0]])
    resp = client.post("/surveys/new", data={"estate_id": estates[1].id, "title": "Q3", "period": "2026 Q3",
                                             "start_date": "2026-07-01", "end_date": "2026-09-30"})
    assert 'data-field="estate_id">Choose one of your estates.' in resp.get_data(as_text=True)
    assert count(Survey) == 0


def test_every_question_needs_a_score_from_1_to_5_and_nothing_is_saved(client, login_as, estates):
    e1 = estates[0]
    user = login_as("clerk", estates=[e1])
    survey = make_survey(e1, user)
    q1, q2, q3 = survey.questions
    resp = client.post(f"/surveys/{survey.id}/responses/new", data=form_data(survey, [5, None, None]))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert f'data-field="q_{q2.id}">Choose a score from 1 to 5.' in page
    assert f'data-field="q_{q3.id}">Choose a score from 1 to 5.' in page
    assert f'data-field="q_{q1.id}"' not in page
    for bad in ("0", "6", "x", "4.5"):
        page = client.post(f"/surveys/{survey.id}/responses/new",
                           data=form_data(survey, [5, 4, bad])).get_data(as_text=True)
        assert f'data-field="q_{q3.id}">Choose a score from 1 to 5.' in page, bad
    assert count(Response) == 0 and count(Answer) == 0


@pytest.mark.parametrize("changes,field,message", [
    ({"unit": "9-9-909"}, "unit", "No unit 9-9-909 in this estate."),
    ({"unit": "2-1-201"}, "unit", "No unit 2-1-201 in this estate."),  # a unit of E02 only
    ({"answered_on": ""}, "answered_on", "Enter the day the questionnaire was answered."),
    ({"answered_on": (today() + timedelta(days=1)).isoformat()}, "answered_on",
     "The answer date cannot be in the future."),
    ({"answered_on": (today() - timedelta(days=60)).isoformat()}, "answered_on",
     "The answer date must fall within the survey"),
    ({"method": "fax"}, "method", "Choose how the answers were collected."),
])
def test_bad_response_details_are_refused_beside_the_field(changes, field, message, client, login_as, estates):
    e1 = estates[0]
    survey = make_survey(e1, login_as("frontdesk", estates=[e1]))
    resp = client.post(f"/surveys/{survey.id}/responses/new", data=form_data(survey, [5, 4, 3], **changes))
    assert resp.status_code == 422
    assert f'data-field="{field}">{message}' in resp.get_data(as_text=True)
    assert count(Response) == 0 and count(Answer) == 0


def test_the_service_refuses_a_unit_of_another_estate_and_a_draft_survey(db, estates, make_user):
    from core.errors import DomainError
    from plugins.surveys import services

    e1, e2 = estates
    user = make_user("supervisor", [e1, e2])
    survey = make_survey(e1, user)
    theirs = unit_of(e2, "2-1-201")
    with pytest.raises(DomainError, match="Unit 2-1-201 belongs to another estate."):
        services.enter_response(user, survey, scores={q.id: 5 for q in survey.questions}, method="phone",
                                answered_on=today(), today=today(), unit_id=theirs.id)
    db.session.rollback()
    draft = make_survey(e1, user, state="draft")
    with pytest.raises(DomainError, match="only be entered while the survey is open"):
        services.enter_response(user, draft, scores={q.id: 5 for q in draft.questions}, method="phone",
                                answered_on=today(), today=today())
    db.session.rollback()
    assert count(Response) == 0


def test_voiding_a_response(client, login_as, db, estates, make_user):
    e1 = estates[0]
    sup = login_as("supervisor", estates=[e1])
    survey = make_survey(e1, sup)
    r = answer(survey, sup, [1, 1, 1])
    page = client.post(f"/surveys/responses/{r.id}/void", data={"reason": ""},
                       follow_redirects=True).get_data(as_text=True)
    assert "Say why the response is voided." in page
    client.post(f"/surveys/responses/{r.id}/void", data={"reason": "entered twice"})
    db.session.expire_all()
    assert r.is_void and r.void_reason == "entered twice" and r.voided_by_id == sup.id
    page = client.post(f"/surveys/responses/{r.id}/void", data={"reason": "again"},
                       follow_redirects=True).get_data(as_text=True)
    assert "This response is already void." in page
    r2 = answer(survey, sup, [2, 2, 2])
    close(survey, sup)
    page = client.post(f"/surveys/responses/{r2.id}/void", data={"reason": "too late"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Responses of a closed survey can no longer be voided." in page
    client.post("/logout")
    login_as("clerk", estates=[e1])
    assert client.post(f"/surveys/responses/{r2.id}/void", data={"reason": "x y"}).status_code == 403


ROLES = ("manager", "supervisor", "clerk", "frontdesk", "cashier", "archivist", "technician", "cleaning")


@pytest.mark.parametrize("role", ROLES)
def test_permissions_per_role(role, client, login_as, estates, make_user):
    e1 = estates[0]
    user = login_as(role, estates=[e1])
    survey = make_survey(e1, make_user("supervisor", [e1]))
    view = role in ("manager", "supervisor", "clerk")
    enter = role in ("clerk", "frontdesk", "supervisor")
    manage = role in ("supervisor", "manager")

    def code(ok):
        return 200 if ok else 403

    assert client.get("/surveys/").status_code == code(view or enter)
    assert client.get(f"/surveys/{survey.id}").status_code == code(view or enter)
    assert client.get(f"/surveys/{survey.id}/print").status_code == code(view or enter)
    for url in (f"/surveys/{survey.id}/results", f"/surveys/{survey.id}/responses", "/surveys/trend"):
        assert client.get(url).status_code == code(view), url
    assert client.get(f"/surveys/{survey.id}/responses/new").status_code == code(enter)
    assert client.get("/surveys/new").status_code == code(manage)
    resp = client.post(f"/surveys/{survey.id}/responses/new", data=form_data(survey, [4, 4, 4]))
    assert resp.status_code == (302 if enter else 403)
    assert count(Response) == (1 if enter else 0)
    assert client.post(f"/surveys/{survey.id}/close").status_code == (302 if manage else 403)
    page = client.get("/").get_data(as_text=True)
    assert ("Satisfaction surveys" in page) == (view or enter)
    assert user.id


def test_another_estate_s_surveys_are_invisible(client, login_as, estates, make_user):
    e1, e2 = estates
    theirs_user = make_user("supervisor", [e2])
    theirs = make_survey(e2, theirs_user, title="Riverside survey", period="2026 Q2")
    r = answer(theirs, theirs_user, [5, 5, 5], unit=unit_of(e2, "2-1-201"))
    login_as("supervisor", estates=[e1])
    for url in (f"/surveys/{theirs.id}", f"/surveys/{theirs.id}/results", f"/surveys/{theirs.id}/responses",
                f"/surveys/{theirs.id}/print", f"/surveys/{theirs.id}/responses/new",
                f"/surveys/{theirs.id}/edit", f"/surveys/trend?estate={e2.id}"):
        assert client.get(url).status_code == 404, url
    for url in (f"/surveys/{theirs.id}/close", f"/surveys/responses/{r.id}/void",
                f"/surveys/{theirs.id}/responses/new"):
        assert client.post(url, data={"reason": "nope"}).status_code == 404, url
    assert "Riverside survey" not in client.get("/surveys/").get_data(as_text=True)
    assert "Riverside survey" not in client.get("/search?q=Riverside").get_data(as_text=True)
    assert count(Response) == 1
