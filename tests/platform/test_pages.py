"""Login, profile, user administration and HTMX fragments in the browser-facing pages."""

from __future__ import annotations

from portal.accounts.models import User
from portal.extensions import db
from tests.conftest import login
from tests.factories import PASSWORD, make_user


def test_login_failure_shows_the_form_with_an_error(client, users):
    response = client.post_form("/login", {"email": users["admin"].email, "password": "bad"})
    assert response.status_code == 422
    assert "Email or password is not correct." in response.get_data(as_text=True)


def test_login_rate_limited_after_ten_attempts(client, users):
    for _ in range(10):
        client.post_form("/login", {"email": users["admin"].email, "password": "bad"})
    response = client.post_form("/login", {"email": users["admin"].email, "password": "bad"})
    assert response.status_code == 429
    # Another address or email is not blocked.
    other = client.post_form("/login", {"email": users["trainer"].email, "password": PASSWORD})
    assert other.status_code == 302


def test_login_keeps_only_local_next_targets(client, users):
    response = client.post_form(
        "/login?next=https://evil.example/steal",
        {"email": users["admin"].email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/"
    client.post_form("/logout")
    response = client.post_form(
        "/login?next=/profile", {"email": users["admin"].email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/profile"


def test_without_a_session_pages_send_to_login_and_htmx_is_told_to_go_there(client):
    plain = client.get("/notifications?unread=1")
    assert plain.status_code == 302
    assert plain.headers["Location"] == "/login?next=%2Fnotifications%3Funread%3D1"
    polled = client.get(
        "/notifications/bell",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/admin/messages?x=1"},
    )
    assert polled.status_code == 401 and polled.data == b""
    assert polled.headers["HX-Redirect"] == "/login?next=%2Fadmin%2Fmessages%3Fx%3D1"
    elsewhere = client.get(
        "/notifications/bell",
        headers={"HX-Request": "true", "HX-Current-URL": "https://evil.example//steal"},
    )
    assert elsewhere.headers["HX-Redirect"] == "/login?next=%2F"


def test_logout_ends_the_session(client, users):
    login(client, users["learner"])
    assert client.get("/").status_code == 200
    client.post_form("/logout")
    assert client.get("/").status_code == 302


def test_deactivated_user_is_logged_out_and_cannot_log_in(client, users):
    login(client, users["trainer"])
    users["trainer"].is_active = False
    db.session.commit()
    assert client.get("/").status_code == 302
    response = client.post_form("/login", {"email": users["trainer"].email, "password": PASSWORD})
    assert response.status_code == 422


def test_csrf_is_required_on_every_form(client, users):
    login(client, users["learner"])
    response = client.post("/profile", data={"name": "X", "locale": "fr", "timezone": "UTC"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, users["learner"].id).locale == "en"


def test_home_navigation_fits_the_role(login_as):
    admin_page = login_as("admin").get("/").get_data(as_text=True)
    learner_page = login_as("learner").get("/").get_data(as_text=True)
    assert 'href="/admin/users"' in admin_page
    assert 'href="/admin/users"' not in learner_page
    assert 'href="/profile"' in learner_page


def test_profile_change_language_and_timezone(client, users):
    login(client, users["learner"])
    response = client.post_form(
        "/profile",
        {
            "name": "Zeynep Kaya",
            "locale": "tr",
            "timezone": "Europe/Istanbul",
            "phone": "+90 555 000 00 00",
        },
    )
    assert response.status_code == 302
    page = client.get("/profile").get_data(as_text=True)
    assert '<html lang="tr">' in page
    assert "Profiliniz" in page
    assert 'name="telegram_chat_id"' not in page  # a chat is linked by the bot, never typed
    db.session.expire_all()
    user = db.session.get(User, users["learner"].id)
    assert (user.locale, user.timezone, user.phone) == (
        "tr",
        "Europe/Istanbul",
        "+90 555 000 00 00",
    )


def test_profile_bad_timezone_returns_the_form_with_errors(client, users):
    login(client, users["learner"])
    response = client.post_form(
        "/profile",
        {"name": "", "locale": "en", "timezone": "Nowhere/City"},
        htmx=True,
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<form")  # only the form block comes back
    assert "aria-invalid" in body
    assert response.headers["Vary"] and "HX-Request" in response.headers["Vary"]


def test_profile_htmx_success_redirects_via_header(client, users):
    login(client, users["learner"])
    response = client.post_form(
        "/profile",
        {"name": "Sarah Johnson", "locale": "fr", "timezone": "America/New_York"},
        htmx=True,
    )
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/profile"


def test_history_restore_gets_the_whole_page(client, users):
    login(client, users["admin"])
    response = client.get(
        "/admin/users", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.get_data(as_text=True)
    fragment = client.get("/admin/users", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="user-rows"' in fragment.get_data(as_text=True)


def test_change_password(client, users):
    login(client, users["coordinator"])
    bad = client.post_form(
        "/profile/password", {"current_password": "wrong", "new_password": "short"}
    )
    assert bad.status_code == 422
    good = client.post_form(
        "/profile/password", {"current_password": PASSWORD, "new_password": "a-new-password-1"}
    )
    assert good.status_code == 302
    client.post_form("/logout")
    login(client, users["coordinator"], password="a-new-password-1")


def test_tokens_from_the_profile_page(client, users):
    login(client, users["trainer"])
    created = client.post_form("/profile/tokens", {"name": "laptop"}, htmx=True)
    assert created.status_code == 201
    body = created.get_data(as_text=True)
    assert 'id="new-token"' in body and "pcs_" in body
    token = users["trainer"].tokens[0]
    revoked = client.post_form(f"/profile/tokens/{token.id}/revoke", htmx=True)
    assert revoked.status_code == 200
    db.session.expire_all()
    assert users["trainer"].tokens[0].revoked_at is not None


def test_cannot_revoke_another_users_token_from_the_page(client, users):
    make_user  # noqa: B018 - imported for symmetry with the API test
    client_other = client
    login(client_other, users["trainer"])
    from tests.factories import make_token

    make_token(users["admin"])
    token = users["admin"].tokens[0]
    response = client_other.post_form(f"/profile/tokens/{token.id}/revoke")
    assert response.status_code == 404


def test_admin_creates_user_and_sees_field_errors(client, users):
    login(client, users["admin"])
    bad = client.post_form(
        "/admin/users",
        {
            "name": "Ali",
            "email": users["trainer"].email.upper(),
            "role": "trainer",
            "locale": "tr",
            "timezone": "Europe/Istanbul",
        },
        htmx=True,
    )
    assert bad.status_code == 422
    assert "A user with this email already exists." in bad.get_data(as_text=True)
    good = client.post_form(
        "/admin/users",
        {
            "name": "Ali Veli",
            "email": "ali@example.com",
            "role": "trainer",
            "locale": "tr",
            "timezone": "Europe/Istanbul",
        },
        htmx=True,
    )
    assert good.status_code == 204
    listing = client.get("/admin/users?q=ali").get_data(as_text=True)
    assert "ali@example.com" in listing


def test_admin_changes_role_and_deactivates_from_the_list(client, users):
    login(client, users["admin"])
    target = users["learner"]
    row = client.post_form(f"/admin/users/{target.id}/role", {"role": "trainer"}, htmx=True)
    assert row.status_code == 200
    assert row.get_data(as_text=True).lstrip().startswith(f'<tr id="user-{target.id}"')
    off = client.post_form(f"/admin/users/{target.id}/active", {"active": "0"}, htmx=True)
    assert "Deactivated" in off.get_data(as_text=True)
    self_off = client.post_form(
        f"/admin/users/{users['admin'].id}/active", {"active": "0"}, htmx=True
    )
    assert self_off.status_code == 422
    assert "You cannot deactivate your own account." in self_off.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, target.id).role == "trainer"
    assert db.session.get(User, users["admin"].id).is_active


def test_admin_changes_role_without_javascript(client, users):
    login(client, users["admin"])
    target = users["learner"]
    bad = client.post_form(f"/admin/users/{target.id}/role", {"role": "emperor"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Choose a role from the list." in page and "<html" in page  # the whole list again
    good = client.post_form(f"/admin/users/{target.id}/role", {"role": "trainer"})
    assert good.status_code == 302 and good.headers["Location"].endswith("/admin/users")
    db.session.expire_all()
    assert db.session.get(User, target.id).role == "trainer"


def test_admin_cannot_touch_another_organisations_user(client, users, other_org):
    stranger = make_user(other_org, "trainer")
    login(client, users["admin"])
    assert (
        client.post_form(f"/admin/users/{stranger.id}/role", {"role": "admin"}).status_code == 404
    )
    assert (
        client.post_form(f"/admin/users/{stranger.id}/active", {"active": "0"}).status_code == 404
    )
    assert stranger.email not in client.get("/admin/users").get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "script-src 'self'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"


def test_nul_character_in_a_form_or_query_is_refused_and_writes_nothing(client, users):
    login(client, users["learner"])
    client.post_form("/profile", {"name": "Ayşe", "locale": "fr", "timezone": "Europe/Paris"})
    response = client.post_form(
        "/profile", {"name": "Ay\x00şe", "locale": "tr", "timezone": "Europe/Istanbul"}
    )
    assert response.status_code == 400
    # The page says why, in the person's language.
    assert "Le texte ne peut pas contenir le caractère NUL." in response.get_data(as_text=True)
    db.session.expire_all()
    learner = db.session.get(User, users["learner"].id)
    assert (learner.name, learner.locale) == ("Ayşe", "fr")
    assert client.get("/notifications?offset=1\x00").status_code == 400
