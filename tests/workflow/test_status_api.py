"""The generic PUT /{collection}/{id}/status and GET …/status-history, on the test machine."""

from __future__ import annotations

import pytest

from tests.factories import make_user


def test_put_status_answers_with_the_change(api, users, org, make_widget):
    widget = make_widget(org)
    response = api(users["trainer"]).put(
        f"/widgets/{widget.id}/status",
        json={"new_status": "active", "status_reason": "kick-off", "context_data": {"a": 1}},
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["success"] is True
    assert (body["old_status"], body["new_status"]) == ("draft", "active")
    assert body["updated_at"].endswith("Z")
    assert body["notifications_sent"] == 0 and body["workflow_actions_triggered"] == []

    history = api(users["admin"]).get(f"/widgets/{widget.id}/status-history").get_json()
    assert history["total_count"] == 1
    [change] = history["status_changes"]
    assert change["old_status"] == "draft" and change["new_status"] == "active"
    assert change["status_reason"] == "kick-off" and change["context_data"] == {"a": 1}
    assert change["updated_by"] == "user"
    assert change["updated_by_user"]["id"] == str(users["trainer"].id)


def test_refusals_403_409_404_422(api, users, org, other_org, make_widget):
    widget = make_widget(org)
    learner = api(users["learner"])
    assert (
        learner.put(f"/widgets/{widget.id}/status", json={"new_status": "active"}).status_code
        == 404
    )
    trainer = api(users["trainer"])
    forbidden = trainer.put(
        f"/widgets/{widget.id}/status", json={"new_status": "dropped", "status_reason": "x"}
    )
    assert forbidden.status_code == 403
    assert forbidden.get_json()["error"]["code"] == "forbidden"
    invalid = trainer.put(f"/widgets/{widget.id}/status", json={"new_status": "done"})
    assert invalid.status_code == 409
    assert invalid.get_json()["error"]["code"] == "invalid_transition"
    for unknown in ("flying", "DONE", ""):
        bad = trainer.put(f"/widgets/{widget.id}/status", json={"new_status": unknown})
        assert bad.status_code == 422, unknown
        assert bad.get_json()["error"]["code"] == "validation_error"
        assert "new_status" in bad.get_json()["error"]["details"]
    guard = api(users["coordinator"]).put(
        f"/widgets/{widget.id}/status", json={"new_status": "dropped"}
    )
    assert guard.status_code == 422
    assert (
        api(users["coordinator"])
        .put(f"/widgets/{widget.id}/status", json={"status": "active"})
        .status_code
        == 422
    )
    stranger = api(make_user(other_org, "admin"))
    assert (
        stranger.put(f"/widgets/{widget.id}/status", json={"new_status": "active"}).status_code
        == 404
    )
    assert stranger.get(f"/widgets/{widget.id}/status-history").status_code == 404
    assert trainer.put("/nothings/abc/status", json={"new_status": "x"}).status_code == 404
    assert trainer.put("/widgets/not-a-uuid/status", json={"new_status": "x"}).status_code == 404
    # Nothing was written by any refusal.
    history = api(users["admin"]).get(f"/widgets/{widget.id}/status-history").get_json()
    assert history["total_count"] == 0


def test_context_data_that_cannot_be_stored_is_refused_and_nothing_is_written(
    api, users, org, make_widget
):
    """JSON the standard does not allow (NaN, Infinity, numbers beyond a float), nesting deeper
    than any context needs, and text with an unpaired surrogate: 400 or 422, translated, and
    the item keeps its status."""
    widget = make_widget(org)
    trainer = api(users["trainer"])
    path = f"/widgets/{widget.id}/status"
    deep = '{"n": ' + "[" * 40 + "]" * 40 + "}"
    for context, code in (
        ("NaN", 400),
        ("Infinity", 400),
        ("1e400", 400),
        (deep, 400),
        ('{"note": "a\\ud800b"}', 422),
        ('{"\\udc00": 1}', 422),
    ):
        raw = '{"new_status": "active", "context_data": {"x": ' + context + "}}"
        answer = trainer.put(
            path,
            data=raw,
            headers={"Content-Type": "application/json", "Accept-Language": "fr"},
        )
        assert answer.status_code == code, context
        assert answer.get_json()["error"]["message"], context
        if context == deep:
            assert answer.get_json()["error"]["message"] == (
                "Le corps de la requête est trop profondément imbriqué."
            )
    refused = trainer.put(
        path,
        data='{"new_status": "active", "context_data": {"note": "a\\ud800b"}}',
        headers={"Content-Type": "application/json", "Accept-Language": "fr"},
    ).get_json()
    assert refused["error"]["details"] == {
        "context_data.note": "Le texte ne peut pas contenir le caractère NUL ni un demi-codet "
        "d’indirection isolé."
    }
    # A key that holds such a character is named with U+FFFD in its place: the answer itself
    # is JSON every reader accepts (no lone surrogate, no NUL escaped back).
    for key in ("\\ud800", "a\\u0000"):
        answer = trainer.put(
            path,
            data='{"new_status": "active", "context_data": {"' + key + '": 1}}',
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 422
        [named] = answer.get_json()["error"]["details"]
        assert named in ("context_data.\ufffd", "context_data.a\ufffd")
        assert "\\ud800" not in answer.get_data(as_text=True)
        assert "\\u0000" not in answer.get_data(as_text=True)
    history = api(users["admin"]).get(f"/widgets/{widget.id}/status-history").get_json()
    assert history["total_count"] == 0
    fine = trainer.put(path, json={"new_status": "active", "context_data": {"n": [[[1.5]]]}})
    assert fine.status_code == 200


def test_json_bodies_may_nest_32_levels_and_no_more():
    from portal.api.endpoints import MAX_JSON_DEPTH, JsonTooDeep, load_json

    assert MAX_JSON_DEPTH == 32
    assert load_json("[" * 32 + "]" * 32) is not None
    assert load_json('{"a": ' * 32 + "1" + "}" * 32) is not None
    for deep in ("[" * 33 + "]" * 33, '{"a": ' * 33 + "1" + "}" * 33, "[" * 100_000):
        with pytest.raises(JsonTooDeep):
            load_json(deep)


def test_history_filters_by_date_and_limit(api, users, org, make_widget):
    from datetime import UTC, datetime

    from portal.extensions import db
    from portal.workflow.actors import SYSTEM
    from portal.workflow.engine import transition

    widget = make_widget(org)
    transition(widget, "active", actor=users["trainer"], now=datetime(2026, 1, 5, 9, tzinfo=UTC))
    transition(widget, "done", actor=SYSTEM, now=datetime(2026, 1, 9, 23, 30, tzinfo=UTC))
    db.session.commit()
    client = api(users["admin"])  # admin's timezone is Europe/Paris: 23:30 UTC is Jan 10th there
    all_changes = client.get(f"/widgets/{widget.id}/status-history").get_json()
    assert [c["new_status"] for c in all_changes["status_changes"]] == ["active", "done"]
    assert all_changes["status_changes"][1]["updated_by"] == "system"
    assert all_changes["status_changes"][1]["created_at_local"].endswith("+01:00")
    late = client.get(f"/widgets/{widget.id}/status-history?date_from=2026-01-10").get_json()
    assert [c["new_status"] for c in late["status_changes"]] == ["done"]
    early = client.get(f"/widgets/{widget.id}/status-history?date_to=2026-01-09").get_json()
    assert [c["new_status"] for c in early["status_changes"]] == ["active"]
    one = client.get(f"/widgets/{widget.id}/status-history?limit=1").get_json()
    assert one["total_count"] == 2 and len(one["status_changes"]) == 1
    bad = client.get(f"/widgets/{widget.id}/status-history?date_from=yesterday")
    assert bad.status_code == 422


def test_history_dates_at_the_edges_of_the_calendar_bound_nothing(
    api, login_as, users, org, make_widget
):
    """The day after 9999-12-31 and the UTC start of 0001-01-01 east of Greenwich do not exist:
    such bounds leave every change in, in the API and in the admin feed."""
    from portal.extensions import db
    from portal.workflow.engine import transition

    widget = make_widget(org)
    transition(widget, "active", actor=users["trainer"])
    db.session.commit()
    client = api(users["admin"])  # Europe/Paris: 0001-01-01 00:00 there is still year 0 in UTC
    for query in (
        "date_to=9999-12-31",
        "date_from=0001-01-01",
        "date_from=0001-01-01&date_to=9999-12-31",
    ):
        answer = client.get(f"/widgets/{widget.id}/status-history?{query}")
        assert answer.status_code == 200, query
        assert answer.get_json()["total_count"] == 1, query
    admin = login_as("admin")
    feed = admin.get("/admin/changes?date_from=0001-01-01&date_to=9999-12-31")
    assert feed.status_code == 200
    assert f"/admin/history/widget/{widget.id}" in feed.get_data(as_text=True)


def test_admin_pages_show_diagram_history_and_feed(login_as, users, org, make_widget):
    from portal.extensions import db
    from portal.workflow.engine import transition

    widget = make_widget(org)
    transition(widget, "active", actor=users["trainer"])
    db.session.commit()
    admin = login_as("admin")
    diagrams = admin.get("/admin/workflows").get_data(as_text=True)
    assert "<svg" in diagrams and "widget" in diagrams and "message" in diagrams
    timeline = admin.get(f"/admin/history/widget/{widget.id}").get_data(as_text=True)
    assert users["trainer"].name in timeline
    feed = admin.get("/admin/changes?machine=widget").get_data(as_text=True)
    assert f"/admin/history/widget/{widget.id}" in feed
    empty = admin.get("/admin/changes?machine=message").get_data(as_text=True)
    assert f"/admin/history/widget/{widget.id}" not in empty
    assert admin.get("/admin/history/widget/not-an-id").status_code == 404
    assert admin.get(f"/admin/history/nothing/{widget.id}").status_code == 404
    assert admin.get("/admin/changes?date_from=nope").status_code == 422


def test_openapi_names_the_collections_of_the_status_routes(api):
    from portal.workflow import machines

    document = api().get("/openapi.json").get_json()
    for path, method in (
        ("/api/v1/{collection}/{entity_id}/status", "put"),
        ("/api/v1/{collection}/{entity_id}/status-history", "get"),
    ):
        operation = document["paths"][path][method]
        [collection] = [p for p in operation["parameters"] if p["name"] == "collection"]
        assert {
            "onboarding-requests",
            "assignments",
            "training-sessions",
            "attendees",
            "stage-progress",
            "messages",
        } <= set(collection["schema"]["enum"])
        # only what this instance answers: every name is a registered machine's
        assert all(machines.by_collection(name) for name in collection["schema"]["enum"])
    put = document["paths"]["/api/v1/{collection}/{entity_id}/status"]["put"]
    assert {"403", "404", "409", "422"} <= set(put["responses"])
