"""Telegram is linked, not claimed: a person connects their chat through a one-time deep link
(`https://t.me/<bot>?start=<token>`, the bot's /start binds the chat it comes from), never by
typing a chat id; one chat belongs to one person in the whole product. The attack this closes:
a learner of another organisation put John's chat id on their profile, and John's "yes" then
confirmed that learner's session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts import telegram_links
from portal.accounts.models import TelegramLinkToken, User
from portal.core.clock import utcnow
from portal.core.errors import ValidationError
from portal.extensions import db
from portal.messaging.models import OutboundMessage
from portal.messaging.services import address_of
from portal.onboarding import services
from portal.onboarding.models import SessionAttendee
from portal.workflow.engine import transition
from tests.concurrency import run_together
from tests.conftest import login
from tests.factories import PASSWORD, make_user
from tests.fakes import FakeApi
from tests.onboarding.conftest import at

FUTURE = datetime(2030, 2, 20, 9, tzinfo=UTC)  # "yes" confirms sessions still ahead
TAKEN = "This Telegram chat is already linked to another person."


@pytest.fixture
def bot_api(app, monkeypatch):
    """The local stand-in for the Telegram Bot API: sendMessage calls land here."""
    fake = FakeApi().start()
    monkeypatch.setitem(app.config, "TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setitem(app.config, "TELEGRAM_API_BASE", fake.url)
    yield fake
    fake.stop()


def _sent(bot_api) -> list[tuple[str, str]]:
    return [(r.json()["chat_id"], r.json()["text"]) for r in bot_api.requests]


def _answers(chat_id: str) -> list[OutboundMessage]:
    return list(
        db.session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.recipient_address == chat_id)
            .order_by(OutboundMessage.created_at)
        )
    )


def _link(api, person) -> dict:
    response = api(person).post("/me/telegram-link")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def nadia(other_org):
    """A coordinator of another organisation."""
    return make_user(other_org, "coordinator", name="Nadia")


@pytest.fixture
def eve(other_org, nadia):
    """A learner of Nadia's organisation, invited to a session of her own that starts before
    John's: the session John's "yes" confirmed when she could claim his chat id."""
    admin = make_user(other_org, "admin")

    trainer = make_user(other_org, "trainer")
    program = services.create_program(
        other_org, name="ERP", actor=admin, stages=[{"name": "Start", "order": 1}]
    )
    client = services.create_client(
        other_org,
        name="Eve Ltd",
        actor=nadia,
        contacts=[{"name": "Eve", "email": "eve@eve.example", "locale": "fr"}],
    )
    person = client.contacts[0].user
    accounts.set_password(person, PASSWORD)
    request = services.create_request(
        other_org, client=client, program=program, actor=nadia, now=at(16)
    )
    assignment = services.assign_trainer(request, trainer, actor=nadia, now=at(17))
    transition(assignment, "accepted", actor=trainer, now=at(17, 10))
    services.create_session(
        assignment,
        request.stages[0],
        starts_at=FUTURE - timedelta(days=10),
        ends_at=FUTURE - timedelta(days=10) + timedelta(hours=2),
        location_type="online",
        meeting_link="https://zoom.us/j/777",
        attendee_ids=[person.id],
        actor=trainer,
        now=at(17, 15),
    )
    db.session.commit()
    return person


def _invitation(person) -> SessionAttendee:
    return db.session.scalar(select(SessionAttendee).where(SessionAttendee.user_id == person.id))


# --- the deep link -------------------------------------------------------------------------------


def test_deep_link_binds_the_chat_and_the_bot_answers_in_the_persons_language(
    app, world, api, telegram_webhook, bot_api, run_jobs
):
    mike = world.mike
    accounts.update_profile(mike, locale="tr")
    db.session.commit()
    link = _link(api, mike)
    token = link["start_token"]
    assert link["url"] == f"https://t.me/{app.config['TELEGRAM_BOT_USERNAME']}?start={token}"
    assert len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()
    expires = datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=14) < expires - utcnow() <= timedelta(minutes=15)
    # Only a hash is kept.
    assert db.session.scalar(select(TelegramLinkToken.token_hash)) != token

    assert telegram_webhook(401, "3003", f"/start {token}").status_code == 200
    db.session.expire_all()
    assert mike.telegram_chat_id == "3003"
    run_jobs()
    [(chat, text)] = _sent(bot_api)
    assert chat == "3003"
    assert "Parcours hesabınıza bağlandı" in text and "Mike" in text
    [answer] = _answers("3003")
    assert (answer.message_type, answer.recipient_user_id, answer.status) == (
        "telegram_linked",
        mike.id,
        "delivered",
    )

    # Used once: the same link from another chat links nothing and says why, in Turkish.
    telegram_webhook(402, "3004", f"/start {token}")
    db.session.expire_all()
    assert mike.telegram_chat_id == "3003"
    assert db.session.scalar(select(User.id).where(User.telegram_chat_id == "3004")) is None
    run_jobs()
    assert _sent(bot_api)[1][0] == "3004"
    assert "süresi dolmuş ya da kullanılmış" in _sent(bot_api)[1][1]
    assert _answers("3004")[0].recipient_user_id is None  # the chat is nobody's
    # Session messages now reach Mike on Telegram.
    assert address_of(mike, "telegram") == "3003"


def test_an_expired_or_unknown_token_links_nothing(world, telegram_webhook, run_jobs):
    sarah = world.sarah  # French
    _row, token = telegram_links.issue_link(
        sarah, now=utcnow() - telegram_links.LINK_LIFETIME - timedelta(seconds=1)
    )
    db.session.commit()
    telegram_webhook(411, "5005", f"/start {token}")
    telegram_webhook(412, "5006", "/start not-a-token")
    db.session.expire_all()
    assert sarah.telegram_chat_id == "1002"
    [expired] = _answers("5005")
    assert expired.message_type == "telegram_link_invalid"
    assert expired.locale == "fr" and "a expiré ou a déjà servi" in expired.content
    [unknown] = _answers("5006")
    assert unknown.message_type == "telegram_link_invalid" and unknown.locale == "en"
    assert unknown.organisation_id is None


def test_a_new_link_replaces_the_unused_one(world, api, telegram_webhook):
    first = _link(api, world.mike)["start_token"]
    second = _link(api, world.mike)["start_token"]
    assert len(db.session.scalars(select(TelegramLinkToken)).all()) == 1
    telegram_webhook(421, "6006", f"/start {first}")
    db.session.expire_all()
    assert world.mike.telegram_chat_id is None
    telegram_webhook(422, "6006", f"/start@ParcoursDemoBot {second}")
    db.session.expire_all()
    assert world.mike.telegram_chat_id == "6006"


def test_plain_start_explains_how_to_link(world, telegram_webhook):
    from portal.messaging.models import InboundUpdate

    telegram_webhook(431, "7007", "/start")
    [help_text] = _answers("7007")
    assert help_text.message_type == "telegram_start" and help_text.recipient_user_id is None
    assert "press Connect Telegram" in help_text.content
    assert db.session.scalar(
        select(InboundUpdate.handled_by).where(InboundUpdate.external_id == "431")
    ) == ("accounts.telegram_start")
    telegram_webhook(432, world.sarah.telegram_chat_id, "/start")
    [hello] = _answers(world.sarah.telegram_chat_id)
    assert hello.recipient_user_id == world.sarah.id and hello.locale == "fr"
    assert "Sarah" in hello.content


def test_a_chat_linked_to_someone_else_is_refused_without_naming_them(
    world, eve, api, telegram_webhook
):
    """Eve's link opened in John's Telegram (a link passed on, a borrowed phone): John's chat
    stays John's, the answer names nobody, and Eve's link still works from her own chat."""
    token = _link(api, eve)["start_token"]
    telegram_webhook(441, "1001", f"/start {token}")
    db.session.expire_all()
    assert world.john.telegram_chat_id == "1001" and eve.telegram_chat_id is None
    [refusal] = _answers("1001")
    assert refusal.message_type == "telegram_link_taken"
    assert "Eve" not in refusal.content and "John" not in refusal.content
    assert "already linked to another Parcours account" in refusal.content
    telegram_webhook(442, "8008", f"/start {token}")
    db.session.expire_all()
    assert eve.telegram_chat_id == "8008"


def test_unlink_by_the_api(world, api, telegram_webhook):
    john = world.john
    token = _link(api, john)["start_token"]  # asked for, then changed his mind
    response = api(john).delete("/me/telegram-link")
    assert response.status_code == 200
    assert response.get_json()["telegram_chat_id"] is None
    db.session.expire_all()
    assert john.telegram_chat_id is None
    telegram_webhook(451, "9009", f"/start {token}")  # the link is void
    db.session.expire_all()
    assert john.telegram_chat_id is None
    # The chat is free again: another person can link it.
    telegram_webhook(452, "1001", f"/start {_link(api, world.mike)['start_token']}")
    db.session.expire_all()
    assert world.mike.telegram_chat_id == "1001"


# --- the profile page ----------------------------------------------------------------------------


def test_profile_connects_and_unlinks_telegram_in_place(app, world, telegram_webhook):
    browser = login(app.test_client(), world.mike)
    page = browser.get("/profile").get_data(as_text=True)
    assert "Not linked" in page and "Connect Telegram" in page
    assert 'name="telegram_chat_id"' not in page

    shown = browser.post_form("/profile/telegram", htmx=True)
    assert shown.status_code == 201
    block = shown.get_data(as_text=True)
    assert block.lstrip().startswith('<div id="telegram-link">') and "<html" not in block
    link = db.session.scalar(select(TelegramLinkToken))
    assert f"https://t.me/{app.config['TELEGRAM_BOT_USERNAME']}?start=" in block
    token = block.split("?start=", 1)[1].split('"', 1)[0]
    poll = f"/profile/telegram?waiting={link.id}"
    assert poll in block

    # Nothing happened yet: the poll leaves the link on screen.
    assert browser.get(poll, headers={"HX-Request": "true"}).status_code == 204
    telegram_webhook(461, "3131", f"/start {token}")
    linked = browser.get(poll, headers={"HX-Request": "true"})
    assert linked.status_code == 200
    linked_block = linked.get_data(as_text=True)
    assert "Your Telegram is linked." in linked_block and "Unlink" in linked_block

    unlinked = browser.post_form("/profile/telegram/unlink", htmx=True)
    assert unlinked.status_code == 200
    assert "Not linked" in unlinked.get_data(as_text=True)
    db.session.expire_all()
    assert world.mike.telegram_chat_id is None


def test_profile_says_in_place_when_the_link_expired(app, world):
    browser = login(app.test_client(), world.mike)
    row, _token = telegram_links.issue_link(world.mike, now=utcnow() - timedelta(minutes=16))
    db.session.commit()
    answer = browser.get(f"/profile/telegram?waiting={row.id}", headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert "The link has expired" in answer.get_data(as_text=True)


def test_profile_block_is_translated(app, world):
    accounts.update_profile(world.sarah, locale="fr")
    db.session.commit()
    browser = login(app.test_client(), world.sarah)
    page = browser.get("/profile").get_data(as_text=True)
    assert "Lié" in page and "Délier" in page


# --- the attack, and staff entering a contact's chat id ------------------------------------------


def test_another_organisations_learner_cannot_claim_johns_chat(
    app, world, eve, nadia, api, telegram_webhook
):
    request, _assignment = world.accepted()
    world.session(
        request, 1, attendees=[world.john], starts_at=FUTURE, ends_at=FUTURE + timedelta(hours=2)
    )

    # By the API: 422 naming the field, nothing written.
    refused = api(eve).patch("/me", json={"telegram_chat_id": "1001"})
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["details"]) == {"telegram_chat_id"}
    # By the profile form (the field is gone; a forged one is refused in place).
    browser = login(app.test_client(), eve)
    form = {"name": "Eve", "locale": "fr", "timezone": "Europe/Paris", "telegram_chat_id": "1001"}
    page = browser.post_form("/profile", form, htmx=True)
    assert page.status_code == 422
    assert "Connectez Telegram depuis votre profil" in page.get_data(as_text=True)
    # By her organisation's staff, adding her again as a contact with John's chat id.
    with pytest.raises(ValidationError) as refusal:
        services.create_client(
            eve.organisation,
            name="Eve again",
            actor=nadia,
            contacts=[{"name": "Eve", "email": eve.email, "telegram_chat_id": "1001"}],
        )
    assert refusal.value.details == {"contacts.0.telegram_chat_id": TAKEN}
    db.session.rollback()
    db.session.expire_all()
    assert eve.telegram_chat_id is None
    assert db.session.scalars(select(User.id).where(User.telegram_chat_id == "1001")).all() == [
        world.john.id
    ]

    # John's "yes" confirms John's session, and only his.
    assert telegram_webhook(471, "1001", "yes").status_code == 200
    db.session.expire_all()
    assert _invitation(world.john).attendance_status == "confirmed"
    assert _invitation(eve).attendance_status == "invited"


def test_staff_cannot_give_a_contact_a_chat_linked_to_someone_else(world, eve, nadia, api):
    answer = api(nadia).post(
        "/clients",
        json={
            "name": "Globex",
            "contacts": [
                {"name": "Hank", "email": "hank@globex.example", "telegram_chat_id": "1001"}
            ],
        },
    )
    assert answer.status_code == 422
    error = answer.get_json()["error"]
    assert error["details"] == {"contacts.0.telegram_chat_id": TAKEN}
    assert "John" not in str(error)
    assert db.session.scalar(select(User.id).where(User.email == "hank@globex.example")) is None
    # A free chat id is still the staff's to give, as the seed does.
    given = api(nadia).post(
        "/clients",
        json={
            "name": "Globex",
            "contacts": [
                {"name": "Hank", "email": "hank@globex.example", "telegram_chat_id": "1212"}
            ],
        },
    )
    assert given.status_code == 201
    assert given.get_json()["contacts"][0]["telegram_chat_id"] == "1212"
    # Two contacts of one client with the same chat id: the second is refused.
    twice = api(nadia).post(
        "/clients",
        json={
            "name": "Initech",
            "contacts": [
                {"name": "Peter", "email": "peter@initech.example", "telegram_chat_id": "1313"},
                {"name": "Bill", "email": "bill@initech.example", "telegram_chat_id": "1313"},
            ],
        },
    )
    assert twice.status_code == 422
    assert set(twice.get_json()["error"]["details"]) == {"contacts.1.telegram_chat_id"}


def test_an_admin_cannot_create_a_user_with_a_chat_linked_to_someone_else(world, eve, api):
    admin = make_user(eve.organisation, "admin")
    answer = api(admin).post(
        "/users",
        json={"email": "x@eve.example", "name": "X", "role": "trainer", "telegram_chat_id": "1001"},
    )
    assert answer.status_code == 422
    assert answer.get_json()["error"]["details"] == {"telegram_chat_id": TAKEN}


def test_a_contact_already_known_gets_a_free_chat_id_not_a_taken_one(world, eve, nadia):
    """A contact whose email is already a person of the organisation is linked, and given the
    chat id only when they have none and nobody else has it."""
    eve.telegram_chat_id = None
    db.session.commit()
    with pytest.raises(ValidationError) as refusal:
        services.create_client(
            eve.organisation,
            name="Eve Two",
            actor=nadia,
            contacts=[{"name": "Eve", "email": eve.email, "telegram_chat_id": "1002"}],
        )
    assert refusal.value.details == {"contacts.0.telegram_chat_id": TAKEN}
    db.session.rollback()
    services.create_client(
        eve.organisation,
        name="Eve Two",
        actor=nadia,
        contacts=[{"name": "Eve", "email": eve.email, "telegram_chat_id": "1414"}],
    )
    db.session.commit()
    db.session.expire_all()
    assert eve.telegram_chat_id == "1414"


# --- two at once ---------------------------------------------------------------------------------


def test_a_chat_linked_between_the_check_and_the_write_is_refused_not_a_500(
    world, eve, api, telegram_webhook, monkeypatch
):
    """The /start found the chat free, then someone else's link took it (what the check of a
    simultaneous update cannot see): the unique constraint refuses it, the savepoint keeps the
    update's record, the link stays unspent and the chat is told it is taken."""
    token = _link(api, eve)["start_token"]
    monkeypatch.setattr(telegram_links, "chat_owner", lambda chat_id: None)
    assert telegram_webhook(481, "1001", f"/start {token}").status_code == 200
    db.session.expire_all()
    assert eve.telegram_chat_id is None and world.john.telegram_chat_id == "1001"
    assert [m.message_type for m in _answers("1001")] == ["telegram_link_taken"]
    row = db.session.scalar(select(TelegramLinkToken).where(TelegramLinkToken.user_id == eve.id))
    assert row.used_at is None


@pytest.fixture
def overlapping(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writing transactions (BEGIN IMMEDIATE)")


def test_two_clients_with_one_new_chat_id_at_once(app, world, nadia, overlapping):
    ids = {"home": (world.org.id, world.sophia.id), "other": (nadia.organisation_id, nadia.id)}
    db.session.commit()

    def create(key):
        def step(ready) -> None:
            from portal.accounts.models import Organisation

            org_id, actor_id = ids[key]
            org, actor = db.session.get(Organisation, org_id), db.session.get(User, actor_id)
            ready()
            services.create_client(
                org,
                name=f"Client {key}",
                actor=actor,
                contacts=[
                    {"name": key, "email": f"{key}@race.example", "telegram_chat_id": "4242"}
                ],
            )

        return step

    outcomes = run_together(app, create("home"), create("other"))
    assert outcomes.count(None) == 1, outcomes
    [refused] = [o for o in outcomes if o is not None]
    assert isinstance(refused, ValidationError)
    assert refused.details == {"contacts.0.telegram_chat_id": TAKEN}
    assert len(db.session.scalars(select(User).where(User.telegram_chat_id == "4242")).all()) == 1


def test_two_people_linking_one_chat_at_once(app, world, eve, overlapping):
    tokens = {}
    for person in (world.mike, eve):
        _row, tokens[person.id] = telegram_links.issue_link(person)
    db.session.commit()
    results = {}

    def link(person_id):
        def step(ready) -> None:
            ready()
            results[person_id] = telegram_links.link_chat(tokens[person_id], "5151")[0]

        return step

    outcomes = run_together(app, *(link(person_id) for person_id in tokens))
    assert outcomes == [None, None]
    assert sorted(results.values()) == [telegram_links.LINKED, telegram_links.TAKEN]
    assert len(db.session.scalars(select(User).where(User.telegram_chat_id == "5151")).all()) == 1


def test_one_link_used_from_two_chats_at_once(app, world, overlapping):
    _row, token = telegram_links.issue_link(world.mike)
    db.session.commit()
    results = []

    def link(chat_id):
        def step(ready) -> None:
            ready()
            results.append(telegram_links.link_chat(token, chat_id)[0])

        return step

    assert run_together(app, link("6161"), link("6262")) == [None, None]
    assert sorted(results) == [telegram_links.INVALID, telegram_links.LINKED]
    db.session.expire_all()
    assert world.mike.telegram_chat_id in {"6161", "6262"}


@pytest.mark.parametrize("role", [None, "admin", "coordinator", "trainer", "learner"])
def test_every_role_links_its_own_telegram_and_nobody_else_can(app, users, api, role):
    """Everyone with an account links their own chat, by the API and the profile; without one,
    the API answers 401 and the pages send to the login page."""
    browser = app.test_client()
    caller = api(users[role]) if role else api()
    if role:
        login(browser, users[role])
    created = caller.post("/me/telegram-link")
    unlinked = caller.delete("/me/telegram-link")
    shown = browser.post_form("/profile/telegram", htmx=True) if role else None
    if role is None:
        assert (created.status_code, unlinked.status_code) == (401, 401)
        for method, path in (("GET", "/profile/telegram"), ("POST", "/profile/telegram/unlink")):
            answer = browser.open(path, method=method)
            assert answer.status_code in (302, 400), (method, path, answer.status_code)
        assert db.session.scalar(select(TelegramLinkToken.id)) is None
        return
    assert created.status_code == 201 and unlinked.status_code == 200
    assert shown.status_code == 201
    assert list(db.session.scalars(select(TelegramLinkToken.user_id))) == [users[role].id]
    assert browser.get("/profile/telegram").status_code == 200
    assert browser.post_form("/profile/telegram/unlink", htmx=True).status_code == 200
    assert db.session.scalar(select(TelegramLinkToken.id)) is None
