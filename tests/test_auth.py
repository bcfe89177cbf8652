"""Logging in and out, throttling, sessions, CSRF, headers, and the permission checks."""

from sqlalchemy import select

from core.testing import TEST_PASSWORD


def test_pages_require_login(client, estates):
    resp = client.get("/estates/units")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/notices/").status_code == 302


def test_a_clerk_logs_in_and_out(client, make_user, estates):
    user = make_user("clerk", [estates[0]], username="wang")
    resp = client.post("/login", data={"username": "WANG", "password": TEST_PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert "Wang" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    assert client.get("/").status_code == 302
    assert user.last_login_at is not None


def test_a_wrong_password_is_refused_and_recorded(client, make_user, db):
    from core.models import LoginAttempt

    make_user("clerk", username="li")
    resp = client.post("/login", data={"username": "li", "password": "nope"})
    assert resp.status_code == 401
    assert "Wrong username or password." in resp.get_data(as_text=True)
    assert db.session.scalars(select(LoginAttempt.username)).all() == ["li"]


def test_login_is_throttled_after_repeated_failures(client, make_user, app):
    make_user("clerk", username="zhao")
    for _ in range(app.config["PROPDESK_LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"username": "zhao", "password": "wrong"})
    resp = client.post("/login", data={"username": "zhao", "password": TEST_PASSWORD})
    assert resp.status_code == 429
    assert "Too many failed attempts" in resp.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still not logged in


def test_an_inactive_account_cannot_log_in(client, make_user):
    make_user("clerk", username="gone", active=False)
    assert client.post("/login", data={"username": "gone", "password": TEST_PASSWORD}).status_code == 401


def test_passwords_are_hashed(make_user):
    user = make_user("clerk")
    assert TEST_PASSWORD not in user.password_hash and user.password_hash.startswith("pbkdf2:")


def test_changing_the_password_signs_out_other_sessions(app, client, make_user, estates):
    user = make_user("clerk", [estates[0]], username="chen")
    other = app.test_client()
    for c in (client, other):
        c.post("/login", data={"username": "chen", "password": TEST_PASSWORD})
    resp = client.post("/profile", data={"current": TEST_PASSWORD, "new": "brand-new-pass", "confirm": "brand-new-pass"})
    assert resp.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert user.check_password("brand-new-pass")


def test_a_wrong_current_password_changes_nothing(client, login_as):
    user = login_as("clerk")
    resp = client.post("/profile", data={"current": "guess", "new": "brand-new-pass", "confirm": "brand-new-pass"})
    assert "The current password is wrong." in resp.get_data(as_text=True)
    assert user.check_password(TEST_PASSWORD)


def test_open_redirects_after_login_are_refused(client, make_user):
    make_user("clerk", username="sun")
    resp = client.post("/login?next=https://evil.example/", data={"username": "sun", "password": TEST_PASSWORD})
    assert resp.headers["Location"] == "/"


def test_csrf_is_checked_on_every_form(make_app, make_user, estates):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_user("clerk", username="csrfuser")
    c = app.test_client()
    resp = c.post("/login", data={"username": "csrfuser", "password": TEST_PASSWORD})
    assert resp.status_code == 400
    page = c.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    resp = c.post("/login", data={"username": "csrfuser", "password": TEST_PASSWORD, "csrf_token": token})
    assert resp.status_code == 302


def test_security_headers_are_sent(client):
    resp = client.get("/login")
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie


def test_a_clerk_cannot_reach_admin_pages(client, login_as, estates):
    login_as("clerk", estates=[estates[0]])
    for url in ("/admin/users", "/admin/roles", "/admin/plugins", "/admin/audit", "/estates/new"):
        assert client.get(url).status_code == 403, url


def test_the_menu_shows_only_what_the_role_may_use(client, login_as, estates):
    login_as("technician", estates=[estates[0]])
    page = client.get("/").get_data(as_text=True)
    menu = page.split('id="sidebar"')[1].split("</aside>")[0]
    assert "Units" in menu and "Residents" not in menu and "Staff" not in menu


def test_roles_are_editable_sets_of_permission_codes(client, login_as, db, estates):
    from core.models import Role

    login_as("admin", all_estates=True)
    clerk = db.session.scalar(select(Role).where(Role.code == "clerk"))
    assert "core.residents.edit" in clerk.permission_codes
    resp = client.post(f"/admin/roles/{clerk.id}", data={"permissions": ["core.estates.view", "notices.view"]})
    assert resp.status_code == 302
    db.session.expire_all()
    assert clerk.permission_codes == {"core.estates.view", "notices.view"}
    resp = client.post(f"/admin/roles/{clerk.id}", data={"permissions": ["core.estates.view", "made.up"]},
                       follow_redirects=True)
    assert "Unknown permission: made.up" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert clerk.permission_codes == {"core.estates.view", "notices.view"}


def test_an_admin_creates_a_staff_account(client, login_as, db, estates):
    from core.models import Role, User

    login_as("admin", all_estates=True)
    clerk = db.session.scalar(select(Role).where(Role.code == "clerk"))
    resp = client.post("/admin/users/new", data={
        "username": "newclerk", "full_name": "Xu Li", "phone": "13812345678", "department_id": 0,
        "roles": [clerk.id], "estates": [estates[0].id], "active": "y", "locale": "zh_CN",
        "password": "long-enough-1"})
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "newclerk"))
    assert [e.code for e in user.estates] == ["E01"] and user.locale == "zh_CN"
    assert user.check_password("long-enough-1")


def test_a_new_account_needs_a_valid_username_and_password(client, login_as, db, estates):
    from core.models import User

    login_as("admin", all_estates=True)
    resp = client.post("/admin/users/new", data={"username": "bad name!", "full_name": "", "department_id": 0})
    page = resp.get_data(as_text=True)
    assert "Use letters, digits, dot, dash or underscore." in page
    assert "This field is required." in page
    resp = client.post("/admin/users/new", data={"username": "nopass", "full_name": "No Pass", "department_id": 0})
    assert "A new account needs a password" in resp.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username.in_(["nopass", "bad name!"]))) is None


def test_a_manager_with_user_rights_cannot_grant_other_estates(client, login_as, db, estates, make_user):
    from core.models import Role, User

    manager = login_as("manager", estates=[estates[0]])
    admin_role = db.session.scalar(select(Role).where(Role.code == "manager"))
    admin_role.set_permissions(admin_role.permission_codes | {"core.users.admin"})
    db.session.commit()
    assert manager.can("core.users.admin")
    clerk = db.session.scalar(select(Role).where(Role.code == "clerk"))
    client.post("/admin/users/new", data={
        "username": "sneaky", "full_name": "S", "department_id": 0, "roles": [clerk.id],
        "estates": [estates[1].id], "password": "long-enough-1", "active": "y"})
    assert db.session.scalar(select(User).where(User.username == "sneaky")) is None
    other = make_user("clerk", [estates[1]], username="other_office")
    assert client.get(f"/admin/users/{other.id}").status_code == 404


def test_every_route_checks_login_or_a_permission(app):
    """A meta-test: no view is reachable without login, except the few public ones."""
    from core.app import PUBLIC_ENDPOINTS

    client = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.endswith("static"):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "x")
        method = "GET" if "GET" in rule.methods else "POST"
        resp = client.open(url, method=method)
        assert resp.status_code in (302, 404), (rule.endpoint, resp.status_code)
        if resp.status_code == 302:
            assert "/login" in resp.headers["Location"], rule.endpoint


def test_role_and_estate_changes_of_an_account_are_audited(client, login_as, db, estates, make_user):
    from core.models import AuditLog, Role

    login_as("admin", all_estates=True)
    target = make_user("clerk", [estates[0]], username="moved")
    supervisor = db.session.scalar(select(Role).where(Role.code == "supervisor"))
    client.post(f"/admin/users/{target.id}", data={
        "username": "moved", "full_name": "Moved", "department_id": 0, "roles": [supervisor.id],
        "estates": [estates[1].id], "active": "y"})
    changes = {}
    for entry in db.session.scalars(select(AuditLog).where(
            AuditLog.table_name == "core_user", AuditLog.record_id == str(target.id),
            AuditLog.action == "update").order_by(AuditLog.id)):
        changes.update(entry.changes)
        assert entry.user_id != target.id
    assert changes["roles"] == [["clerk"], ["supervisor"]]
    assert changes["estates"] == [["E01"], ["E02"]]


def test_sessions_expire(app, client, login_as):
    login_as("clerk")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600


def test_departments_are_managed_by_user_admins(client, login_as, db):
    from core.models import Department

    login_as("admin", all_estates=True)
    assert client.post("/admin/departments", data={"code": "maint", "name": "维修部"}).status_code == 302
    resp = client.post("/admin/departments", data={"code": "maint", "name": "Again"})
    assert "Another department has this code." in resp.get_data(as_text=True)
    resp = client.post("/admin/departments", data={"code": "Bad Code", "name": "X"})
    assert "Use lower-case letters" in resp.get_data(as_text=True)
    assert db.session.scalars(select(Department.name)).all() == ["维修部"]


def test_the_profile_names_the_roles_in_the_user_s_language(client, login_as, db):
    from core.models import Role

    own = Role(code="night_desk", name="夜班前台", description="")
    db.session.add(own)
    user = login_as(["clerk", "cashier"], locale="zh_CN", username="wangfang", full_name="王芳")
    user.roles.append(own)
    db.session.commit()
    page = client.get("/profile").get_data(as_text=True)
    assert "客服专员" in page and "收银员" in page and "夜班前台" in page  # a site's own role as named
    assert "Customer service clerk" not in page and "Cashier" not in page
