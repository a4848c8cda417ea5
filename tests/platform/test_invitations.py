"""People created by staff receive a link to choose their password; it works once."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.messaging.models import OutboundMessage
from tests.conftest import login


def test_invitation_email_and_set_password_link(api, users, client, run_jobs):
    created = api(users["admin"]).post(
        "/users",
        json={
            "email": "selin@example.com",
            "name": "Selin Aydın",
            "role": "learner",
            "locale": "tr",
            "timezone": "Europe/Istanbul",
        },
    )
    assert created.status_code == 201
    run_jobs()
    from portal.extensions import db

    message = db.session.scalar(select(OutboundMessage))
    assert message.message_type == "account_invitation" and message.status == "delivered"
    assert message.recipient_address == "selin@example.com" and message.locale == "tr"
    path = re.search(r"http://localhost(/set-password/\S+)", message.content).group(1)

    page = client.get(path)
    assert page.status_code == 200 and "selin@example.com" in page.get_data(as_text=True)
    short = client.post_form(path, {"password": "short"})
    assert short.status_code == 422
    done = client.post_form(path, {"password": "a-good-password"})
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # logged in
    client.post_form("/logout")
    assert client.get(path).status_code == 404  # used once
    user = type(users["admin"])
    selin = db.session.scalar(select(user).where(user.email == "selin@example.com"))
    login(client, selin, password="a-good-password")


def test_user_created_with_a_password_gets_no_invitation(api, users, run_jobs):
    api(users["admin"]).post(
        "/users",
        json={
            "email": "kemal@example.com",
            "name": "Kemal",
            "role": "trainer",
            "password": "long-enough-pw",
        },
    )
    run_jobs()
    from portal.extensions import db

    assert db.session.scalar(select(OutboundMessage)) is None


def test_forged_link_is_404(client):
    assert client.get("/set-password/not-a-token").status_code == 404
