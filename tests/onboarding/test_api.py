"""The same scenarios through the JSON API of spec/api.md."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from tests.factories import make_user


@pytest.fixture
def clients(api, world):
    return {
        "sophia": api(world.sophia),
        "tom": api(world.tom),
        "john": api(world.john),
        "admin": api(world.admin),
        "other_trainer": api(world.other_trainer),
    }


def create_request(c, world, priority=None):
    body = {"client_id": str(world.client.id), "training_program_id": str(world.program.id)}
    if priority:
        body["priority"] = priority
    response = c["sophia"].post("/onboarding-requests", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def assigned_request(c, world):
    """A new request that Sophia has assigned to Tom, and Tom's (unanswered) assignment."""
    request = create_request(c, world)
    assigned = c["sophia"].post(
        f"/onboarding-requests/{request['id']}/assignments", json={"trainer_id": str(world.tom.id)}
    )
    assert assigned.status_code == 201, assigned.get_json()
    return request, assigned.get_json()


def accepted_request(c, world):
    request, assignment = assigned_request(c, world)
    ok = c["tom"].put(f"/assignments/{assignment['id']}/status", json={"new_status": "accepted"})
    assert ok.status_code == 200, ok.get_json()
    return request, assignment


def create_session(c, world, request, assignment, stage_index=0, attendees=None, **extra):
    body = {
        "assignment_id": assignment["id"],
        "stage_id": request["stages"][stage_index]["id"],
        "starts_at": "2030-02-20T10:00:00+01:00",
        "ends_at": "2030-02-20T12:00:00+01:00",
        "location_type": "online",
        "meeting_link": "https://zoom.us/j/123456",
        "attendee_ids": [str(u.id) for u in (attendees or [world.john])],
    }
    body.update(extra)
    response = c["tom"].post("/training-sessions", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def put_status(client, collection, entity_id, new_status, **extra):
    return client.put(f"/{collection}/{entity_id}/status", json={"new_status": new_status, **extra})


def get_request(c, request):
    return c["sophia"].get(f"/onboarding-requests/{request['id']}").get_json()


def test_api_scenario_1(clients, world):
    c = clients
    request = create_request(c, world)
    assert request["status"] == "pending" and request["priority"] == "medium"
    assert request["request_code"].startswith("REQ-") and request["request_code"].endswith("-001")
    assert [(s["name"], s["status"], s["progress_percentage"]) for s in request["stages"]] == [
        ("Initial Setup", "not_started", 0.0),
        ("Basic Features", "not_started", 0.0),
        ("Advanced Features", "not_started", 0.0),
    ]
    request, assignment = (
        request,
        c["sophia"]
        .post(
            f"/onboarding-requests/{request['id']}/assignments",
            json={"trainer_id": str(world.tom.id)},
        )
        .get_json(),
    )
    assert assignment["status"] == "assigned"
    assert get_request(c, request)["status"] == "assigned"
    notes = c["tom"].get("/notifications").get_json()["items"]
    assert notes[0]["type"] == "assignment_created"
    accepted = put_status(c["tom"], "assignments", assignment["id"], "accepted")
    assert accepted.get_json()["new_status"] == "accepted"
    assert accepted.get_json()["notifications_sent"] == 1
    for index in range(3):
        session = create_session(c, world, request, assignment, index)
        assert session["status"] == "scheduled"
        assert session["attendees"][0]["attendance_status"] == "invited"
        if index == 0:
            attendee_id = session["attendees"][0]["id"]
            confirm = put_status(c["john"], "attendees", attendee_id, "confirmed")
            assert confirm.status_code == 200
        started = put_status(c["tom"], "training-sessions", session["id"], "in_progress")
        assert started.status_code == 200, started.get_json()
        if index == 0:
            detail = get_request(c, request)
            assert detail["status"] == "in_progress" and detail["actual_start_date"]
            assert detail["assignment"]["status"] == "in_progress"
            assert detail["stages"][0]["status"] == "in_progress"
            put_status(c["tom"], "attendees", attendee_id, "attended")
        done = put_status(
            c["tom"],
            "training-sessions",
            session["id"],
            "completed",
            context_data={"completion_notes": "Covered everything."},
        )
        assert done.status_code == 200
    detail = get_request(c, request)
    assert detail["status"] == "completed" and detail["actual_end_date"]
    assert detail["assignment"]["status"] == "completed"
    assert [s["progress_percentage"] for s in detail["stages"]] == [100.0, 100.0, 100.0]
    assert detail["progress_percentage"] == 100.0
    history = c["sophia"].get(f"/onboarding-requests/{request['id']}/status-history").get_json()
    assert [h["new_status"] for h in history["status_changes"]] == [
        "pending",
        "assigned",
        "in_progress",
        "completed",
    ]
    messages = c["admin"].get(f"/messages?related_session_id={detail['sessions'][0]['id']}")
    assert messages.get_json()["items"][0]["message_type"] in (
        "session_scheduled",
        "session_started",
    )


def test_api_scenario_2_rejection(clients, world):
    c = clients
    request, assignment = assigned_request(c, world)
    no_reason = put_status(c["tom"], "assignments", assignment["id"], "rejected")
    assert no_reason.status_code == 422
    rejected = put_status(
        c["tom"],
        "assignments",
        assignment["id"],
        "rejected",
        context_data={"rejection_reason": "Currently overbooked."},
    )
    assert rejected.status_code == 200
    assert get_request(c, request)["status"] == "pending"
    types = [n["type"] for n in c["sophia"].get("/notifications").get_json()["items"]]
    assert "assignment_rejected" in types
    again = c["sophia"].post(
        f"/onboarding-requests/{request['id']}/assignments",
        json={"trainer_id": str(world.other_trainer.id)},
    )
    assert again.status_code == 201
    detail = get_request(c, request)
    assert detail["assignment"]["trainer"]["name"] == "Ayşe" and len(detail["assignments"]) == 2


def test_api_scenario_3_reschedule(clients, world):
    c = clients
    request, assignment = accepted_request(c, world)
    session = create_session(c, world, request, assignment)
    moved = c["tom"].post(
        f"/training-sessions/{session['id']}/reschedule",
        json={"starts_at": "2030-02-22T10:00:00+01:00", "ends_at": "2030-02-22T12:00:00+01:00"},
    )
    assert moved.status_code == 201
    new = moved.get_json()
    assert new["status"] == "scheduled" and new["scheduled_date"] == "2030-02-22"
    assert new["attendees"][0]["attendance_status"] == "invited"
    old = c["tom"].get(f"/training-sessions/{session['id']}").get_json()
    assert old["status"] == "rescheduled"
    bare = put_status(c["tom"], "training-sessions", new["id"], "rescheduled")
    assert bare.status_code == 422


def test_api_scenario_4_no_show(clients, world):
    c = clients
    request, assignment = accepted_request(c, world)
    session = create_session(c, world, request, assignment)
    put_status(c["tom"], "training-sessions", session["id"], "in_progress")
    absent = put_status(
        c["tom"],
        "attendees",
        session["attendees"][0]["id"],
        "absent",
        context_data={"notes": "No show"},
    )
    assert absent.status_code == 200
    put_status(
        c["tom"],
        "training-sessions",
        session["id"],
        "completed",
        context_data={"completion_notes": "Customer did not attend."},
    )
    makeup = create_session(c, world, request, assignment, is_makeup=True)
    assert makeup["is_makeup"] is True


def test_api_scenario_5_cancel(clients, world):
    c = clients
    request, assignment = accepted_request(c, world)
    session = create_session(c, world, request, assignment, attendees=[world.john, world.sarah])
    forbidden = put_status(
        c["tom"], "onboarding-requests", request["id"], "cancelled", status_reason="no"
    )
    assert forbidden.status_code == 403
    cancelled = put_status(
        c["sophia"],
        "onboarding-requests",
        request["id"],
        "cancelled",
        status_reason="ABC Company decided not to proceed",
    )
    assert cancelled.status_code == 200
    assert cancelled.get_json()["notifications_sent"] >= 3
    detail = get_request(c, request)
    assert detail["status"] == "cancelled" and detail["assignment"]["status"] == "completed"
    assert detail["sessions"][0]["status"] == "cancelled"
    assert {a["attendance_status"] for a in detail["sessions"][0]["attendees"]} == {"cancelled"}
    again = put_status(
        c["sophia"], "onboarding-requests", request["id"], "cancelled", status_reason="twice"
    )
    assert again.status_code == 409
    assert session["id"] == detail["sessions"][0]["id"]


def test_api_scenario_6_skip(clients, world):
    c = clients
    request, assignment = accepted_request(c, world)
    for index in range(2):
        session = create_session(c, world, request, assignment, index)
        put_status(c["tom"], "training-sessions", session["id"], "in_progress")
        put_status(c["tom"], "training-sessions", session["id"], "completed")
    skipped = put_status(
        c["tom"],
        "stage-progress",
        request["stages"][2]["id"],
        "skipped",
        context_data={"notes": "Customer only needs basic CRM features."},
    )
    assert skipped.status_code == 200
    detail = get_request(c, request)
    assert [s["status"] for s in detail["stages"]] == ["completed", "completed", "skipped"]
    assert detail["status"] == "completed"


def test_api_scenario_7_hybrid(clients, world):
    c = clients
    request, assignment = accepted_request(c, world)
    missing = c["tom"].post(
        "/training-sessions",
        json={
            "assignment_id": assignment["id"],
            "stage_id": request["stages"][0]["id"],
            "starts_at": "2030-02-20T10:00:00+01:00",
            "ends_at": "2030-02-20T12:00:00+01:00",
            "location_type": "hybrid",
            "meeting_link": "https://zoom.us/j/1",
            "attendee_ids": [str(world.john.id)],
        },
    )
    assert missing.status_code == 422
    assert "physical_location" in missing.get_json()["error"]["details"]
    session = create_session(
        c,
        world,
        request,
        assignment,
        attendees=[world.john, world.sarah, world.mike],
        location_type="hybrid",
        physical_location="ABC Company Office, Conference Room A",
    )
    put_status(c["tom"], "training-sessions", session["id"], "in_progress")
    for attendee, status, note in zip(
        session["attendees"],
        ("attended", "attended", "absent"),
        ("Attended in person", "Attended via Zoom", "Did not attend"),
        strict=True,
    ):
        assert (
            put_status(
                c["tom"], "attendees", attendee["id"], status, context_data={"notes": note}
            ).status_code
            == 200
        )
    detail = c["tom"].get(f"/training-sessions/{session['id']}").get_json()
    assert [(a["attendance_status"], a["notes"]) for a in detail["attendees"]] == [
        ("attended", "Attended in person"),
        ("attended", "Attended via Zoom"),
        ("absent", "Did not attend"),
    ]


def test_api_session_times_far_from_today_are_refused_and_nothing_is_written(clients, world):
    """Times a calendar cannot show in every zone (year 1 east of Greenwich, the last hours of
    9999) and times decades away: 422 with the field named, no session, no invitation."""
    from portal.messaging.models import OutboundMessage
    from portal.onboarding.models import TrainingSession

    c = clients
    request, assignment = accepted_request(c, world)
    body = {
        "assignment_id": assignment["id"],
        "stage_id": request["stages"][0]["id"],
        "location_type": "online",
        "meeting_link": "https://zoom.us/j/1",
        "attendee_ids": [str(world.john.id)],
    }
    messages = db.session.scalar(select(func.count(OutboundMessage.id)))
    for starts_at, ends_at, field in (
        ("0001-01-01T00:00:00+14:00", "2030-02-20T12:00:00+01:00", "starts_at"),
        ("9999-12-31T22:00:00Z", "9999-12-31T23:00:00Z", "starts_at"),
        ("2030-02-20T10:00:00+01:00", "9999-12-31T23:59:59Z", "ends_at"),
        ("2061-03-01T10:00:00Z", "2061-03-01T12:00:00Z", "starts_at"),
    ):
        answer = c["tom"].post(
            "/training-sessions",
            json={**body, "starts_at": starts_at, "ends_at": ends_at, "timezone": "Asia/Tokyo"},
        )
        assert answer.status_code == 422, starts_at
        assert field in answer.get_json()["error"]["details"], starts_at
    assert db.session.scalar(select(func.count(TrainingSession.id))) == 0
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == messages
    session = create_session(c, world, request, assignment)
    moved = c["tom"].post(
        f"/training-sessions/{session['id']}/reschedule",
        json={"starts_at": "9999-12-31T22:00:00Z", "ends_at": "9999-12-31T23:00:00Z"},
    )
    assert moved.status_code == 422
    assert c["tom"].get(f"/training-sessions/{session['id']}").get_json()["status"] == "scheduled"
    assert c["sophia"].get("/training-sessions").status_code == 200


def test_api_scenario_8_queue_order_and_priority_rules(clients, world):
    c = clients
    medium = create_request(c, world)
    low = create_request(c, world, "low")
    urgent = create_request(c, world, "urgent")
    high = create_request(c, world, "high")
    queue = c["sophia"].get("/onboarding-requests").get_json()["items"]
    assert [r["id"] for r in queue] == [urgent["id"], high["id"], medium["id"], low["id"]]
    only_urgent = c["sophia"].get("/onboarding-requests?priority=urgent").get_json()
    assert only_urgent["total_count"] == 1
    assert (
        c["tom"].patch(f"/onboarding-requests/{low['id']}", json={"priority": "urgent"}).status_code
        == 403
    )
    changed = c["sophia"].patch(f"/onboarding-requests/{low['id']}", json={"priority": "high"})
    assert changed.status_code == 200 and changed.get_json()["priority"] == "high"
    assert (
        c["sophia"]
        .patch(f"/onboarding-requests/{low['id']}", json={"priority": "asap"})
        .status_code
        == 422
    )


def test_api_visibility(clients, world, api, other_org):
    c = clients
    request, assignment = accepted_request(c, world)
    session = create_session(c, world, request, assignment, attendees=[world.sarah])
    # A trainer sees only their own assignments and requests.
    assert c["other_trainer"].get(f"/onboarding-requests/{request['id']}").status_code == 404
    assert c["other_trainer"].get("/assignments").get_json()["total_count"] == 0
    # John is a contact of the client but not an attendee of this session.
    assert c["john"].get(f"/training-sessions/{session['id']}").status_code == 404
    sarah = api(world.sarah)
    mine = sarah.get("/training-sessions?upcoming=true").get_json()
    assert [s["id"] for s in mine["items"]] == [session["id"]]
    stranger = api(make_user(other_org, "coordinator"))
    assert stranger.get(f"/onboarding-requests/{request['id']}").status_code == 404
    assert stranger.get("/onboarding-requests").get_json()["total_count"] == 0
    assert c["john"].post("/onboarding-requests", json={}).status_code == 403


def test_api_clients_and_programs(clients, world):
    c = clients
    created = c["sophia"].post(
        "/clients",
        json={
            "name": "XYZ Corp",
            "contacts": [
                {"name": "Deniz", "email": "deniz@xyz.example", "telegram_chat_id": "42"},
                {"name": "John again", "email": "JOHN@abc.example"},
            ],
        },
    )
    assert created.status_code == 201
    contacts = created.get_json()["contacts"]
    assert contacts[1]["user_id"] == str(world.john.id)  # linked, not duplicated
    assert c["sophia"].post("/clients", json={"name": "XYZ Corp"}).status_code == 409
    bad = c["sophia"].post("/clients", json={"name": "Q", "contacts": [{"name": "", "email": "x"}]})
    assert bad.status_code == 422
    program = c["admin"].post(
        "/training-programs",
        json={
            "name": "ERP",
            "stages": [{"name": "Setup", "order": 1}, {"name": "Go-live", "order": 2}],
        },
    )
    assert program.status_code == 201
    assert (
        c["sophia"]
        .post("/training-programs", json={"name": "X", "stages": [{"name": "a", "order": 1}]})
        .status_code
        == 403
    )
    loads = c["sophia"].get("/trainers").get_json()["items"]
    assert {t["name"] for t in loads} == {"Tom", "Ayşe"}


def test_api_material_upload(clients, world):
    import io

    c = clients
    request, assignment = accepted_request(c, world)
    session = create_session(c, world, request, assignment)
    upload = c["tom"].client.post(
        f"/api/v1/training-sessions/{session['id']}/materials",
        data={
            "material_type": "recording",
            "description": "Session 1: Initial Setup - Recording",
            "file": (io.BytesIO(b"video-bytes"), "session1.mp4"),
        },
        headers={"Authorization": f"Bearer {c['tom'].token}"},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_json()
    material = upload.get_json()
    assert material["material_type"] == "recording" and material["size"] == 11
    download = c["john"].client.get(
        material["url"], headers={"Authorization": f"Bearer {c['john'].token}"}
    )
    assert download.status_code == 200 and download.data == b"video-bytes"
    download.close()
    bad = c["tom"].client.post(
        f"/api/v1/training-sessions/{session['id']}/materials",
        data={"material_type": "poster"},
        headers={"Authorization": f"Bearer {c['tom'].token}"},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    odd_name = c["tom"].client.post(
        f"/api/v1/training-sessions/{session['id']}/materials",
        data={"material_type": "slides", "file": (io.BytesIO(b"pdf"), "deck\x00.pdf")},
        headers={"Authorization": f"Bearer {c['tom'].token}"},
        content_type="multipart/form-data",
    )
    assert odd_name.status_code == 201 and odd_name.get_json()["filename"] == "deck.pdf"


def test_api_material_upload_with_text_no_column_holds(app, clients, world):
    """A description too long or holding NUL is a 422 and keeps no file; a content type longer
    than any real one is stored as application/octet-stream (PostgreSQL enforces every length)."""
    import io
    from pathlib import Path

    c = clients
    request, assignment = accepted_request(c, world)
    session = create_session(c, world, request, assignment)
    uploads = Path(app.config.get("UPLOAD_DIR") or Path(app.config["INSTANCE_DIR"]) / "uploads")
    uploads.mkdir(parents=True, exist_ok=True)
    kept = set(uploads.iterdir())

    def upload(description=None, content_type="text/plain"):
        data = {"material_type": "other", "file": (io.BytesIO(b"abc"), "a.txt", content_type)}
        if description is not None:
            data["description"] = description
        return c["tom"].client.post(
            f"/api/v1/training-sessions/{session['id']}/materials",
            data=data,
            headers={"Authorization": f"Bearer {c['tom'].token}", "Accept-Language": "fr"},
            content_type="multipart/form-data",
        )

    too_long = upload("x" * 301)
    assert too_long.status_code == 422
    assert too_long.get_json()["error"]["details"]["description"] == (
        "Trop long (300 caractères au maximum)."
    )
    assert upload("a\x00b").status_code == 422
    assert set(uploads.iterdir()) == kept
    assert upload("x" * 300).status_code == 201
    odd_type = upload(content_type="x" * 101)
    assert odd_type.status_code == 201
    assert odd_type.get_json()["content_type"] == "application/octet-stream"


def test_a_material_whose_row_is_not_committed_keeps_no_file(app, clients, world):
    """The file is written before its row; if the transaction does not commit, it goes too."""
    import uuid

    from portal.onboarding import services
    from portal.onboarding.models import SessionMaterial, TrainingSession
    from portal.onboarding.storage import storage

    c = clients
    request, assignment = accepted_request(c, world)
    session = db.session.get(
        TrainingSession, uuid.UUID(create_session(c, world, request, assignment)["id"])
    )

    def save():
        return services.save_material(
            session,
            material_type="slides",
            description=None,
            filename="deck.pdf",
            content_type="application/pdf",
            data=b"pdf",
            actor=world.tom,
            storage=storage,
        )

    dropped = save()
    assert storage.path(dropped.storage_key).exists()
    db.session.rollback()
    assert not storage.path(dropped.storage_key).exists()
    kept = save()
    db.session.commit()
    assert storage.path(kept.storage_key).read_bytes() == b"pdf"
    assert db.session.get(SessionMaterial, kept.id) is not None


def test_api_session_list_filters_by_request_and_refuses_a_malformed_id(clients, world):
    c = clients
    request, assignment = accepted_request(c, world)
    session = create_session(c, world, request, assignment)
    listed = c["tom"].get(f"/training-sessions?request_id={request['id']}").get_json()
    assert [s["id"] for s in listed["items"]] == [session["id"]]
    other = c["tom"].get("/training-sessions?request_id=00000000-0000-0000-0000-000000000000")
    assert other.get_json()["total_count"] == 0
    bad = c["tom"].get("/training-sessions?request_id=nope")
    assert bad.status_code == 422 and "request_id" in bad.get_json()["error"]["details"]


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("sophia", "/clients"),
        ("sophia", "/training-programs"),
        ("sophia", "/trainers"),
        ("tom", "/auth/tokens"),
    ],
)
def test_api_short_lists_take_limit_and_offset_too(clients, world, who, path):
    client = clients[who]
    everything = client.get(path).get_json()
    total = everything["total_count"]
    if path == "/clients":
        assert everything["items"][0]["contacts"]  # contacts still come with each client
    first = client.get(f"{path}?limit=1").get_json()
    assert first["total_count"] == total and first["items"] == everything["items"][:1]
    rest = client.get(f"{path}?limit=500&offset=1").get_json()
    assert rest["items"] == everything["items"][1:]
    for bad in ("limit=0", "limit=501", "limit=a", "offset=-1"):
        refused = client.get(f"{path}?{bad}")
        assert refused.status_code == 422, bad
        assert refused.get_json()["error"]["code"] == "validation_error"


def test_api_coordinator_takes_a_request_back_before_the_trainer_answers(clients, world):
    """Sales may move a request pending ↔ assigned: taking it back ends the trainer's
    unanswered assignment, tells the trainer, and lets another trainer be assigned."""
    c = clients
    request, assignment = assigned_request(c, world)
    path = f"/onboarding-requests/{request['id']}/status"
    assert c["tom"].put(path, json={"new_status": "pending"}).status_code == 403
    back = c["sophia"].put(path, json={"new_status": "pending", "status_reason": "Tom is ill"})
    assert back.status_code == 200, back.get_json()
    assert (back.get_json()["old_status"], back.get_json()["new_status"]) == ("assigned", "pending")
    detail = c["sophia"].get(f"/onboarding-requests/{request['id']}").get_json()
    [withdrawn] = detail["assignments"]
    assert withdrawn["status"] == "rejected" and detail["assignment"] is None
    history = c["sophia"].get(f"/assignments/{assignment['id']}/status-history").get_json()
    last = history["status_changes"][-1]
    assert (last["new_status"], last["updated_by"], last["status_reason"]) == (
        "rejected",
        "system",
        "Tom is ill",
    )
    tom_sees = c["tom"].get("/notifications").get_json()["items"]
    assert any(n["type"] == "assignment_withdrawn" for n in tom_sees)
    sophia_sees = c["sophia"].get("/notifications").get_json()["items"]
    assert not any(n["type"] == "assignment_rejected" for n in sophia_sees)
    again = c["sophia"].post(
        f"/onboarding-requests/{request['id']}/assignments",
        json={"trainer_id": str(world.other_trainer.id)},
    )
    assert again.status_code == 201
    # Taken back again, with no reason: nothing is stored, the trainer is told so.
    ayse = again.get_json()
    assert c["sophia"].put(path, json={"new_status": "pending"}).status_code == 200
    detail = c["sophia"].get(f"/onboarding-requests/{request['id']}").get_json()
    [second] = [a for a in detail["assignments"] if a["id"] == ayse["id"]]
    assert second["status"] == "rejected" and second["rejection_reason"] is None
    told = c["other_trainer"].get("/notifications").get_json()["items"]
    assert told[0]["message"].endswith("Reason: none given.")


def test_api_callers_cannot_send_the_systems_own_context(clients, world):
    """A take-back and a reschedule mark their changes with context the guards trust; sent
    by hand they would skip the checks (a rejection without a reason, a reschedule to
    nowhere), so the status API refuses them and writes nothing."""
    c = clients
    request, assignment = assigned_request(c, world)
    path = f"/assignments/{assignment['id']}/status"
    context = {"withdrawn": True, "withdrawn_by": str(world.sophia.id)}
    faked = c["tom"].put(path, json={"new_status": "rejected", "context_data": context})
    assert faked.status_code == 422
    details = faked.get_json()["error"]["details"]
    assert set(details) == {"context_data.withdrawn", "context_data.withdrawn_by"}
    history = c["tom"].get(f"{path[: -len('/status')]}/status-history").get_json()
    assert [h["new_status"] for h in history["status_changes"]] == ["assigned"]
    fine = c["tom"].put(path, json={"new_status": "accepted", "context_data": {"note": "ok"}})
    assert fine.status_code == 200
    # Reserved on every item, not only where a guard reads them: a timeline or a handler
    # could read them on any change.
    detail = c["tom"].get(f"/onboarding-requests/{request['id']}").get_json()
    stage_path = f"/stage-progress/{detail['stages'][0]['id']}/status"
    context = {"error_detail": "boom", "request_cancelled": True}
    faked = c["tom"].put(stage_path, json={"new_status": "skipped", "context_data": context})
    assert faked.status_code == 422
    assert set(faked.get_json()["error"]["details"]) == {
        "context_data.error_detail",
        "context_data.request_cancelled",
    }


def test_api_an_accepted_request_cannot_be_taken_back(clients, world):
    c = clients
    request, assignment = accepted_request(c, world)
    path = f"/onboarding-requests/{request['id']}/status"
    refused = c["sophia"].put(path, json={"new_status": "pending"})
    assert refused.status_code == 409  # the input is right; the trainer's answer refuses it
    assert refused.get_json()["error"]["code"] == "invalid_transition"
    assert "already accepted" in refused.get_json()["error"]["message"]
    assert c["sophia"].get(f"/onboarding-requests/{request['id']}").get_json()["status"] == (
        "assigned"
    )
    detail = c["sophia"].get(f"/onboarding-requests/{request['id']}").get_json()
    assert detail["assignment"]["status"] == "accepted"


def test_api_rule_2_refusals_are_409_and_write_nothing(clients, world):
    c = clients
    request, assignment = accepted_request(c, world)
    later = create_session(c, world, request, assignment, stage_index=1)
    early = put_status(c["tom"], "training-sessions", later["id"], "in_progress")
    assert early.status_code == 409
    error = early.get_json()["error"]
    assert error["code"] == "invalid_transition" and "earlier stages" in error["message"]
    assert error["details"] == {"old_status": "scheduled", "new_status": "in_progress"}
    history = c["tom"].get(f"/training-sessions/{later['id']}/status-history").get_json()
    assert [h["new_status"] for h in history["status_changes"]] == ["scheduled"]


def test_api_a_trainer_finds_whom_to_invite_in_the_request(clients, world):
    """`attendee_ids` are the client's contacts: the request tells its trainer who they are."""
    c = clients
    request, assignment = accepted_request(c, world)
    detail = c["tom"].get(f"/onboarding-requests/{request['id']}").get_json()
    contacts = {p["name"]: p["user_id"] for p in detail["client"]["contacts"]}
    assert set(contacts) == {"John", "Sarah", "Mike"}
    session = create_session(
        c, world, request, assignment, attendee_ids=[contacts["John"], contacts["Sarah"]]
    )
    assert {a["user_id"] for a in session["attendees"]} == {contacts["John"], contacts["Sarah"]}
    listed = c["tom"].get("/onboarding-requests").get_json()["items"]
    assert listed[0]["client"]["contacts"]  # lists carry them too
    john = c["john"].get(f"/onboarding-requests/{request['id']}").get_json()
    assert "contacts" not in john["client"]  # a learner is not shown the others' details
