"""Tokens, /me, /users and the API's error format."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.accounts.models import ApiToken, User
from portal.extensions import db
from tests.factories import PASSWORD, make_user


def test_token_exchange_list_and_revoke(api, users):
    anonymous = api()
    created = anonymous.post(
        "/auth/tokens", json={"email": users["trainer"].email, "password": PASSWORD}
    )
    assert created.status_code == 201
    body = created.get_json()
    token = body["token"]
    assert body["user"]["role"] == "trainer"
    assert body["user"]["organisation"]["name"] == "Home Org"

    # Only a hash is stored.
    rows = db.session.scalars(select(ApiToken)).all()
    assert token not in {row.token_hash for row in rows}

    client = api()
    client.token = token
    me = client.get("/me")
    assert me.status_code == 200
    assert me.get_json()["email"] == users["trainer"].email

    listed = client.get("/auth/tokens").get_json()
    assert listed["total_count"] == 1
    assert listed["items"][0]["is_active"] is True
    assert "token" not in listed["items"][0]

    revoked = client.delete(f"/auth/tokens/{body['token_id']}")
    assert revoked.status_code == 200
    assert revoked.get_json()["is_active"] is False
    assert client.get("/me").status_code == 401


def test_token_with_wrong_password_or_unknown_email(api, users):
    wrong = api().post("/auth/tokens", json={"email": users["admin"].email, "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.get_json()["error"]["code"] == "invalid_credentials"
    unknown = api().post("/auth/tokens", json={"email": "ghost@example.com", "password": "x"})
    assert unknown.status_code == 401


def test_cannot_revoke_someone_elses_token(api, users):
    owner = api(users["admin"])
    token_id = owner.get("/auth/tokens").get_json()["items"][0]["id"]
    other = api(users["trainer"])
    assert other.delete(f"/auth/tokens/{token_id}").status_code == 404
    assert owner.get("/me").status_code == 200


def test_bad_bearer_token_is_401(api):
    client = api()
    client.token = "pcs_not-a-real-token"
    response = client.get("/me")
    assert response.status_code == 401
    error = response.get_json()["error"]
    assert error["code"] == "unauthorized" and error["message"]


def test_login_rate_limit_answers_429(api, users):
    client = api()
    body = {"email": users["admin"].email, "password": "wrong"}
    statuses = [client.post("/auth/tokens", json=body).status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    assert client.post("/auth/tokens", json=body).get_json()["error"]["code"] == "rate_limited"


def test_patch_me_changes_locale_timezone_and_contact(api, users):
    client = api(users["learner"])
    response = client.patch(
        "/me", json={"locale": "tr", "timezone": "Europe/Istanbul", "phone": "+90 555 000 00 00"}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["locale"], body["timezone"], body["phone"]) == (
        "tr",
        "Europe/Istanbul",
        "+90 555 000 00 00",
    )


@pytest.mark.parametrize("chat_id", ["123456", None, ""])
def test_patch_me_refuses_a_telegram_chat_id(api, users, chat_id):
    """A chat is linked by the bot (POST /me/telegram-link), never typed: 422 naming the
    field, in the caller's language, and nothing else in the body is written either."""
    learner = users["learner"]
    response = api(learner).patch("/me", json={"locale": "fr", "telegram_chat_id": chat_id})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"telegram_chat_id"}
    assert "Connect Telegram from your profile" in error["details"]["telegram_chat_id"]
    db.session.expire_all()
    assert (learner.telegram_chat_id, learner.locale) == (None, "en")


def test_patch_me_bad_input_is_422_and_writes_nothing(api, users):
    client = api(users["learner"])
    response = client.patch("/me", json={"timezone": "Mars/Olympus", "locale": "de"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"locale"}  # shape is checked before the service
    response = client.patch("/me", json={"timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert "timezone" in response.get_json()["error"]["details"]
    db.session.expire_all()
    assert db.session.get(User, users["learner"].id).timezone == "Europe/Paris"


def test_malformed_bodies_are_400_413_415_never_500(api, users):
    client = api(users["learner"])
    headers = {"Authorization": f"Bearer {client.token}", "Content-Type": "application/json"}
    raw = client.client.patch("/api/v1/me", data=b"{not json", headers=headers)
    assert raw.status_code == 400
    assert raw.get_json()["error"]["code"] == "bad_request"
    array = client.client.patch("/api/v1/me", data=b"[1, 2]", headers=headers)
    assert array.status_code == 400
    text = client.client.patch(
        "/api/v1/me",
        data=b"locale=fr",
        headers={"Authorization": headers["Authorization"], "Content-Type": "text/plain"},
    )
    assert text.status_code == 415
    deep = client.client.patch(
        "/api/v1/me", data=b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}", headers=headers
    )
    assert deep.status_code == 400 and deep.get_json()["error"]["code"] == "bad_request"
    nested = client.client.patch(
        "/api/v1/me", data=b'{"name": ' + b"[" * 900 + b"]" * 900 + b"}", headers=headers
    )
    assert nested.status_code in (400, 422)
    huge = client.client.patch("/api/v1/me", data=b" " * (1024 * 1024 + 10), headers=headers)
    assert huge.status_code == 413
    extra = client.patch("/me", json={"role": "admin"})
    assert extra.status_code == 422
    assert "role" in extra.get_json()["error"]["details"]


def test_admin_lists_and_creates_users_in_own_organisation_only(api, users, other_org):
    stranger = make_user(other_org, "trainer", email="stranger@example.com")
    admin = api(users["admin"])
    listed = admin.get("/users?limit=2").get_json()
    assert listed["total_count"] == 4
    assert len(listed["items"]) == 2
    emails = {u["email"] for u in admin.get("/users").get_json()["items"]}
    assert stranger.email not in emails

    created = admin.post(
        "/users",
        json={
            "email": "Yeni.Kullanici@Example.com",
            "name": "Ali Veli",
            "role": "trainer",
            "locale": "tr",
            "timezone": "Europe/Istanbul",
        },
    )
    assert created.status_code == 201
    assert created.get_json()["email"] == "yeni.kullanici@example.com"

    duplicate = admin.post(
        "/users", json={"email": "YENI.kullanici@example.com", "name": "Again", "role": "learner"}
    )
    assert duplicate.status_code == 409
    assert duplicate.get_json()["error"]["code"] == "duplicate"

    invalid = admin.post("/users", json={"email": "not-an-email", "name": "", "role": "boss"})
    assert invalid.status_code == 422
    assert {"name", "role"} <= set(invalid.get_json()["error"]["details"])


def test_other_organisations_users_are_404(api, users, other_org):
    stranger = make_user(other_org, "trainer")
    admin = api(users["admin"])
    assert admin.get(f"/users/{stranger.id}").status_code == 404
    assert admin.patch(f"/users/{stranger.id}", json={"role": "admin"}).status_code == 404
    assert admin.get("/users/not-a-uuid").status_code == 404
    db.session.expire_all()
    assert db.session.get(User, stranger.id).role == "trainer"


def test_admin_changes_role_and_deactivates(api, users):
    admin = api(users["admin"])
    target = users["trainer"]
    trainer_api = api(target)
    changed = admin.patch(f"/users/{target.id}", json={"role": "coordinator"})
    assert changed.status_code == 200 and changed.get_json()["role"] == "coordinator"
    off = admin.patch(f"/users/{target.id}", json={"is_active": False})
    assert off.get_json()["is_active"] is False
    # A deactivated person's tokens stop working and they cannot get new ones.
    assert trainer_api.get("/me").status_code == 401
    again = api().post("/auth/tokens", json={"email": target.email, "password": PASSWORD})
    assert again.status_code == 401


def test_admin_cannot_lock_the_organisation_out(api, users):
    admin = api(users["admin"])
    me = users["admin"]
    response = admin.patch(f"/users/{me.id}", json={"is_active": False})
    assert response.status_code == 422
    response = admin.patch(f"/users/{me.id}", json={"role": "trainer"})
    assert response.status_code == 422
    assert "role" in response.get_json()["error"]["details"]


def test_list_pagination_is_validated(api, users):
    admin = api(users["admin"])
    assert admin.get("/users?limit=0").status_code == 422
    assert admin.get("/users?limit=501").status_code == 422
    assert admin.get("/users?offset=-1").status_code == 422
    too_far = admin.get("/users?offset=232048786346912205766656", headers={"Accept-Language": "fr"})
    assert too_far.status_code == 422
    assert "offset" in too_far.get_json()["error"]["details"]
    assert admin.get("/users?limit=abc").status_code == 422
    for written in ("1_0", "+1", "%201", "1.0", "1e2"):  # numbers as people write them
        assert admin.get(f"/users?limit={written}").status_code == 422, written
    assert admin.get("/users?limit=02").status_code == 200
    assert admin.get("/users?offset=3").get_json()["items"].__len__() == 1


def test_unknown_api_path_and_method_are_json(api, users):
    client = api(users["admin"])
    missing = client.get("/nothing-here")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    # in the caller's language, from the profile as on every other answer
    users["admin"].locale = "fr"
    db.session.commit()
    assert client.get("/nothing-here").get_json()["error"]["message"] == "Introuvable."
    users["admin"].locale = "en"
    db.session.commit()
    wrong = client.put("/me", json={})
    assert wrong.status_code == 405
    assert wrong.get_json()["error"]["code"] == "method_not_allowed"


def test_openapi_document_lists_every_api_route(app, api):
    document = api().get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = rule.rule.replace("<", "{").replace(">", "}")
            assert path in paths, path
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in paths[path], (method, path)
    patch_me = paths["/api/v1/me"]["patch"]
    schema_ref = patch_me["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = document["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert {"locale", "timezone", "phone"} <= set(schema["properties"])
    assert "telegram_chat_id" not in schema["properties"]
    link = paths["/api/v1/me/telegram-link"]
    assert set(link) >= {"post", "delete"}
    assert "201" in link["post"]["responses"]
    assert "422" in patch_me["responses"]
    upload = paths["/api/v1/training-sessions/{session_id}/materials"]["post"]["requestBody"]
    form = upload["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file", "material_type"]
    assert form["properties"]["file"]["format"] == "binary"
    assert "recording" in form["properties"]["material_type"]["enum"]


def test_nul_character_in_a_body_or_query_is_422(api, users):
    client = api(users["learner"])
    response = client.patch(
        "/me", json={"name": "Jo\x00hn", "phone": "+33\x00"}, headers={"Accept-Language": "fr"}
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert set(error["details"]) == {"name", "phone"}
    assert "NUL" in error["details"]["name"]
    db.session.expire_all()
    assert db.session.get(User, users["learner"].id).name == users["learner"].name
    admin = api(users["admin"])
    assert admin.get("/users?q=a\x00b").status_code == 422
    # Who asks is checked first: nobody gets 401, the wrong role 403, before the input is read.
    assert api().get("/users?q=a\x00b").status_code == 401
    assert client.get("/users?q=a\x00b").status_code == 403


def test_a_choice_error_lists_the_choices_without_english_words(api, users):
    client = api(users["coordinator"])
    for language, start in (("fr", "Choisissez parmi : "), ("tr", "")):
        answer = client.get(
            "/onboarding-requests?status=bogus", headers={"Accept-Language": language}
        )
        assert answer.status_code == 422
        message = answer.get_json()["error"]["details"]["status"]
        assert message.startswith(start)
        assert "pending, assigned, in_progress, completed, cancelled" in message
        assert " or " not in message and "'" not in message
