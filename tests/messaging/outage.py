"""Redis down at commit: shared by the throwaway-Redis and the machine-service tests."""

from __future__ import annotations

from datetime import timedelta

from portal.core.clock import utcnow
from portal.extensions import db
from portal.messaging import services
from portal.messaging.models import OutboundMessage
from tests.fakes import FakeApi


def held_while_down_then_delivered_once(app, learner, *, stop, start, run_jobs, monkeypatch):
    """Redis stops, a Telegram message is committed (the hand-over fails, the row waits as
    `pending`), Redis starts empty, the relay hands the message over: sent exactly once."""
    telegram = FakeApi().start()
    monkeypatch.setitem(app.config, "TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setitem(app.config, "TELEGRAM_API_BASE", telegram.url)
    try:
        stop()
        message = services.queue_message(
            channel="telegram",
            message_type="notification",
            recipient=learner,
            context={"title": "Your session", "body": "Friday 10:00.", "link": "/"},
        )
        db.session.commit()  # the hand-over to Redis fails; the message must not be lost
        assert db.session.get(OutboundMessage, message.id).status == "pending"

        start()  # Redis is back, empty: nothing was queued while it was down
        assert run_jobs() is False
        assert services.relay(now=utcnow() + timedelta(seconds=90)) == 1
        run_jobs()
        message = db.session.get(OutboundMessage, message.id)
        assert message.status == "delivered"
        assert message.attempts == 1
        assert len(telegram.requests) == 1
        run_jobs()  # nothing left to do: never sent twice
        assert len(telegram.requests) == 1
    finally:
        telegram.stop()
