"""Pages and API errors in French and Turkish; dates in the user's language and timezone."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import force_locale, refresh

from portal.core import catalogs
from portal.core.i18n import format_when
from tests.conftest import login


def test_catalogs_are_complete():
    assert catalogs.problems() == []


def test_login_page_follows_accept_language(client):
    french = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert '<html lang="fr">' in french.get_data(as_text=True)
    assert "Connexion" in french.get_data(as_text=True)
    turkish = client.get("/login", headers={"Accept-Language": "tr"})
    assert '<html lang="tr">' in turkish.get_data(as_text=True)


def test_anonymous_language_switch(client):
    client.post_form("/language", {"lang": "tr", "next": "/login"})
    assert '<html lang="tr">' in client.get("/login").get_data(as_text=True)


def test_user_locale_beats_the_browser(client, users):
    users["trainer"].locale = "fr"
    from portal.extensions import db

    db.session.commit()
    login(client, users["trainer"])
    page = client.get("/profile", headers={"Accept-Language": "tr"}).get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Votre profil" in page


def test_api_error_in_french(api, users):
    anonymous = api()
    response = anonymous.get("/me", headers={"Accept-Language": "fr"})
    assert response.status_code == 401
    assert "jeton" in response.get_json()["error"]["message"]


def test_api_errors_follow_profile_then_header(api, users):
    users["learner"].locale = "tr"
    from portal.extensions import db

    db.session.commit()
    client = api(users["learner"])
    in_profile_language = client.patch("/me", json={"timezone": "Mars/Base"})
    message = in_profile_language.get_json()["error"]["details"]["timezone"]
    assert message != "Choose a timezone from the list."
    overridden = client.patch(
        "/me", json={"timezone": "Mars/Base"}, headers={"Accept-Language": "en"}
    )
    assert (
        overridden.get_json()["error"]["details"]["timezone"] == "Choose a timezone from the list."
    )


def test_dates_in_the_users_timezone_and_language(app):
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    from flask import g

    with app.test_request_context("/"), force_locale("tr"):
        g.forced_timezone = "Europe/Istanbul"
        refresh()
        assert "03:30" in format_when(moment, "short")
    with app.test_request_context("/"), force_locale("fr"):
        g.forced_timezone = "America/New_York"
        refresh()
        text = format_when(moment, "long")
        assert "28 mars 2026" in text and "20:30" in text
