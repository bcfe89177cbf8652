"""Sessions that end on the server, the remember-me cookie, login timing, throttling per
account and address, and the one safe-redirect check for every ``next``/``back``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.testing import TEST_PASSWORD

OWNER = {"REMOTE_ADDR": "192.0.2.10"}
ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}


def _login(client, username, password=TEST_PASSWORD, remember=False, **kw):
    data = {"username": username, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, **kw)


def _replay(app, **cookies):
    """A fresh browser holding only the given cookies."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def _on_the_desk(client) -> bool:
    resp = client.get("/")
    if resp.status_code == 302:
        assert "/login" in resp.headers["Location"]
        return False
    assert resp.status_code == 200
    return True


# --- logout, password change and deactivation end every session --------------------------------


def test_a_session_cookie_captured_before_logout_no_longer_works(app, client, make_user, estates):
    make_user("clerk", [estates[0]], username="wu")
    assert _login(client, "wu").status_code == 302
    captured = client.get_cookie("session").value
    assert _on_the_desk(_replay(app, session=captured))  # the copy works while signed in
    laptop = app.test_client()  # the same login on another device
    _login(laptop, "wu")
    client.post("/logout")
    assert not _on_the_desk(client)
    assert not _on_the_desk(_replay(app, session=captured))
    assert not _on_the_desk(laptop)  # every session of the login ends
    assert _login(client, "wu").status_code == 302 and _on_the_desk(client)  # signing in again works


def test_the_remember_me_cookie_ends_with_logout(app, client, make_user, estates):
    make_user("clerk", [estates[0]], username="zhou")
    _login(client, "zhou", remember=True)
    remembered = client.get_cookie("remember_token").value
    assert _on_the_desk(_replay(app, remember_token=remembered))  # it signs a fresh browser in
    resp = client.post("/logout")
    deleted = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert deleted and "Expires=Thu, 01 Jan 1970" in deleted[0]  # the browser is told to drop it
    assert client.get_cookie("remember_token") is None
    assert not _on_the_desk(_replay(app, remember_token=remembered))


def test_a_password_change_by_an_administrator_ends_the_users_sessions(app, client, make_user, estates):
    make_user("clerk", [estates[0]], username="feng")
    desk = app.test_client()
    _login(desk, "feng", remember=True)
    session_cookie = desk.get_cookie("session").value
    remembered = desk.get_cookie("remember_token").value
    admin = make_user("admin", all_estates=True, username="boss")
    _login(client, admin.username)
    from core.models import User

    feng = app.extensions["sqlalchemy"].session.scalar(select(User).where(User.username == "feng"))
    resp = client.post(f"/admin/users/{feng.id}", data={
        "username": "feng", "full_name": "Feng", "department_id": 0, "roles": [r.id for r in feng.roles],
        "estates": [estates[0].id], "active": "y", "password": "a-new-long-one"})
    assert resp.status_code == 302
    assert not _on_the_desk(desk)
    assert not _on_the_desk(_replay(app, session=session_cookie))
    assert not _on_the_desk(_replay(app, remember_token=remembered))
    assert _on_the_desk(client)  # the administrator stays signed in
    assert _login(app.test_client(), "feng", "a-new-long-one").status_code == 302


def test_an_administrator_changing_their_own_password_stays_signed_in(client, make_user, db):
    admin = make_user("admin", all_estates=True, username="selfchange")
    _login(client, "selfchange")
    resp = client.post(f"/admin/users/{admin.id}", data={
        "username": "selfchange", "full_name": "Self", "department_id": 0,
        "roles": [r.id for r in admin.roles], "all_estates": "y", "active": "y", "password": "my-new-long-one"})
    assert resp.status_code == 302
    assert _on_the_desk(client)


def test_own_password_change_ends_the_remember_me_cookie_and_other_sessions(app, client, make_user, estates):
    make_user("clerk", [estates[0]], username="jiang")
    _login(client, "jiang", remember=True)
    remembered = client.get_cookie("remember_token").value
    other = app.test_client()
    _login(other, "jiang")
    resp = client.post("/profile", data={"current": TEST_PASSWORD, "new": "brand-new-pass", "confirm": "brand-new-pass"})
    assert resp.status_code == 302
    assert _on_the_desk(client) and not _on_the_desk(other)
    assert not _on_the_desk(_replay(app, remember_token=remembered))


def test_deactivation_ends_every_session_for_good(app, client, make_user, estates, db):
    from core.models import User

    make_user("clerk", [estates[0]], username="qian")
    desk = app.test_client()
    _login(desk, "qian", remember=True)
    session_cookie = desk.get_cookie("session").value
    remembered = desk.get_cookie("remember_token").value
    admin = make_user("admin", all_estates=True, username="boss2")
    _login(client, admin.username)
    qian = db.session.scalar(select(User).where(User.username == "qian"))
    form = {"username": "qian", "full_name": "Qian", "department_id": 0,
            "roles": [r.id for r in qian.roles], "estates": [estates[0].id]}
    assert client.post(f"/admin/users/{qian.id}", data=form).status_code == 302  # active unticked
    assert not _on_the_desk(desk)
    # Reactivated later: the cookies from before stay dead; a fresh login works.
    assert client.post(f"/admin/users/{qian.id}", data={**form, "active": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, qian.id).active
    assert not _on_the_desk(_replay(app, session=session_cookie))
    assert not _on_the_desk(_replay(app, remember_token=remembered))
    assert _login(app.test_client(), "qian").status_code == 302


def test_signing_out_is_not_written_to_the_audit_log(client, make_user, db):
    from core.models import AuditLog

    user = make_user("clerk", username="quiet")
    _login(client, "quiet")
    client.post("/logout")
    changes = [e.changes for e in db.session.scalars(select(AuditLog).where(
        AuditLog.table_name == "core_user", AuditLog.record_id == str(user.id), AuditLog.action == "update"))]
    assert not any("session_version" in c for c in changes)


# --- cookie flags ---------------------------------------------------------------------------


def _set_cookies(make_app, make_user, monkeypatch, secure: str):
    monkeypatch.setenv("PROPDESK_SECURE_COOKIES", secure)
    app = make_app()
    with app.app_context():
        make_user("clerk", username=f"cookies{secure}")
    resp = _login(app.test_client(), f"cookies{secure}", remember=True)
    assert resp.status_code == 302
    return {c.split("=", 1)[0]: c for c in resp.headers.getlist("Set-Cookie")}


def test_the_remember_me_cookie_has_the_session_cookies_flags(make_app, make_user, monkeypatch):
    cookies = _set_cookies(make_app, make_user, monkeypatch, "0")
    for name in ("remember_token", "session"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name], cookies[name]
        assert "Secure" not in cookies[name]


def test_secure_cookies_covers_the_remember_me_cookie(make_app, make_user, monkeypatch):
    cookies = _set_cookies(make_app, make_user, monkeypatch, "1")
    for name in ("remember_token", "session"):
        assert "Secure" in cookies[name] and "SameSite=Lax" in cookies[name] and "HttpOnly" in cookies[name]


# --- login timing ---------------------------------------------------------------------------


@pytest.fixture
def hash_checks(monkeypatch):
    """Every password hash verified during the test, in order."""
    import core.models.auth as auth_models

    seen: list[str] = []
    real = auth_models.check_password_hash

    def counting(pwhash, password):
        seen.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(auth_models, "check_password_hash", counting)
    return seen


def test_an_unknown_username_costs_the_same_hashing_as_a_known_one(client, make_user, hash_checks):
    real = make_user("clerk", username="known")
    make_user("clerk", username="retired", active=False)
    method = real.password_hash.split("$", 1)[0]  # method and cost, e.g. pbkdf2:sha256:1000
    for username in ("known", "nobody-here", "retired"):
        hash_checks.clear()
        resp = _login(client, username, "wrong-password")
        assert resp.status_code == 401 and "Wrong username or password." in resp.get_data(as_text=True)
        assert len(hash_checks) == 1, username
        assert hash_checks[0].split("$", 1)[0] == method, username


def test_an_inactive_account_with_the_right_password_is_still_refused(client, make_user, hash_checks):
    make_user("clerk", username="leaver", active=False)
    assert _login(client, "leaver").status_code == 401
    assert len(hash_checks) == 1


# --- throttling per account and address -----------------------------------------------------


def test_a_guesser_elsewhere_cannot_lock_the_owner_out(client, make_user, app):
    make_user("clerk", username="zhao2")
    for _ in range(app.config["PROPDESK_LOGIN_MAX_FAILURES"]):
        assert _login(client, "zhao2", "guess", environ_base=ATTACKER).status_code == 401
    resp = _login(client, "zhao2", environ_base=ATTACKER)  # even the right password, from there
    assert resp.status_code == 429 and "Too many failed attempts" in resp.get_data(as_text=True)
    owner = app.test_client()
    assert _login(owner, "zhao2", environ_base=OWNER).status_code == 302
    assert owner.get("/", environ_base=OWNER).status_code == 200


def test_one_address_trying_many_accounts_is_refused(client, make_user, app):
    app.config["PROPDESK_LOGIN_MAX_FAILURES_PER_ADDRESS"] = 6
    make_user("clerk", username="target")
    for i in range(6):  # one failure each for six accounts: under the per-account limit
        assert _login(client, f"name{i}", "guess", environ_base=ATTACKER).status_code == 401
    assert _login(client, "target", environ_base=ATTACKER).status_code == 429
    assert _login(app.test_client(), "target", environ_base=OWNER).status_code == 302


def test_the_throttle_window_follows_the_clock_it_is_given(app, db):
    from core.models import LoginAttempt
    from core.views.auth import too_many_failures

    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    limit = app.config["PROPDESK_LOGIN_MAX_FAILURES"]
    window = timedelta(minutes=app.config["PROPDESK_LOGIN_WINDOW_MINUTES"])
    for i in range(limit):
        db.session.add(LoginAttempt(username="li", address="203.0.113.9", at=t0 + timedelta(seconds=i)))
    db.session.commit()
    assert too_many_failures("li", "203.0.113.9", now=t0 + timedelta(minutes=1))
    assert too_many_failures("LI", "203.0.113.9", now=t0 + timedelta(minutes=1))
    assert not too_many_failures("li", "192.0.2.10", now=t0 + timedelta(minutes=1))  # the owner's desk
    assert not too_many_failures("wang", "203.0.113.9", now=t0 + timedelta(minutes=1))  # another account
    assert not too_many_failures("li", "203.0.113.9", now=t0 + window + timedelta(seconds=1))  # expired


def test_behind_a_trusted_proxy_the_forwarded_address_is_throttled(client, make_user, app):
    app.config["PROPDESK_TRUSTED_PROXIES"] = 1
    make_user("clerk", username="proxied")
    via_nginx = {"REMOTE_ADDR": "127.0.0.1"}
    attacker = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(app.config["PROPDESK_LOGIN_MAX_FAILURES"]):
        _login(client, "proxied", "guess", environ_base=via_nginx, headers=attacker)
    assert _login(client, "proxied", environ_base=via_nginx, headers=attacker).status_code == 429
    # A forged first entry does not help: the proxy's own (last) entry counts.
    forged = {"X-Forwarded-For": "10.9.9.9, 203.0.113.9"}
    assert _login(client, "proxied", environ_base=via_nginx, headers=forged).status_code == 429
    owner = {"X-Forwarded-For": "192.0.2.10"}
    assert _login(app.test_client(), "proxied", environ_base=via_nginx, headers=owner).status_code == 302
    # Something that is not an address counts as the proxy's own.
    _login(client, "proxied", "guess", environ_base=via_nginx, headers={"X-Forwarded-For": "x" * 100})
    from core.models import LoginAttempt

    db = app.extensions["sqlalchemy"]
    assert set(db.session.scalars(select(LoginAttempt.address))) == {"203.0.113.9", "127.0.0.1"}


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(client, make_user, app):
    make_user("clerk", username="spoofer")
    for i in range(app.config["PROPDESK_LOGIN_MAX_FAILURES"]):
        _login(client, "spoofer", "guess", environ_base=ATTACKER, headers={"X-Forwarded-For": f"10.0.0.{i}"})
    resp = _login(client, "spoofer", environ_base=ATTACKER, headers={"X-Forwarded-For": "10.0.0.99"})
    assert resp.status_code == 429


# --- one safe-redirect check for every user-supplied target ----------------------------------

NASTY = [
    "//evil.example", "///evil.example", "/\t/evil.example", "/\\evil.example", "\\\\evil.example",
    "/\\/evil.example", "\\/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example",
    " //evil.example", "/\x00/evil.example", "/\x7f/evil.example", "/\x85/evil.example",
    "https://evil.example/", "https:/evil.example", "http:evil.example", "HTTPS://evil.example",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
    "evil.example", "evil.example/path", "", "/" + "a" * 3000,
]
GOOD = ["/", "/estates/units?page=2&sort=-number", "/residents/?q=%E5%BC%A0"]
# A NUL byte never reaches a view: the request is refused with 400 first (core/inputs.py).
ROUTE_NASTY = [t for t in NASTY if "\x00" not in t]


def _refused_before_the_view(resp):
    assert resp.status_code == 400 and "Location" not in resp.headers


@pytest.mark.parametrize("target", NASTY)
def test_the_redirect_check_refuses_anything_but_a_local_path(app, target):
    from core.redirects import is_safe_path, safe_next

    with app.test_request_context():
        assert not is_safe_path(target)
        assert safe_next(target) == "/"
        assert safe_next(target, "/fees/arrears") == "/fees/arrears"


@pytest.mark.parametrize("target", GOOD)
def test_the_redirect_check_keeps_a_page_of_the_site(app, target):
    from core.redirects import safe_next

    with app.test_request_context():
        assert safe_next(target) == target


def test_login_next_is_checked(app, make_user):
    make_user("clerk", username="nexter")
    for target in ROUTE_NASTY:
        resp = _login(app.test_client(), "nexter", query_string={"next": target})
        assert resp.status_code == 302 and resp.headers["Location"] == "/", repr(target)
    _refused_before_the_view(_login(app.test_client(), "nexter", query_string={"next": "/\x00/evil.example"}))
    resp = _login(app.test_client(), "nexter", query_string={"next": GOOD[1]})
    assert resp.headers["Location"] == GOOD[1]


def test_the_estate_switch_next_is_checked(client, login_as, estates):
    login_as("clerk", estates=[estates[0]])
    for target in ROUTE_NASTY:
        resp = client.post("/estate", data={"estate_id": str(estates[0].id), "next": target})
        assert resp.status_code == 302 and resp.headers["Location"] == "/", repr(target)
    _refused_before_the_view(client.post("/estate", data={"estate_id": str(estates[0].id),
                                                          "next": "/\x00/evil.example"}))
    resp = client.post("/estate", data={"estate_id": "all", "next": GOOD[1]})
    assert resp.headers["Location"] == GOOD[1]


def test_the_language_switch_next_and_referrer_are_checked(client):
    for target in ROUTE_NASTY:
        resp = client.post("/language", data={"locale": "en", "next": target})
        assert resp.status_code == 302 and resp.headers["Location"] == "/", repr(target)
    _refused_before_the_view(client.post("/language", data={"locale": "en", "next": "/\x00/evil.example"}))
    for referrer in ("https://evil.example//evil.example/x", "https://evil.example/\\evil.example", "http://[::1"):
        resp = client.post("/language", data={"locale": "en"}, headers={"Referer": referrer})
        assert resp.status_code == 302 and resp.headers["Location"] == "/", referrer
    resp = client.post("/language", data={"locale": "en"}, headers={"Referer": "http://localhost/login"})
    assert resp.headers["Location"] == "/login"


def test_the_arrears_back_address_is_checked(client, login_as):
    login_as("admin", all_estates=True)
    for target in ROUTE_NASTY:
        resp = client.post("/fees/arrears/notices", data={"back": target})  # no date: refused, sent back
        assert resp.status_code == 302 and resp.headers["Location"] == "/fees/arrears", repr(target)
    _refused_before_the_view(client.post("/fees/arrears/notices", data={"back": "/\x00/evil.example"}))
    resp = client.post("/fees/arrears/notices", data={"back": "/fees/arrears?age=6"})
    assert resp.headers["Location"] == "/fees/arrears?age=6"


def test_a_background_request_never_writes_back_a_session_cookie_it_did_not_change(client, login_as, estates):
    """A caller lookup fired as the clerk sends the form travels with the cookie of before the
    save; written back after the save's own response, it would drop the flash saying what was
    saved (seen in the browser case). Page loads still refresh the session's expiry."""
    login_as("clerk", estates=[estates[0]])
    assert "session=" in client.get("/").headers.get("Set-Cookie", "")
    lookup = client.get(f"/residents/caller?estate_id={estates[0].id}&unit_number=1-1-101&contact_phone=",
                        headers={"HX-Request": "true"})
    assert lookup.status_code == 200 and "resident" in lookup.get_data(as_text=True).lower()
    assert "Set-Cookie" not in lookup.headers
    # The flash set by a save survives a lookup answered after it.
    with client.session_transaction() as s:
        s["_flashes"] = [("success", "Repair BX-1 recorded.")]
    client.get(f"/residents/caller?estate_id={estates[0].id}&unit_number=1-1-101", headers={"HX-Request": "true"})
    assert "Repair BX-1 recorded." in client.get("/").get_data(as_text=True)
