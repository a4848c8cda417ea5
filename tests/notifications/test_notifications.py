"""In-app notifications: written in the recipient's language, listed, marked read, the bell."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.extensions import db
from portal.notifications import services
from portal.notifications.models import Notification


def _notify(user, title="New Training Assignment", message="You have been assigned."):
    notification_id = services.notify(
        user, type="assignment_created", title=title, message=message, link="/profile"
    )
    db.session.commit()
    return notification_id


def test_notification_text_is_in_the_recipients_language(users):
    users["trainer"].locale = "tr"
    notification_id = services.notify(
        users["trainer"],
        type="assignment_created",
        title=lambda: _("Notifications"),
        message=lambda: _("Not found."),
    )
    db.session.commit()
    notification = db.session.get(Notification, notification_id)
    assert notification.title != "Notifications"  # rendered with the Turkish catalog
    assert notification.user_id == users["trainer"].id and notification.is_read is False


def test_api_lists_marks_one_and_all_read(api, users):
    first = _notify(users["trainer"])
    _notify(users["trainer"], title="Second")
    _notify(users["coordinator"], title="Not yours")
    client = api(users["trainer"])
    listed = client.get("/notifications").get_json()
    assert listed["total_count"] == 2 and listed["unread_count"] == 2
    item = next(i for i in listed["items"] if i["id"] == str(first))
    assert set(item) >= {"id", "type", "title", "message", "link", "is_read", "created_at"}
    assert item["type"] == "assignment_created" and item["is_read"] is False
    read = client.post(f"/notifications/{first}/read")
    assert read.status_code == 200 and read.get_json()["is_read"] is True
    unread = client.get("/notifications?unread=true").get_json()
    assert [i["title"] for i in unread["items"]] == ["Second"]
    assert client.post("/notifications/read-all").get_json() == {"marked_read": 1}
    assert client.get("/notifications?unread=true").get_json()["total_count"] == 0


def test_cannot_read_someone_elses_notification(api, users):
    theirs = _notify(users["coordinator"])
    response = api(users["trainer"]).post(f"/notifications/{theirs}/read")
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, theirs).is_read is False
    assert api(users["trainer"]).post("/notifications/nope/read").status_code == 404


def test_bell_counts_unread_and_the_page_marks_read(login_as, users):
    trainer = login_as("trainer")
    assert 'id="bell-count"' not in trainer.get("/notifications/bell").get_data(as_text=True)
    first = _notify(users["trainer"])
    _notify(users["trainer"], title="Second")
    bell = trainer.get("/notifications/bell", headers={"HX-Request": "true"})
    assert '<span class="bell-count" id="bell-count">2</span>' in bell.get_data(as_text=True)
    home = trainer.get("/").get_data(as_text=True)
    assert 'id="notification-bell"' in home and ">2</span>" in home
    page = trainer.get("/notifications").get_data(as_text=True)
    assert "New Training Assignment" in page and "Second" in page
    marked = trainer.post_form(f"/notifications/{first}/read", htmx=True)
    body = marked.get_data(as_text=True)
    assert 'hx-swap-oob="true"' in body and ">1</span>" in body
    follow = trainer.post_form(f"/notifications/{first}/read", {"follow": "1"})
    assert follow.headers["Location"] == "/profile"
    trainer.post_form("/notifications/read-all")
    assert 'id="bell-count"' not in trainer.get("/notifications/bell").get_data(as_text=True)


def test_marking_another_users_notification_from_the_page_is_404(login_as, users):
    theirs = _notify(users["admin"])
    response = login_as("learner").post_form(f"/notifications/{theirs}/read")
    assert response.status_code == 404


def test_marking_read_in_the_unread_view_stays_in_that_view(login_as, users):
    trainer = login_as("trainer")
    first = _notify(users["trainer"], title="First")
    _notify(users["trainer"], title="Second")
    page = trainer.get("/notifications?unread=1").get_data(as_text=True)
    assert f'hx-post="/notifications/{first}/read?unread=1"' in page
    assert 'hx-post="/notifications/read-all?unread=1"' in page
    marked = trainer.post_form(f"/notifications/{first}/read?unread=1", htmx=True)
    body = marked.get_data(as_text=True)
    assert "Second" in body and "First" not in body  # the read one leaves the unread view
    trainer.post_form("/notifications/read-all?unread=1", htmx=True)
    _notify(users["trainer"], title="Third")
    third = db.session.query(Notification).filter_by(title="Third").one().id
    plain = trainer.post_form(f"/notifications/{third}/read?unread=1&offset=0&limit=10")
    assert plain.headers["Location"] == "/notifications?unread=1&limit=10"


def test_a_page_beyond_the_end_offers_the_last_page(login_as, users):
    for n in range(3):
        _notify(users["trainer"], title=f"Item {n}")
    trainer = login_as("trainer")
    beyond = trainer.get("/notifications?limit=2&offset=40").get_data(as_text=True)
    assert "No notifications." in beyond and " of 3" not in beyond  # no "41–3 of 3"
    assert 'href="/notifications?limit=2&amp;offset=2"' in beyond  # Previous: the last page
    last = trainer.get("/notifications?limit=2&offset=2").get_data(as_text=True)
    assert "3–3 of 3" in last
