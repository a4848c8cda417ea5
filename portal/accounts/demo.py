"""Demo organisation and people of every role, from France, Turkey and elsewhere."""

from __future__ import annotations

from portal.accounts import services
from portal.demo import DEMO_PASSWORD, DemoWorld

PEOPLE = (
    # key, role, name, email, locale, timezone — the seed's people first
    ("admin", "admin", "Claire Dubois", "admin@parcours.test", "fr", "Europe/Paris"),
    ("coordinator", "coordinator", "Sophia Martin", "sophia@parcours.test", "en", "Europe/London"),
    ("coordinator_tr", "coordinator", "Elif Yılmaz", "elif@parcours.test", "tr", "Europe/Istanbul"),
    ("trainer", "trainer", "Tom Becker", "tom@parcours.test", "en", "Europe/London"),
    ("trainer_tr", "trainer", "Mehmet Öztürk", "mehmet@parcours.test", "tr", "Europe/Istanbul"),
    ("trainer_fr", "trainer", "Amélie Laurent", "amelie@parcours.test", "fr", "Europe/Paris"),
    ("learner", "learner", "John Smith", "john@abc-company.test", "en", "America/New_York"),
    (
        "learner_sarah",
        "learner",
        "Sarah Johnson",
        "sarah@abc-company.test",
        "en",
        "America/New_York",
    ),
    ("learner_mike", "learner", "Mike Brown", "mike@abc-company.test", "en", "America/Chicago"),
    ("learner_fr", "learner", "Lucas Moreau", "lucas@moreau-sarl.test", "fr", "Europe/Paris"),
    ("learner_tr", "learner", "Zeynep Kaya", "zeynep@kaya-lojistik.test", "tr", "Europe/Istanbul"),
    ("learner_jp", "learner", "Haruto Sato", "haruto@xyz-corp.test", "en", "Asia/Tokyo"),
)


def seed_people(world: DemoWorld) -> None:
    world.organisation = services.create_organisation("Parcours Formation", slug="parcours")
    for key, role, name, email, locale, timezone in PEOPLE:
        world.people[key] = services.create_user(
            world.organisation,
            email=email,
            name=name,
            role=role,
            password=DEMO_PASSWORD,
            locale=locale,
            timezone=timezone,
        )
        world.accounts.append((role, email, name))
    # A second organisation proves that nobody sees another organisation's data.
    other = services.create_organisation("Kuzey Akademi", slug="kuzey")
    services.create_user(
        other,
        email="admin@kuzey.test",
        name="Ayşe Demir",
        role="admin",
        password=DEMO_PASSWORD,
        locale="tr",
        timezone="Europe/Istanbul",
    )
    world.accounts.append(("admin", "admin@kuzey.test", "Ayşe Demir (Kuzey Akademi)"))
