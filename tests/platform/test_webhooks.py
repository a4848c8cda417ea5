"""The webhook intake: verify (Standard Webhooks with rotation, Telegram, Twilio), store each
delivery once, process it, keep the unmatched in review, and process it again on demand; admins
see deliveries on a page and through the API, nobody else does."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from portal.core.errors import ValidationError
from portal.extensions import db
from portal.webhooks import intake, verification
from portal.webhooks.models import WebhookDelivery
from portal.workflow.models import StatusChange

OLD_SECRET = "whsec_" + base64.b64encode(b"old-secret-of-thirty-two-bytes!!").decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"new-secret-of-thirty-two-bytes!!").decode()


def _signed(secret: str, body: bytes, msg_id: str = "msg_1", when: datetime | None = None):
    when = when or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=when, data=body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }


BODY = json.dumps({"event": "course.completed", "student_id": "ada@x.test"}).encode()


def test_a_standard_webhook_verifies_with_either_secret_during_a_rotation():
    assert verification.standard_webhook([NEW_SECRET], BODY, _signed(NEW_SECRET, BODY)) == (
        "standard-webhooks#1"
    )
    rotating = [NEW_SECRET, OLD_SECRET]
    assert verification.standard_webhook(rotating, BODY, _signed(OLD_SECRET, BODY)) == (
        "standard-webhooks#2"
    )


@pytest.mark.parametrize(
    "make_headers",
    [
        pytest.param(lambda: _signed(OLD_SECRET, BODY), id="another-secret"),
        pytest.param(lambda: _signed(NEW_SECRET, BODY + b" "), id="body-changed"),
        pytest.param(
            lambda: _signed(NEW_SECRET, BODY, when=datetime.now(UTC) - timedelta(minutes=6)),
            id="stale",
        ),
        pytest.param(
            lambda: _signed(NEW_SECRET, BODY, when=datetime.now(UTC) + timedelta(minutes=6)),
            id="from-the-future",
        ),
        pytest.param(dict, id="unsigned"),
        pytest.param(lambda: {**_signed(NEW_SECRET, BODY), "webhook-id": "msg_2"}, id="id-swapped"),
    ],
)
def test_a_wrong_or_stale_signature_is_refused(make_headers):
    headers = make_headers()  # signed now: the five minutes count from the test, not collection
    with pytest.raises(verification.InvalidSignature) as refused:
        verification.standard_webhook([NEW_SECRET], BODY, headers)
    assert (refused.value.status, refused.value.code) == (401, "invalid_signature")


def test_telegram_and_twilio_checks_refuse_what_does_not_match():
    assert verification.telegram_secret("s3cret", "s3cret") == "telegram-secret-token"
    for expected, given in (("s3cret", "other"), ("s3cret", None), (None, "anything")):
        with pytest.raises(verification.InvalidSignature):
            verification.telegram_secret(expected, given)
    with pytest.raises(verification.InvalidSignature):
        verification.twilio_signature("token", "http://x/cb", {"a": "1"}, "forged")


@pytest.fixture
def test_source():
    """A source whose processor records what it saw, and refuses students it does not know."""
    seen: list[str] = []

    def process(delivery):
        student = json.loads(delivery.body)["student_id"]
        if student not in known:
            raise intake.Unmatched("unknown_student", "No student %(student)s.", student=student)
        if student == "broken@x.test":
            raise RuntimeError("the partner's payload broke us")
        if student == "refused@x.test":
            raise ValidationError("Refused by a service.")
        seen.append(student)

    known = {"ada@x.test", "broken@x.test", "refused@x.test"}
    intake.processor("testpartner", reasons={"unknown_student": "No student %(student)s."})(process)
    yield seen, known
    intake._PROCESSORS.pop("testpartner")


def _receive(msg_id: str, body: bytes = BODY, source="testpartner:acme"):
    headers = _signed(NEW_SECRET, body, msg_id=msg_id)
    verified_by = verification.standard_webhook([NEW_SECRET], body, headers)
    return intake.receive(source, msg_id, body, verified_by=verified_by, headers=headers)


def _count() -> int:
    return db.session.scalar(select(func.count(WebhookDelivery.id)))


def test_a_delivery_is_stored_and_processed_once(app, test_source):
    seen, _known = test_source
    delivery, new = _receive("msg_a")
    assert new and delivery.state == "processed" and delivery.attempts == 1
    assert delivery.verified_by == "standard-webhooks#1"
    assert delivery.headers["webhook-id"] == "msg_a" and delivery.body == BODY
    again, new_again = _receive("msg_a")  # the partner sends it again
    assert (again.id, new_again) == (delivery.id, False)
    assert seen == ["ada@x.test"] and _count() == 1
    # The same delivery id from another source is another delivery.
    _other, other_new = _receive("msg_a", source="testpartner:globex")
    assert other_new and _count() == 2


def test_an_unmatched_delivery_waits_in_review_then_is_processed_again(app, test_source, users):
    seen, known = test_source
    body = json.dumps({"student_id": "zoe@x.test"}).encode()
    delivery, _ = _receive("msg_b", body)
    assert delivery.state == "review"
    assert intake.reason_text(delivery) == "No student zoe@x.test."
    assert delivery.error_detail == {
        "code": "unknown_student",
        "values": {"student": "zoe@x.test"},
    }
    known.add("zoe@x.test")
    intake.process_again(delivery, actor=users["admin"])
    assert delivery.state == "processed" and delivery.attempts == 2 and seen == ["zoe@x.test"]
    moves = [
        (c.old_status, c.new_status, c.origin)
        for c in db.session.scalars(
            select(StatusChange)
            .where(StatusChange.entity_id == delivery.id)
            .order_by(StatusChange.id)
        )
    ]
    assert [m[:2] for m in moves] == [
        (None, "received"),
        ("received", "review"),
        ("review", "received"),
        ("received", "processed"),
    ]


def test_a_failing_processor_leaves_the_delivery_failed_and_undoes_its_writes(
    app, test_source, users
):
    body = json.dumps({"student_id": "broken@x.test"}).encode()
    delivery, _ = _receive("msg_c", body)
    assert delivery.state == "failed"
    assert "the partner's payload broke us" in intake.reason_text(delivery)
    refused, _ = _receive("msg_d", json.dumps({"student_id": "refused@x.test"}).encode())
    assert refused.state == "review" and refused.error == "Refused by a service."
    with pytest.raises(Exception) as not_admin:
        intake.process_again(delivery, actor=users["coordinator"])
    assert getattr(not_admin.value, "status", None) == 403
    db.session.rollback()
    with pytest.raises(Exception) as done:
        processed, _ = _receive("msg_e")
        intake.process_again(processed, actor=users["admin"])  # nothing to redo
    assert getattr(done.value, "status", None) == 409


def test_a_replayed_telegram_update_changes_nothing(app, client, monkeypatch, users):
    monkeypatch.setitem(app.config, "TELEGRAM_WEBHOOK_SECRET", "tg-secret")
    users["learner"].telegram_chat_id = "4242"
    db.session.commit()
    update = {"update_id": 77, "message": {"chat": {"id": 4242}, "text": "hello"}}
    headers = {"X-Telegram-Bot-Api-Secret-Token": "tg-secret"}
    for _ in range(2):
        assert client.post("/api/v1/webhooks/telegram", json=update, headers=headers).status_code
    [delivery] = db.session.scalars(select(WebhookDelivery)).all()
    assert (delivery.source, delivery.delivery_id, delivery.state) == (
        "telegram",
        "77",
        "processed",
    )
    assert delivery.organisation_id == users["learner"].organisation_id
    bad = client.post(
        "/api/v1/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "x"}
    )
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "invalid_signature"
    assert _count() == 1


def test_admins_see_deliveries_and_process_them_again(
    app, test_source, users, login_as, api, other_org
):
    _seen, known = test_source
    unmatched, _ = _receive("msg_f", json.dumps({"student_id": "yan@x.test"}).encode())
    theirs, _ = _receive("msg_g")
    theirs.organisation_id = other_org.id  # another organisation's: never shown here
    db.session.commit()

    admin = login_as("admin")
    page = admin.get("/admin/webhooks/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "msg_f" in text and "msg_g" not in text
    detail = admin.get(f"/admin/webhooks/{unmatched.id}")
    assert "No student yan@x.test." in detail.get_data(as_text=True)
    assert admin.get(f"/admin/webhooks/{theirs.id}").status_code == 404

    known.add("yan@x.test")
    answer = admin.post_form(f"/admin/webhooks/{unmatched.id}/process")
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(WebhookDelivery, unmatched.id).state == "processed"

    admin_api = api(users["admin"])
    listed = admin_api.get("/webhook-deliveries?state=processed").get_json()
    assert [d["delivery_id"] for d in listed["items"]] == ["msg_f"]
    assert admin_api.get(f"/webhook-deliveries/{theirs.id}").status_code == 404
    assert admin_api.get("/webhook-deliveries?state=nope").status_code == 422
    again = admin_api.post(f"/webhook-deliveries/{unmatched.id}/process")
    assert again.status_code == 409  # processed: nothing to redo

    for role in ("coordinator", "trainer", "learner"):
        assert api(users[role]).get("/webhook-deliveries").status_code == 403
        assert login_as(role).get("/admin/webhooks/").status_code == 403


def test_the_same_delivery_twice_at_once_is_kept_once(app, test_source):
    from tests.concurrency import run_together

    def arrive(ready) -> None:
        ready()
        _receive("msg_twin")

    outcomes = run_together(app, arrive, arrive)
    assert outcomes == [None, None]
    assert _count() == 1
