"""The outbox: written with the business change, delivered once, never lost, retried, failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select, update

from portal import queue
from portal.core.clock import utcnow
from portal.extensions import db
from portal.messaging import services
from portal.messaging.models import OutboundMessage
from portal.workflow.models import StatusChange
from tests.factories import make_user
from tests.fakes import FakeApi
from tests.statements import counted


def _notify_message(user, channel="telegram", **extra):
    return services.queue_message(
        channel=channel,
        message_type="notification",
        recipient=user,
        context={"title": "Session booked", "body": "See you on Friday.", "link": "/"},
        **extra,
    )


@pytest.fixture
def telegram(app, monkeypatch):
    fake = FakeApi().start()
    monkeypatch.setitem(app.config, "TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setitem(app.config, "TELEGRAM_API_BASE", fake.url)
    yield fake
    fake.stop()


def _history(message):
    return [
        (c.old_status, c.new_status)
        for c in db.session.scalars(
            select(StatusChange)
            .where(StatusChange.entity_id == message.id)
            .order_by(StatusChange.created_at)
        )
    ]


def test_message_is_written_pending_then_delivered_by_the_worker(users, telegram, run_jobs):
    users["learner"].telegram_chat_id = "5550001"
    message = _notify_message(users["learner"])
    db.session.commit()
    assert message.status == "pending"
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    assert message.status == "delivered"
    assert message.sent_at is not None and message.delivered_at is not None
    assert message.attempts == 1 and message.transport == "telegram"
    [request] = telegram.requests
    assert request.path == "/bot123:abc/sendMessage"
    assert request.json()["chat_id"] == "5550001"
    assert "See you on Friday." in request.json()["text"]
    assert _history(message) == [(None, "pending"), ("pending", "sent"), ("sent", "delivered")]


def test_running_the_job_twice_sends_once(app, users, telegram, run_jobs):
    users["learner"].telegram_chat_id = "5550001"
    message = _notify_message(users["learner"])
    db.session.commit()
    # The same message handed to the queue again (a relay racing the first enqueue).
    queue.enqueue(
        "worker.jobs.messages.deliver_message",
        str(message.id),
        queue="messages",
        job_id=f"again-{message.id}",
        retries=0,
    )
    run_jobs()
    assert services.deliver(message.id) == "skipped"
    assert len(telegram.requests) == 1
    assert db.session.get(OutboundMessage, message.id).attempts == 1


def test_the_claim_is_one_statement_that_also_reads_the_message(users):
    message = _notify_message(users["learner"], channel="email")
    message_id, address = message.id, message.recipient_address
    db.session.commit()
    with counted() as statements:
        claimed = services._claim(message_id, utcnow())
        assert (claimed.status, claimed.attempts) == ("pending", 1)
        assert claimed.recipient_address == address
    [claim] = [s for s in statements if s.verb != "BEGIN"]  # no second read of the row
    assert claim.verb == "UPDATE" and "RETURNING" in claim.sql.upper()
    if db.engine.dialect.name == "postgresql":
        assert claim.isolation_level == "AUTOCOMMIT"  # commits itself: one round trip
    assert claimed is message  # the entity the session already held, refreshed
    assert services._claim(message_id, utcnow()) is None  # leased: nobody else takes it
    claimed.error_message = "written, then rolled back"  # the next transaction is a real one
    db.session.flush()
    db.session.rollback()
    assert db.session.get(OutboundMessage, message_id).error_message is None


def test_a_delivery_is_the_claim_and_one_write_with_both_history_rows(users):
    message_id = _notify_message(users["learner"], channel="email").id  # no SMTP: the mailbox
    db.session.commit()
    with counted() as statements:
        assert services.deliver(message_id) == "delivered"
    verbs = [s.verb for s in statements if s.verb not in ("BEGIN", "COMMIT")]
    if db.engine.dialect.name == "postgresql":
        assert verbs == ["UPDATE", "WITH"]  # the claim, then status + sent + delivered
    else:
        assert verbs == ["UPDATE", "UPDATE", "INSERT"]
    message = db.session.get(OutboundMessage, message_id)
    assert (message.status, message.transport) == ("delivered", "mailbox")
    assert message.sent_at == message.delivered_at is not None
    assert _history(message) == [(None, "pending"), ("pending", "sent"), ("sent", "delivered")]


def test_rolled_back_change_sends_nothing(users, telegram, run_jobs):
    users["learner"].telegram_chat_id = "5550001"
    db.session.commit()
    _notify_message(users["learner"])
    db.session.rollback()
    run_jobs()
    assert telegram.requests == [] and db.session.scalar(select(OutboundMessage)) is None


def test_same_cause_writes_one_message(users):
    first = _notify_message(users["learner"], dedupe_key="session-1:invite:learner")
    second = _notify_message(users["learner"], dedupe_key="session-1:invite:learner")
    assert first is second
    assert len(db.session.scalars(select(OutboundMessage)).all()) == 1


def test_missing_chat_id_fails_with_a_clear_error(users, telegram, run_jobs):
    message = _notify_message(users["learner"])  # the learner has no Telegram chat id
    db.session.commit()
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    assert message.status == "failed"
    assert "Invalid telegram_chat_id" in message.error_message
    assert telegram.requests == []


def test_bad_chat_id_is_a_permanent_failure(users, telegram, run_jobs):
    users["learner"].telegram_chat_id = "999"
    telegram.responses.append(
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"})
    )
    message = _notify_message(users["learner"])
    db.session.commit()
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    assert message.status == "failed" and message.attempts == 1
    assert "chat not found" in message.error_message
    assert _history(message)[-1] == ("pending", "failed")


def test_failing_channel_is_retried_with_backoff_then_failed(users, telegram, run_jobs):
    users["learner"].telegram_chat_id = "5550001"
    telegram.default = (502, {"ok": False, "description": "Bad Gateway"})
    message = _notify_message(users["learner"])
    db.session.commit()
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    assert message.status == "pending" and message.attempts == 1
    assert "502" in message.error_message
    # Not due yet: the relay leaves it alone until the backoff is over.
    now = utcnow()
    assert services.relay(now=now + timedelta(seconds=20)) == 0
    for attempt in range(2, services.MAX_ATTEMPTS + 1):
        now += timedelta(hours=1)
        assert services.relay(now=now) == 1
        db.session.commit()
        assert services.deliver(message.id, now=now) in ("retry", "failed")
        db.session.expire_all()
        assert db.session.get(OutboundMessage, message.id).attempts == attempt
    message = db.session.get(OutboundMessage, message.id)
    assert message.status == "failed"
    assert len(telegram.requests) == services.MAX_ATTEMPTS
    assert "Gave up after 5 attempts" in message.error_message
    assert message.error_message.endswith("Telegram answered 502: Bad Gateway")
    assert message.error_detail["code"] == "gave_up"
    with force_locale("fr"):  # shown to a French reader in French, the inner failure too
        shown = services.error_text(message)
    assert shown.startswith("Abandon après 5 tentatives") and "Telegram a répondu 502" in shown


def test_delivery_errors_are_shown_in_the_readers_language(
    users, telegram, run_jobs, login_as, api
):
    message = _notify_message(users["learner"])  # no chat id: fails
    db.session.commit()
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    english = "Invalid telegram_chat_id: this person has no Telegram chat id."
    assert message.error_message == english  # what the API gives, as the seed words it
    assert message.error_detail == {"code": "no_telegram", "params": {}}
    admin = login_as("admin")
    admin.post_form("/language", {"lang": "fr", "next": "/admin/messages"})
    page = admin.get("/admin/messages").get_data(as_text=True)
    assert "telegram_chat_id invalide" in page and english not in page
    timeline = admin.get(f"/admin/history/message/{message.id}").get_data(as_text=True)
    assert "telegram_chat_id invalide" in timeline and english not in timeline
    listed = api(users["admin"]).get("/messages", headers={"Accept-Language": "fr"}).get_json()
    assert listed["items"][0]["error_message"] == english


def test_redis_down_at_commit_then_delivered_by_the_relay(app, users, telegram, run_jobs):
    if not queue.is_embedded(app):
        pytest.skip(
            "real Redis outages: tests/messaging/test_channels.py (a server of its own) and "
            "test_redis_service_outage.py (the machine's service, in CI)"
        )
    users["learner"].telegram_chat_id = "5550001"
    server = app.config["FAKE_REDIS_SERVER"]
    server.connected = False
    try:
        message = _notify_message(users["learner"])
        db.session.commit()  # the enqueue after commit fails: the row stays pending
    finally:
        server.connected = True
    assert run_jobs() is False
    assert db.session.get(OutboundMessage, message.id).status == "pending"
    assert services.relay(now=utcnow() + timedelta(seconds=90)) == 1
    run_jobs()
    assert db.session.get(OutboundMessage, message.id).status == "delivered"
    assert len(telegram.requests) == 1


def test_a_job_that_died_before_its_claim_is_handed_over_again(
    users, telegram, run_jobs, monkeypatch
):
    """The worker's job failed before it took the message (a locked database, a worker
    killed): the queue keeps the failed job, and the relay replaces it instead of taking it
    for one still queued."""
    from sqlalchemy.exc import OperationalError

    users["learner"].telegram_chat_id = "5550001"
    message = _notify_message(users["learner"])
    db.session.commit()
    real_claim = services._claim

    def locked(message_id, now):
        raise OperationalError("UPDATE outbound_messages", {}, Exception("database is locked"))

    monkeypatch.setattr(services, "_claim", locked)
    run_jobs()
    monkeypatch.setattr(services, "_claim", real_claim)
    assert db.session.get(OutboundMessage, message.id).attempts == 0
    assert services.relay(now=utcnow() + timedelta(minutes=2)) == 1
    run_jobs()
    assert db.session.get(OutboundMessage, message.id).status == "delivered"
    assert len(telegram.requests) == 1


def test_a_message_whose_attempts_never_finish_ends_failed(users, telegram, run_jobs):
    """Claimed MAX_ATTEMPTS times without an outcome written (each worker died mid-send): the
    relay gives up on it rather than sending it again and again."""
    users["learner"].telegram_chat_id = "5550001"
    message = _notify_message(users["learner"])
    db.session.commit()
    run_jobs()  # delivered once, then pretend the outcome was never written
    db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message.id)
        .values(status="pending", attempts=services.MAX_ATTEMPTS, next_attempt_at=utcnow())
    )
    db.session.commit()
    assert services.deliver(message.id, now=utcnow() + timedelta(minutes=1)) == "skipped"
    assert services.relay(now=utcnow() + timedelta(minutes=2)) == 0
    assert run_jobs() is False
    message = db.session.get(OutboundMessage, message.id)
    assert message.status == "failed" and len(telegram.requests) == 1
    assert message.error_message.startswith("Gave up after 5 attempts: Every attempt stopped")
    assert _history(message)[-1] == ("pending", "failed")


def test_giving_up_leaves_a_message_whose_last_attempt_just_ended(users, telegram, run_jobs):
    """The sweep read a used-up message; before it gives up, that last attempt writes its
    outcome. The outcome stands: nothing is failed, no history is added."""
    users["learner"].telegram_chat_id = "5550001"
    message = _notify_message(users["learner"])
    db.session.commit()
    run_jobs()
    before = _history(message)
    services._give_up(message.id, services.MAX_ATTEMPTS, utcnow() + timedelta(minutes=10))
    message = db.session.get(OutboundMessage, message.id)
    assert message.status == "delivered" and _history(message) == before


def test_who_reads_a_messages_history_and_who_may_retry_it(users, telegram, run_jobs, api):
    message = _notify_message(users["learner"])  # no chat id: it fails
    db.session.commit()
    run_jobs()
    history = f"/messages/{message.id}/status-history"
    status = f"/messages/{message.id}/status"
    for role, code in (("admin", 200), ("coordinator", 200), ("learner", 200), ("trainer", 404)):
        assert api(users[role]).get(history).status_code == code, role
    # Seeing it is not retrying it: only an admin may, by either route.
    coordinator = api(users["coordinator"])
    assert coordinator.put(status, json={"new_status": "pending"}).status_code == 403
    assert coordinator.post(f"/messages/{message.id}/retry").status_code == 403
    assert api(users["learner"]).put(status, json={"new_status": "pending"}).status_code == 403


def test_admin_retries_a_failed_message(users, telegram, run_jobs, api):
    message = _notify_message(users["learner"])
    db.session.commit()
    run_jobs()
    assert db.session.get(OutboundMessage, message.id).status == "failed"
    # Still no chat id: the retry is refused, in the admin's language, and nothing is queued.
    refused = api(users["admin"]).post(
        f"/messages/{message.id}/retry", headers={"Accept-Language": "fr"}
    )
    assert refused.status_code == 422
    assert "Telegram" in refused.get_json()["error"]["details"]["recipient_address"]
    assert refused.get_json()["error"]["message"].startswith("telegram_chat_id invalide")
    assert db.session.get(OutboundMessage, message.id).status == "failed"
    assert run_jobs() is False
    # The status API is the same retry, with the same check; the failure's code is the
    # system's own and cannot be sent.
    status = f"/messages/{message.id}/status"
    by_status = api(users["admin"]).put(status, json={"new_status": "pending"})
    assert by_status.status_code == 422
    assert "recipient_address" in by_status.get_json()["error"]["details"]
    faked = api(users["admin"]).put(
        status, json={"new_status": "pending", "context_data": {"error_detail": {"code": "x"}}}
    )
    assert faked.status_code == 422
    assert "context_data.error_detail" in faked.get_json()["error"]["details"]
    assert db.session.get(OutboundMessage, message.id).status == "failed"
    assert run_jobs() is False
    # The learner adds a chat id: the retry goes there.
    users["learner"].telegram_chat_id = "5550001"
    db.session.commit()
    response = api(users["admin"]).post(f"/messages/{message.id}/retry")
    assert response.status_code == 200 and response.get_json()["status"] == "pending"
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    assert message.status == "delivered" and message.recipient_address == "5550001"
    assert [r.json()["chat_id"] for r in telegram.requests] == ["5550001"]
    assert ("failed", "pending") in _history(message)
    again = api(users["admin"]).post(f"/messages/{message.id}/retry")
    assert again.status_code == 409


def test_unconfigured_channel_keeps_the_message_in_the_mailbox(users, run_jobs, login_as):
    message = _notify_message(users["learner"], channel="email")
    db.session.commit()
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    assert (message.status, message.transport) == ("delivered", "mailbox")
    admin = login_as("admin")
    box = admin.get("/admin/mailbox").get_data(as_text=True)
    assert "Session booked" in box
    page = admin.get(f"/admin/mailbox/{message.id}").get_data(as_text=True)
    assert "See you on Friday." in page
    # The HTML part is shown in a sandboxed frame: as markup, never run.
    assert '<iframe class="message-html" sandbox srcdoc="' in page
    assert "&lt;h1&gt;Session booked&lt;/h1&gt;" in page


def test_mailbox_attachments_download_under_their_own_names(users, run_jobs, login_as):
    invitation = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    attachments = [
        services.ics_attachment("session.ics", invitation),
        services.ics_attachment('Séance "Lundi".ics', invitation, method="CANCEL"),
    ]
    message = _notify_message(users["learner"], channel="email", attachments=attachments)
    db.session.commit()
    run_jobs()
    admin = login_as("admin")
    page = admin.get(f"/admin/mailbox/{message.id}").get_data(as_text=True)
    assert f"/admin/mailbox/{message.id}/attachments/0" in page and "session.ics" in page
    first = admin.get(f"/admin/mailbox/{message.id}/attachments/0")
    assert first.status_code == 200 and first.data == invitation
    assert first.headers["Content-Type"].startswith("text/calendar; method=REQUEST")
    assert first.headers["Content-Disposition"] == "attachment; filename=session.ics"
    second = admin.get(f"/admin/mailbox/{message.id}/attachments/1")
    assert second.headers["Content-Type"].startswith("text/calendar; method=CANCEL")
    assert "filename*=UTF-8''S%C3%A9ance%20%22Lundi%22.ics" in second.headers["Content-Disposition"]
    assert admin.get(f"/admin/mailbox/{message.id}/attachments/2").status_code == 404
    coordinator = login_as("coordinator")
    assert coordinator.get(f"/admin/mailbox/{message.id}/attachments/0").status_code == 403


def test_plain_text_is_not_html_escaped_and_html_is(users):
    users["learner"].name = "Seán O'Brien & <Co>"
    message = services.queue_message(
        channel="email",
        message_type="notification",
        recipient=users["learner"],
        context={"title": "Tom & Ayşe's <session>", "body": 'Q&A "live"', "link": "/"},
    )
    assert message.subject == "Tom & Ayşe's <session>"
    assert message.content.startswith('Q&A "live"')
    assert "<h1>Tom &amp; Ayşe&#39;s &lt;session&gt;</h1>" in message.html
    invitation = services.queue_message(
        channel="email",
        message_type="account_invitation",
        recipient=users["learner"],
        context={"link": "/set-password/x", "organisation": "B&B <Ltd>", "inviter": "Zoë 'Z'"},
    )
    assert invitation.subject.endswith("B&B <Ltd>")
    assert "Hello Seán O'Brien & <Co>," in invitation.content
    assert "Zoë 'Z' has created your account at B&B <Ltd>" in invitation.content
    assert "Hello Seán O&#39;Brien &amp; &lt;Co&gt;," in invitation.html


def test_message_is_written_in_the_recipients_language(users):
    users["learner"].locale = "fr"
    message = _notify_message(users["learner"], channel="email")
    assert "Ouvrir dans Parcours" in message.content
    assert message.locale == "fr"


def test_admin_messages_page_shows_errors_and_retries(users, telegram, run_jobs, login_as):
    message = _notify_message(users["learner"])  # no chat id: fails
    db.session.commit()
    run_jobs()
    admin = login_as("admin")
    page = admin.get("/admin/messages?status=failed").get_data(as_text=True)
    assert "Invalid telegram_chat_id" in page and "Retry" in page
    assert (
        admin.get("/admin/messages?status=delivered")
        .get_data(as_text=True)
        .count(f'id="message-{message.id}"')
        == 0
    )
    refused = admin.post_form(f"/admin/messages/{message.id}/retry", htmx=True)
    assert refused.status_code == 422 and "no Telegram chat id" in refused.get_data(as_text=True)
    users["learner"].telegram_chat_id = "5550001"
    db.session.commit()
    row = admin.post_form(f"/admin/messages/{message.id}/retry", htmx=True)
    assert row.status_code == 200
    assert row.get_data(as_text=True).lstrip().startswith(f'<tr id="message-{message.id}"')
    assert db.session.get(OutboundMessage, message.id).status == "pending"
    again = admin.post_form(f"/admin/messages/{message.id}/retry", htmx=True)
    assert again.status_code == 422


def test_messages_api_filters(api, users, telegram, run_jobs):
    users["learner"].telegram_chat_id = "1"
    _notify_message(users["learner"])
    _notify_message(users["coordinator"], channel="email")
    db.session.commit()
    run_jobs()
    client = api(users["admin"])
    assert client.get("/messages").get_json()["total_count"] == 2
    telegram_only = client.get("/messages?channel=telegram").get_json()
    assert [m["channel"] for m in telegram_only["items"]] == ["telegram"]
    assert client.get("/messages?status=pending").get_json()["total_count"] == 0
    assert client.get("/messages?channel=pigeon").status_code == 422
    malformed = client.get("/messages?related_session_id=nope")
    assert malformed.status_code == 422
    assert "related_session_id" in malformed.get_json()["error"]["details"]
    assert api(users["trainer"]).get("/messages").status_code == 403


def test_retry_without_htmx_goes_back_to_the_list(users, telegram, run_jobs, login_as):
    message = _notify_message(users["learner"])  # no chat id: fails
    db.session.commit()
    run_jobs()
    users["learner"].telegram_chat_id = "5550001"
    db.session.commit()
    admin = login_as("admin")
    plain = admin.post_form(f"/admin/messages/{message.id}/retry")
    assert plain.status_code == 302 and plain.headers["Location"].endswith("/admin/messages")
    assert db.session.get(OutboundMessage, message.id).status == "pending"
    again = admin.post_form(f"/admin/messages/{message.id}/retry")
    assert again.status_code == 302
    assert "Cannot change from" in admin.get("/admin/messages").get_data(as_text=True)


def test_every_message_template_has_a_name_on_the_admin_pages(users, login_as):
    from pathlib import Path

    from portal.core.modules import message_types

    folder = Path(__file__).resolve().parents[2] / "templates" / "messages"
    templates = {p.stem for p in folder.glob("*.html") if not p.name.startswith("_")}
    assert templates == set(message_types())
    _notify_message(users["learner"])
    db.session.commit()
    admin = login_as("admin")
    admin.post_form("/language", {"lang": "tr", "next": "/admin/messages"})
    page = admin.get("/admin/messages").get_data(as_text=True)
    assert "<strong>Bildirim</strong>" in page and ">notification<" not in page


def test_messages_page_finds_a_recipient_or_subject(users, login_as, run_jobs):
    users["learner"].name = "Elif Yılmaz"
    _notify_message(users["learner"], channel="email")
    services.queue_message(
        channel="email",
        message_type="notification",
        address="ops_100%@example.org",
        context={"title": "Quarterly report", "body": "-", "link": "/"},
        organisation_id=users["admin"].organisation_id,
    )
    for n in range(5):
        _notify_message(make_user(users["admin"].organisation, name=f"Contact {n}"), "email")
    db.session.commit()
    run_jobs()  # no SMTP: all seven land in the mailbox
    admin = login_as("admin")

    def rows(query):
        page = admin.get(f"/admin/messages?q={query}").get_data(as_text=True)
        return page.count('<tr id="message-')

    assert rows("") == 7
    assert rows("yılmaz") == 1  # part of the recipient's name, in any case
    assert rows("OPS_") == 1 and rows("100%25") == 1  # the address; % and _ are literal
    assert rows("%25") == 1 and rows("_") == 1
    assert rows("quarterly") == 1  # the subject
    assert rows("nobody") == 0
    for page in ("/admin/messages", "/admin/mailbox"):
        with counted() as statements:
            listed = admin.get(page).get_data(as_text=True)
        assert "Elif Yılmaz" in listed
        assert len(statements) < 8, page  # the recipients in one query, not one per row


def test_retry_returns_to_the_filtered_list_it_was_pressed_on(users, telegram, run_jobs, login_as):
    message = _notify_message(users["learner"])  # no chat id: fails
    db.session.commit()
    run_jobs()
    admin = login_as("admin")
    listed = admin.get("/admin/messages?status=failed&channel=telegram&limit=10&offset=0")
    retry = f"/admin/messages/{message.id}/retry?status=failed&amp;channel=telegram&amp;limit=10"
    assert retry in listed.get_data(as_text=True)  # the button carries the list's filters
    back = admin.post_form(
        f"/admin/messages/{message.id}/retry?status=failed&channel=telegram&limit=10&offset=0"
    )
    assert back.status_code == 302
    assert back.headers["Location"].endswith(
        "/admin/messages?status=failed&channel=telegram&limit=10"
    )
    # what the list does not know is not carried: unknown filters, invalid values
    odd = admin.post_form(f"/admin/messages/{message.id}/retry?status=lost&next=//evil&limit=x")
    assert odd.headers["Location"].endswith("/admin/messages")
