"""Database refusals are answers: twenty people creating the same thing at once get one 201 and
409s, never a 500; a lost race is run once more; the mapping reads constraint names on both
databases. On PostgreSQL (CI's second run) the requests really overlap; SQLite serialises them."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from portal.accounts.models import Organisation, User
from portal.core import db_errors
from portal.core.errors import Conflict, Duplicate, InvalidTransition
from portal.extensions import db
from portal.onboarding.models import Client, ClientContact, TrainingProgram
from tests import factories

PARALLEL = 20


def _post_together(app, token: str, path: str, bodies: list[dict]) -> list:
    """POST each body from its own thread and client, all released at the same moment."""
    start = threading.Barrier(len(bodies))
    answers: list = [None] * len(bodies)
    headers = {"Authorization": f"Bearer {token}"}

    def run(index: int) -> None:
        with app.app_context():
            client = app.test_client()
            start.wait(timeout=30)
            answers[index] = client.post("/api/v1" + path, json=bodies[index], headers=headers)
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers


def _statuses(answers) -> Counter:
    return Counter(a.status_code if a is not None else "no answer" for a in answers)


@pytest.fixture
def admin_token(users):
    token = factories.make_token(users["admin"])
    db.session.commit()
    return token


def test_twenty_clients_with_one_name_one_created(app, admin_token, users):
    answers = _post_together(
        app, admin_token, "/clients", [{"name": "Racing Ltd", "contacts": []}] * PARALLEL
    )
    assert _statuses(answers) == Counter({201: 1, 409: PARALLEL - 1})
    for answer in answers:
        if answer.status_code == 409:
            error = answer.get_json()["error"]
            assert error["code"] == "duplicate"
            assert error["details"] == {"name": "A client with this name already exists."}
    assert db.session.scalar(select(func.count(Client.id))) == 1


def test_twenty_clients_sharing_a_new_contact_all_link_that_person(app, admin_token, users):
    bodies = [
        {"name": f"Branch {n}", "contacts": [{"name": "Ada", "email": "ada@racing.test"}]}
        for n in range(PARALLEL)
    ]
    answers = _post_together(app, admin_token, "/clients", bodies)
    assert _statuses(answers) == Counter({201: PARALLEL})
    [ada] = db.session.scalars(select(User).where(User.email == "ada@racing.test")).all()
    linked = db.session.scalar(
        select(func.count(ClientContact.id)).where(ClientContact.user_id == ada.id)
    )
    assert linked == PARALLEL


def test_twenty_users_with_one_email_one_created(app, admin_token, users):
    body = {"email": "twin@racing.test", "name": "Twin", "role": "trainer", "locale": "fr"}
    answers = _post_together(app, admin_token, "/users", [body] * PARALLEL)
    assert _statuses(answers) == Counter({201: 1, 409: PARALLEL - 1})
    refused = next(a for a in answers if a.status_code == 409).get_json()["error"]
    assert refused["code"] == "duplicate"
    # The refusal is in the caller's language (the admin's profile says English).
    assert refused["details"] == {"email": "A user with this email already exists."}
    assert db.session.scalar(select(func.count(User.id)).where(User.email == body["email"])) == 1


def test_twenty_programs_with_one_name_one_created(app, admin_token, users):
    body = {"name": "Racing basics", "stages": [{"name": "Start", "order": 1}]}
    answers = _post_together(app, admin_token, "/training-programs", [body] * PARALLEL)
    assert _statuses(answers) == Counter({201: 1, 409: PARALLEL - 1})
    assert db.session.scalar(select(func.count(TrainingProgram.id))) == 1


def test_a_duplicate_is_answered_in_the_callers_language(api, users):
    users["admin"].locale = "tr"
    db.session.commit()
    caller = api(users["admin"])
    assert caller.post("/clients", json={"name": "Bir", "contacts": []}).status_code == 201
    again = caller.post("/clients", json={"name": "Bir", "contacts": []})
    assert again.status_code == 409
    assert again.get_json()["error"]["details"]["name"] == "Bu adla bir müşteri zaten var."


# --- the mapping itself, on whichever database runs the suite --------------------------------


def _violation(statement) -> IntegrityError:
    try:
        with db.session.begin_nested():
            db.session.execute(statement)
    except IntegrityError as exc:
        return exc
    raise AssertionError("no violation")


def test_constraint_names_are_read_on_this_database(org, users):
    db.session.flush()
    admin = users["admin"]
    exc = _violation(
        insert(User.__table__).values(
            id=uuid.uuid4(),
            organisation_id=org.id,
            email=admin.email,
            name="Twin",
            role="admin",
            locale="en",
            timezone="UTC",
            is_active=True,
        )
    )
    assert db_errors.constraint_name(exc) == "uq_users_email"
    error = db_errors.domain_error(exc)
    assert isinstance(error, Duplicate) and error.status == 409
    assert error.details == {"email": "A user with this email already exists."}


def test_an_undeclared_unique_constraint_names_its_field(org):
    db.session.flush()
    exc = _violation(
        insert(Organisation.__table__).values(id=uuid.uuid4(), name="Twin", slug=org.slug)
    )
    error = db_errors.domain_error(exc)
    assert isinstance(error, Duplicate)
    assert error.code == "duplicate"
    assert error.details == {"slug": "This already exists."}


class _DriverError(Exception):
    def __init__(self, sqlstate: str, message: str = "refused"):
        super().__init__(message)
        self.sqlstate = sqlstate


def test_an_exclusion_constraint_is_a_slot_unavailable(app):
    exc = IntegrityError("INSERT …", {}, _DriverError("23P01"))
    error = db_errors.domain_error(exc)
    assert isinstance(error, Conflict)
    assert (error.status, error.code) == (409, "slot_unavailable")


def test_a_declared_trigger_refusal_is_read_by_its_name(app):
    db_errors.answer_constraint(
        "things_no_overlap", field=None, message="Taken.", error=Conflict, code="slot_unavailable"
    )
    try:
        exc = IntegrityError("INSERT …", {}, Exception("things_no_overlap"))
        error = db_errors.domain_error(exc)
        assert (error.status, error.code, error.message) == (409, "slot_unavailable", "Taken.")
    finally:
        db_errors._ANSWERS.pop("things_no_overlap")


def test_a_fault_of_ours_stays_a_fault():
    assert db_errors.domain_error(ValueError("boom")) is None
    assert db_errors.domain_error(IntegrityError("x", {}, _DriverError("23502"))) is None


def _lost_race() -> OperationalError:
    return OperationalError("UPDATE …", {}, _DriverError("40P01"))


def test_a_lost_race_runs_once_more_then_is_a_409(app):
    calls = []

    def twice_lost():
        calls.append(1)
        if len(calls) == 1:
            raise _lost_race()
        return "done"

    assert db_errors.retry_once(twice_lost)() == "done"
    assert len(calls) == 2

    def always_lost():
        calls.append(1)
        raise _lost_race()

    calls.clear()
    with pytest.raises(OperationalError) as raised:
        db_errors.retry_once(always_lost)()
    assert len(calls) == 2
    error = db_errors.domain_error(raised.value)
    assert isinstance(error, InvalidTransition) and error.status == 409


def test_a_page_that_loses_twice_answers_409(app, login_as, monkeypatch):
    from portal.onboarding import views

    attempts = []

    def losing(*args, **kwargs):
        attempts.append(1)
        raise _lost_race()

    monkeypatch.setattr(views.queries, "list_requests", losing)
    coordinator = login_as("coordinator")
    answer = coordinator.get("/onboarding/requests")
    assert answer.status_code == 409
    assert len(attempts) == 2


def test_a_job_that_loses_once_is_run_again(app):
    from portal.queue.jobs import job

    calls = []

    @job
    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise _lost_race()
        return "ok"

    assert flaky() == "ok"
    assert len(calls) == 2


def test_a_job_that_violates_a_constraint_fails_with_its_answer(app, org, users):
    from portal.queue.jobs import job

    email = users["admin"].email
    org_id = org.id
    db.session.commit()

    @job
    def twin():
        db.session.add(
            User(organisation_id=org_id, email=email, name="Twin", role="admin", locale="en")
        )
        db.session.flush()

    with pytest.raises(Duplicate) as raised:
        twin()
    assert raised.value.details == {"email": "A user with this email already exists."}
