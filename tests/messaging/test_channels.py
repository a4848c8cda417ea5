"""Channels against real local peers: an SMTP server (aiosmtpd) and a Twilio stand-in;
and a real Redis server that goes down at commit time."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from datetime import timedelta

import pytest
import redis
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from portal.core.clock import utcnow
from portal.extensions import db
from portal.messaging import services
from portal.messaging.models import OutboundMessage
from portal.workflow.models import StatusChange
from tests.fakes import FakeApi, SmtpSink, free_port
from tests.messaging.outage import held_while_down_then_delivered_once

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


def _queue(user, channel, **extra):
    return services.queue_message(
        channel=channel,
        message_type="notification",
        recipient=user,
        context={"title": "Your session", "body": "Friday 10:00.", "link": "/"},
        **extra,
    )


def _email_once(user, run_jobs, address: str | None = None) -> OutboundMessage:
    """An email to `user` (at `address`, if given) after one delivery attempt."""
    if address:
        user.email = address
    message = _queue(user, "email")
    db.session.commit()
    run_jobs()
    return db.session.get(OutboundMessage, message.id)


@pytest.fixture
def smtp(app, monkeypatch):
    sink = SmtpSink().start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
    yield sink
    sink.stop()


def test_email_goes_through_a_real_smtp_server(users, smtp, run_jobs):
    attachment = services.ics_attachment("session.ics", ICS)
    message = _queue(users["learner"], "email", attachments=[attachment])
    db.session.commit()
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    assert (message.status, message.transport) == ("delivered", "smtp")
    [(recipients, email)] = smtp.messages
    assert recipients == [users["learner"].email]
    assert email["Subject"] == "Your session"
    assert email.get_body(("plain",)).get_content().startswith("Friday 10:00.")
    assert "<h1>Your session</h1>" in email.get_body(("html",)).get_content()
    [ics] = list(email.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    assert ics.get_param("method") == "REQUEST"
    assert ics.get_filename() == "session.ics"


def test_refused_address_is_a_permanent_failure(users, smtp, run_jobs):
    message = _email_once(users["learner"], run_jobs, "refused@example.com")
    assert message.status == "failed" and "refused" in message.error_message


def test_a_greylisted_address_is_tried_again_later(users, smtp, run_jobs):
    message = _email_once(users["learner"], run_jobs, "greylisted@example.com")
    assert (message.status, message.attempts) == ("pending", 1)  # 4xx: not final
    assert message.next_attempt_at > utcnow() and "450" in message.error_message


def test_an_odd_answer_to_quit_does_not_undo_a_sent_email(users, smtp, run_jobs):
    smtp.quit_answer = "421 Closing the connection"
    message = _email_once(users["learner"], run_jobs)
    assert message.status == "delivered" and len(smtp.messages) == 1


def test_a_long_message_id_is_kept(users, smtp, run_jobs, monkeypatch):
    """An email's Message-ID carries the sending host's name, which can be long."""
    from portal.messaging import channels

    host = "ip-10-0-1-23.eu-west-1.compute.internal." * 4
    real = channels.make_msgid
    monkeypatch.setattr(channels, "make_msgid", lambda **kw: real(domain=host.rstrip("."), **kw))
    message = _email_once(users["learner"], run_jobs)
    assert message.status == "delivered" and len(message.provider_message_id) > 150
    assert len(smtp.messages) == 1


def test_smtp_down_is_retried(app, users, monkeypatch, run_jobs):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nobody listens there
    message = _queue(users["learner"], "email")
    db.session.commit()
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    assert message.status == "pending" and message.attempts == 1
    assert message.next_attempt_at > utcnow()


@pytest.fixture
def twilio(app, monkeypatch):
    fake = FakeApi(default=(201, {"sid": "SM123", "status": "queued"})).start()
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", "AC42")
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", "secret-token")
    monkeypatch.setitem(app.config, "TWILIO_WHATSAPP_FROM", "+15550000000")
    monkeypatch.setitem(app.config, "TWILIO_API_BASE", fake.url)
    yield fake
    fake.stop()


def test_whatsapp_through_twilio_then_status_callback(app, users, twilio, run_jobs, client):
    users["learner"].phone = "+905551112233"
    message = _queue(users["learner"], "whatsapp")
    db.session.commit()
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    assert message.status == "sent" and message.provider_message_id == "SM123"
    [request] = twilio.requests
    assert request.path == "/2010-04-01/Accounts/AC42/Messages.json"
    form = request.form()
    assert form["To"] == "whatsapp:+905551112233" and form["From"] == "whatsapp:+15550000000"
    assert request.headers["Authorization"].startswith("Basic ")
    url = app.config["BASE_URL"] + f"/api/v1/webhooks/twilio/status?message_id={message.id}"
    assert form["StatusCallback"] == url
    params = {"MessageSid": "SM123", "MessageStatus": "delivered"}
    bad = client.post(url, data=params, headers={"X-Twilio-Signature": "forged"})
    assert bad.status_code == 401
    signature = RequestValidator("secret-token").compute_signature(url, params)
    good = client.post(url, data=params, headers={"X-Twilio-Signature": signature})
    assert good.status_code == 204
    db.session.expire_all()
    assert db.session.get(OutboundMessage, message.id).status == "delivered"


@pytest.mark.parametrize("outcome", ["delivered", "undelivered"])
def test_a_callback_quicker_than_the_worker_is_kept(
    app, users, twilio, run_jobs, client, monkeypatch, outcome
):
    """Twilio's callback arrives while the worker is still between its send and its write:
    the callback finds the message by our id in its address and writes the outcome; the
    worker's write then finds it done. One send, one path in the history."""
    from portal.messaging import channels

    users["learner"].phone = "+905551112233"
    message = _queue(users["learner"], "whatsapp")
    db.session.commit()
    real_send = channels.SENDERS["whatsapp"]

    def send_then_callback(claimed):
        delivery = real_send(claimed)
        url = app.config["BASE_URL"] + f"/api/v1/webhooks/twilio/status?message_id={claimed.id}"
        params = {"MessageSid": delivery.provider_message_id, "MessageStatus": outcome}
        signature = RequestValidator("secret-token").compute_signature(url, params)
        answer = client.post(url, data=params, headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 204
        return delivery

    monkeypatch.setitem(channels.SENDERS, "whatsapp", send_then_callback)
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    assert message.provider_message_id == "SM123" and len(twilio.requests) == 1
    history = [
        (c.old_status, c.new_status)
        for c in db.session.scalars(
            select(StatusChange)
            .where(StatusChange.entity_id == message.id)
            .order_by(StatusChange.created_at, StatusChange.id)
        )
    ]
    if outcome == "delivered":
        assert message.status == "delivered"
        assert history == [(None, "pending"), ("pending", "sent"), ("sent", "delivered")]
    else:
        assert message.status == "failed" and message.error_message == "undelivered"
        assert history == [(None, "pending"), ("pending", "failed")]
    assert services.relay(now=utcnow() + timedelta(minutes=10)) == 0


def test_sms_with_an_invalid_number_fails(users, twilio, run_jobs):
    users["learner"].phone = "12"
    twilio.default = (400, {"code": 21211, "message": "The 'To' number 12 is not valid."})
    message = _queue(users["learner"], "sms")
    db.session.commit()
    run_jobs()
    message = db.session.get(OutboundMessage, message.id)
    assert message.status == "failed" and "not valid" in message.error_message


@pytest.fixture
def throwaway_redis(app, monkeypatch):
    """A real Redis server of our own, which the test can stop and start again."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is required in CI")
        pytest.skip("redis-server is not installed")
    port = free_port()
    command = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]

    def start():
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        client = redis.Redis(port=port, socket_connect_timeout=1, socket_timeout=2)
        for _ in range(100):
            try:
                client.ping()
                return process
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    state = {"process": start()}
    connection = redis.Redis(port=port, socket_connect_timeout=1, socket_timeout=2)
    monkeypatch.setitem(app.extensions, "queue_connection", connection)

    def stop():
        state["process"].terminate()
        state["process"].wait(10)

    def restart():
        state["process"] = start()

    yield stop, restart
    stop()


def test_real_redis_down_at_commit_then_delivered(
    app, users, throwaway_redis, run_jobs, monkeypatch
):
    stop, restart = throwaway_redis
    users["learner"].telegram_chat_id = "5550001"
    held_while_down_then_delivered_once(
        app, users["learner"], stop=stop, start=restart, run_jobs=run_jobs, monkeypatch=monkeypatch
    )
