"""The onboarding pages across the three roles: the same services behind forms and buttons."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.extensions import db
from portal.messaging.models import OutboundMessage
from portal.onboarding.models import OnboardingRequest
from tests.conftest import login
from tests.statements import counted


def _status(client, machine, entity_id, new_status, back="/", **fields):
    return client.post_form(
        f"/status/{machine}/{entity_id}", {"new_status": new_status, "next": back, **fields}
    )


def test_scenario_1_through_the_pages(app, world, run_jobs):
    sophia = login(app.test_client(), world.sophia)
    tom = login(app.test_client(), world.tom)
    john = login(app.test_client(), world.john)

    created = sophia.post_form(
        "/onboarding/requests",
        {
            "client_id": str(world.client.id),
            "program_id": str(world.program.id),
            "priority": "medium",
            "notes": "CRM onboarding",
        },
    )
    assert created.status_code == 302
    request = db.session.scalar(select(OnboardingRequest))
    page = f"/onboarding/requests/{request.id}"
    assert request.request_code in sophia.get(page).get_data(as_text=True)

    assert sophia.post_form(f"{page}/assign", {"trainer_id": str(world.tom.id)}).status_code == 302
    db.session.expire_all()
    assert request.status == "assigned"
    assignment = request.current_assignment
    tom_home = tom.get("/").get_data(as_text=True)
    assert request.request_code in tom_home
    _status(tom, "assignment", assignment.id, "accepted", page)
    db.session.expire_all()
    assert assignment.status == "accepted"

    form_page = tom.get(page).get_data(as_text=True)
    assert 'id="session-form"' in form_page
    scheduled = tom.post_form(
        f"{page}/sessions",
        {
            "stage_id": str(request.stages[0].id),
            "day": "2030-02-20",
            "start": "10:00",
            "end": "12:00",
            "location_type": "online",
            "meeting_link": "https://zoom.us/j/1",
            "attendee_ids": [str(world.john.id)],
        },
        htmx=True,
    )
    assert scheduled.status_code == 204, scheduled.get_data(as_text=True)[:800]
    db.session.expire_all()
    session = request.sessions[0]
    assert session.starts_at.isoformat() == "2030-02-20T09:00:00+00:00"  # 10:00 in Paris
    attendee = session.attendees[0]

    home = john.get("/").get_data(as_text=True)
    assert "Confirm attendance" in home
    _status(john, "attendee", attendee.id, "confirmed")
    db.session.expire_all()
    assert attendee.attendance_status == "confirmed"

    session_page = f"/onboarding/sessions/{session.id}"
    _status(tom, "training_session", session.id, "in_progress", session_page)
    _status(tom, "attendee", attendee.id, "attended", session_page, notes="Joined on time")
    _status(
        tom,
        "training_session",
        session.id,
        "completed",
        session_page,
        notes="Covered all initial setup steps.",
    )
    db.session.expire_all()
    assert session.status == "completed" and session.completion_notes.startswith("Covered")
    assert attendee.attendance_status == "attended" and attendee.notes == "Joined on time"
    assert request.stages[0].status == "completed" and request.status == "in_progress"
    assert "100" in sophia.get(page).get_data(as_text=True)

    # The admin's feed says which item each change is about, and links to its page.
    admin = login(app.test_client(), world.admin)
    run_jobs()
    with counted() as statements:
        feed = admin.get("/admin/changes?limit=100").get_data(as_text=True)
    found = re.findall(r'class="item-described">· (?:<a href="([^"]+)">)?([^<]+)', feed)
    items = {text: link for link, text in found}
    code, when = request.request_code, "2/20/30, 10:00\u202fAM"
    assert items[f"{code} · ABC Company"] == page  # the request
    assert items[f"{code} · Tom"] == page  # the assignment
    assert items[f"{code} · Initial Setup"] == page  # the stage
    assert items[f"{code} · Initial Setup · {when}"] == session_page  # the session
    assert items[f"John · {code} · Initial Setup · {when}"] == session_page  # the attendee
    assert any(text.startswith("Telegram · John · ") for text in items)  # the messages
    selects = [s for s in statements if s.verb == "SELECT"]
    assert len(selects) < 15  # one query per kind of item, not one per change
    history = admin.get(f"/admin/history/onboarding_request/{request.id}").get_data(as_text=True)
    assert f'<a href="{page}">{code} · ABC Company</a>' in history


def test_refused_action_flashes_and_changes_nothing(app, world):
    request, assignment = world.assigned()
    tom = login(app.test_client(), world.tom)
    response = _status(
        tom,
        "onboarding_request",
        request.id,
        "cancelled",
        f"/onboarding/requests/{request.id}",
        reason="no",
    )
    assert response.status_code == 302
    page = tom.get(f"/onboarding/requests/{request.id}").get_data(as_text=True)
    assert "Your role cannot set this status" in page
    db.session.expire_all()
    assert request.status == "assigned"
    stranger = login(app.test_client(), world.other_trainer)
    assert stranger.get(f"/onboarding/requests/{request.id}").status_code == 404
    assert _status(stranger, "assignment", assignment.id, "accepted").status_code == 404


def test_coordinator_takes_a_request_back_from_its_page(app, world):
    request, assignment = world.assigned()
    page = f"/onboarding/requests/{request.id}"
    sophia = login(app.test_client(), world.sophia)
    assert "Take back from the trainer" in sophia.get(page).get_data(as_text=True)
    tom = login(app.test_client(), world.tom)
    assert "Take back from the trainer" not in tom.get(page).get_data(as_text=True)
    assert f'id="reason-{request.id}-pending"' in sophia.get(page).get_data(as_text=True)
    taken = _status(sophia, "onboarding_request", request.id, "pending", page, reason="Ill")
    assert taken.status_code == 302
    db.session.expire_all()
    assert (request.status, assignment.status) == ("pending", "rejected")
    assert assignment.rejection_reason == "Ill"
    assert "Take back from the trainer" not in sophia.get(page).get_data(as_text=True)
    # Once the trainer has accepted, the page no longer offers it.
    accepted, _assignment = world.accepted()
    accepted_page = f"/onboarding/requests/{accepted.id}"
    assert "Take back from the trainer" not in sophia.get(accepted_page).get_data(as_text=True)


def test_pages_offer_only_what_the_state_allows(app, world):
    from portal.workflow.engine import transition

    request, _assignment = world.accepted()
    session = world.session(request, 1, day=20, attendees=[world.john])
    session_page = f"/onboarding/sessions/{session.id}"
    request_page = f"/onboarding/requests/{request.id}"
    tom = login(app.test_client(), world.tom)
    john = login(app.test_client(), world.john)
    # Before the session: the contact may confirm; attendance is not taken yet.
    assert 'value="confirmed"' in john.get(session_page).get_data(as_text=True)
    assert 'value="attended"' not in tom.get(session_page).get_data(as_text=True)
    assert 'value="skipped"' in tom.get(request_page).get_data(as_text=True)
    transition(session, "in_progress", actor=world.tom)
    db.session.commit()
    # While it runs, its stage is not offered for skipping (the other stages are).
    page = tom.get(request_page).get_data(as_text=True)
    assert f'id="notes-{request.stages[0].id}-skipped"' not in page
    assert f'id="notes-{request.stages[1].id}-skipped"' in page
    transition(session, "completed", actor=world.tom)
    for stage in request.stages[1:]:
        transition(stage, "skipped", actor=world.tom)
    db.session.commit()
    assert request.status == "completed"
    # After it: attendance can still be taken, the invitation no longer answered, and the
    # closed request's stages offer nothing.
    assert 'value="attended"' in tom.get(session_page).get_data(as_text=True)
    assert 'value="confirmed"' not in john.get(session_page).get_data(as_text=True)
    assert 'value="skipped"' not in tom.get(request_page).get_data(as_text=True)


def test_session_form_errors_come_back_with_the_form(app, world):
    request, _assignment = world.accepted()
    tom = login(app.test_client(), world.tom)
    response = tom.post_form(
        f"/onboarding/requests/{request.id}/sessions",
        {
            "stage_id": str(request.stages[0].id),
            "day": "2030-02-20",
            "start": "10:00",
            "end": "09:00",
            "location_type": "onsite",
            "attendee_ids": [],
        },
        htmx=True,
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith("<form") and "An onsite session needs a place." in body
    gap = tom.post_form(
        f"/onboarding/requests/{request.id}/sessions",
        {
            "stage_id": str(request.stages[0].id),
            "day": "2030-03-31",
            "start": "02:30",
            "end": "04:00",
            "location_type": "online",
            "meeting_link": "https://x.example",
            "attendee_ids": [str(world.john.id)],
        },
        htmx=True,
    )
    assert gap.status_code == 422
    assert "does not exist in your timezone" in gap.get_data(as_text=True)


def test_confirm_from_the_telegram_link(app, world, client):
    request, _assignment = world.accepted()
    world.session(request, 1, attendees=[world.john])
    message = db.session.scalar(
        select(OutboundMessage).where(OutboundMessage.message_type == "session_scheduled")
    )
    path = re.search(r"http://localhost(/onboarding/attendance/\S+)", message.content).group(1)
    page = client.get(path)
    assert page.status_code == 200 and "I will attend" in page.get_data(as_text=True)
    done = client.post_form(path)
    assert "your attendance is confirmed" in done.get_data(as_text=True)
    db.session.expire_all()
    assert request.sessions[0].attendees[0].attendance_status == "confirmed"
    assert client.get("/onboarding/attendance/forged").status_code == 404


def test_the_telegram_link_after_the_session_offers_nothing(app, world, client):
    from portal.workflow.engine import transition

    request, _assignment = world.accepted()
    session = world.session(request, 1, attendees=[world.john])
    message = db.session.scalar(
        select(OutboundMessage).where(OutboundMessage.message_type == "session_scheduled")
    )
    path = re.search(r"http://localhost(/onboarding/attendance/\S+)", message.content).group(1)
    transition(session, "in_progress", actor=world.tom)
    transition(session, "completed", actor=world.tom)
    db.session.commit()
    for answer in (client.get(path), client.post_form(path)):
        page = answer.get_data(as_text=True)
        assert answer.status_code == 200 and "I will attend" not in page
        assert "nothing to confirm for this session any more" in page
    db.session.expire_all()
    assert session.attendees[0].attendance_status == "invited"


def test_clients_and_programs_pages(app, world):
    sophia = login(app.test_client(), world.sophia)
    added = sophia.post_form(
        "/onboarding/clients",
        {
            "name": "XYZ Corp",
            "contacts": "Deniz Kaya; deniz@xyz.example; 77\nBad line; not-an-email",
        },
    )
    assert added.status_code == 422
    assert "XYZ Corp" not in sophia.get("/onboarding/clients").get_data(as_text=True)
    added = sophia.post_form(
        "/onboarding/clients", {"name": "XYZ Corp", "contacts": "Deniz Kaya; deniz@xyz.example; 77"}
    )
    assert added.status_code == 302
    assert "deniz@xyz.example" in sophia.get("/onboarding/clients").get_data(as_text=True)
    assert sophia.post_form("/onboarding/programs", {"name": "X", "stages": "a"}).status_code == 403
    admin = login(app.test_client(), world.admin)
    made = admin.post_form("/onboarding/programs", {"name": "ERP", "stages": "Setup\nGo-live"})
    assert made.status_code == 302
    assert "Go-live" in admin.get("/onboarding/programs").get_data(as_text=True)


def test_live_part_for_polling(app, world):
    request, _assignment = world.assigned()
    sophia = login(app.test_client(), world.sophia)
    part = sophia.get(
        f"/onboarding/requests/{request.id}?part=live", headers={"HX-Request": "true"}
    )
    body = part.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="request-live"') and "<html" not in body


def test_coordinator_sees_a_failed_telegram_message(app, world, run_jobs):
    request, _assignment = world.accepted()
    world.session(request, 1, attendees=[world.mike])  # Mike has no Telegram chat id
    run_jobs()
    sophia = login(app.test_client(), world.sophia)
    page = sophia.get(f"/onboarding/requests/{request.id}").get_data(as_text=True)
    assert "Messages to the contacts" in page
    assert "Invalid telegram_chat_id" in page and "Failed" in page
    john = login(app.test_client(), world.john)
    assert "Messages to the contacts" not in john.get(
        f"/onboarding/requests/{request.id}"
    ).get_data(as_text=True)


def test_contacts_lines_carry_language_and_timezone(app, world):
    from portal.accounts.models import User

    sophia = login(app.test_client(), world.sophia)
    sophia.post_form(
        "/onboarding/clients",
        {
            "name": "Kaya Lojistik",
            "contacts": "Zeynep Kaya; zeynep@kaya.example; 55; +905550000000; tr; Europe/Istanbul",
        },
    )
    zeynep = db.session.scalar(select(User).where(User.email == "zeynep@kaya.example"))
    assert (zeynep.locale, zeynep.timezone, zeynep.telegram_chat_id, zeynep.phone) == (
        "tr",
        "Europe/Istanbul",
        "55",
        "+905550000000",
    )


def test_days_at_the_edges_of_the_calendar_are_form_errors(app, world):
    """Year 1 east of Greenwich and the last hours of 9999 west of it have no UTC time: the
    form comes back with the day refused, for a new session and for a move."""
    request, _assignment = world.accepted()
    world.tom.timezone = "Asia/Kolkata"
    db.session.commit()
    tom = login(app.test_client(), world.tom)
    fields = {
        "stage_id": str(request.stages[0].id),
        "start": "00:00",
        "end": "00:30",
        "location_type": "online",
        "meeting_link": "https://x.example",
        "attendee_ids": [str(world.john.id)],
    }
    for day in ("0001-01-01", "2061-01-01"):
        response = tom.post_form(
            f"/onboarding/requests/{request.id}/sessions", {**fields, "day": day}, htmx=True
        )
        assert response.status_code == 422, day
        assert "Choose a date within ten years of today." in response.get_data(as_text=True)
    assert not request.sessions
    world.tom.timezone = "America/Adak"  # UTC−10: 9999-12-31 23:00 there is year 10000 in UTC
    db.session.commit()
    late = {**fields, "day": "9999-12-31", "start": "23:00", "end": "23:30"}
    response = tom.post_form(f"/onboarding/requests/{request.id}/sessions", late, htmx=True)
    assert response.status_code == 422
    assert "Choose a date within ten years of today." in response.get_data(as_text=True)
    session = world.session(request)
    db.session.commit()
    moved = tom.post_form(
        f"/onboarding/sessions/{session.id}/reschedule",
        {"day": "9999-12-31", "start": "23:00", "end": "23:30", "reason": ""},
        htmx=True,
    )
    assert moved.status_code == 422
    assert "Choose a date within ten years of today." in moved.get_data(as_text=True)
    db.session.refresh(session)
    assert session.status == "scheduled"


def test_contact_and_stage_lines_longer_than_their_columns_are_form_errors(app, world):
    sophia = login(app.test_client(), world.sophia)
    for contacts in (
        "N" * 201 + "; long-name@xyz.example",
        "Deniz; long-chat@xyz.example; " + "1" * 65,
        "Deniz; long-phone@xyz.example; ; " + "2" * 33,
    ):
        added = sophia.post_form("/onboarding/clients", {"name": "Long Corp", "contacts": contacts})
        assert added.status_code == 422, contacts
        assert "Too long" in added.get_data(as_text=True), contacts
    added = sophia.post_form(
        "/onboarding/clients", {"name": "Short Corp", "contacts": "Ex; ex@xyz.example"}
    )
    assert added.status_code == 302
    again = sophia.post_form(
        "/onboarding/clients",
        {"name": "Other Corp", "contacts": "Ex; ex@xyz.example; " + "5" * 65},
    )
    assert again.status_code == 422
    admin = login(app.test_client(), world.admin)
    made = admin.post_form("/onboarding/programs", {"name": "Long", "stages": "s" * 201})
    assert made.status_code == 422
    assert "Too long (at most 200 characters)." in made.get_data(as_text=True)
