"""Demo: ABC Company and the seed's people, with requests in every state and in three languages."""

from __future__ import annotations

from datetime import timedelta

from portal.core.clock import utcnow
from portal.demo import DemoWorld
from portal.extensions import db
from portal.onboarding import services
from portal.workflow.engine import transition


def _contact(world, key, chat_id=None):
    person = world.people[key]
    return {"name": person.name, "email": person.email, "telegram_chat_id": chat_id}


def _session(world, request, order, start, *, attendees, now, **extra):
    stage = next(s for s in request.stages if s.order == order)
    values = {"location_type": "online", "meeting_link": "https://meet.example/parcours-crm"}
    values.update(extra)
    return services.create_session(
        request.current_assignment,
        stage,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        attendee_ids=[p.id for p in attendees],
        actor=request.current_assignment.trainer,
        now=now,
        **values,
    )


def _run(world, session, *, attended=(), absent=(), notes="", when=None):
    trainer = session.assignment.trainer
    when = when or session.starts_at
    transition(session, "in_progress", actor=trainer, now=when)
    for attendee in session.attendees:
        if attendee.user in attended:
            transition(attendee, "attended", actor=trainer, now=when + timedelta(minutes=5))
        elif attendee.user in absent:
            transition(
                attendee,
                "absent",
                actor=trainer,
                context={"notes": "No show"},
                now=when + timedelta(minutes=15),
            )
    transition(
        session,
        "completed",
        actor=trainer,
        context={"completion_notes": notes},
        now=when + timedelta(hours=2),
    )


def seed_onboarding(world: DemoWorld) -> None:
    org, p = world.organisation, world.people
    admin, sophia, elif_, tom = p["admin"], p["coordinator"], p["coordinator_tr"], p["trainer"]
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    day = timedelta(days=1)

    crm = services.create_program(
        org,
        name="CRM system",
        actor=admin,
        stages=[
            {"name": "Initial Setup", "order": 1},
            {"name": "Basic Features", "order": 2},
            {"name": "Advanced Features", "order": 3},
        ],
    )
    caisse = services.create_program(
        org,
        name="Logiciel de caisse",
        actor=admin,
        stages=[{"name": "Installation", "order": 1}, {"name": "Ventes et retours", "order": 2}],
    )
    erp = services.create_program(
        org,
        name="ERP temelleri",
        actor=admin,
        stages=[
            {"name": "Kurulum", "order": 1},
            {"name": "Stok yönetimi", "order": 2},
            {"name": "Raporlama", "order": 3},
        ],
    )

    abc = services.create_client(
        org,
        name="ABC Company",
        actor=sophia,
        contacts=[
            _contact(world, "learner", "100200300"),
            _contact(world, "learner_sarah", "100200301"),
            _contact(world, "learner_mike"),
        ],
    )
    moreau = services.create_client(
        org,
        name="Boulangerie Moreau SARL",
        actor=sophia,
        contacts=[_contact(world, "learner_fr", "100200302")],
    )
    kaya = services.create_client(
        org, name="Kaya Lojistik A.Ş.", actor=elif_, contacts=[_contact(world, "learner_tr")]
    )
    xyz = services.create_client(
        org, name="XYZ Corp", actor=sophia, contacts=[_contact(world, "learner_jp", "100200304")]
    )
    john, sarah, mike = p["learner"], p["learner_sarah"], p["learner_mike"]

    # 1. Completed: the seed's standard flow, a month ago.
    start = now - 40 * day
    done = services.create_request(org, client=abc, program=crm, actor=sophia, now=start)
    services.assign_trainer(done, tom, actor=sophia, now=start + day)
    transition(done.current_assignment, "accepted", actor=tom, now=start + day)
    for order in (1, 2, 3):
        s = _session(
            world,
            done,
            order,
            start + (3 + 5 * order) * day,
            attendees=[john, sarah],
            now=start + 2 * day,
        )
        _run(world, s, attended=[john, sarah], notes="Covered every step of the stage.")

    # 2. In progress: stage 1 done, stage 2 scheduled this week (with a no-show and a makeup).
    start = now - 10 * day
    live = services.create_request(
        org, client=abc, program=crm, priority="high", actor=sophia, now=start
    )
    services.assign_trainer(live, tom, actor=sophia, now=start)
    transition(live.current_assignment, "accepted", actor=tom, now=start + day)
    first = _session(
        world,
        live,
        1,
        now - 5 * day,
        attendees=[john, sarah, mike],
        now=start,
        location_type="hybrid",
        physical_location="ABC Company Office, Room A",
    )
    _run(
        world,
        first,
        attended=[john, sarah],
        absent=[mike],
        notes="Mike did not attend; makeup planned.",
    )
    _session(world, live, 1, now + 2 * day, attendees=[mike], now=now - day, is_makeup=True)
    _session(world, live, 2, now + 3 * day, attendees=[john, sarah], now=now - day)

    # 3. Assigned, waiting for the trainer to accept (French client, French trainer).
    waiting = services.create_request(
        org, client=moreau, program=caisse, actor=sophia, now=now - 2 * day
    )
    services.assign_trainer(waiting, p["trainer_fr"], actor=sophia, now=now - day)

    # 4. Pending after a rejection (Turkish client and coordinator).
    bounced = services.create_request(org, client=kaya, program=erp, actor=elif_, now=now - 3 * day)
    services.assign_trainer(bounced, p["trainer_tr"], actor=elif_, now=now - 3 * day)
    transition(
        bounced.current_assignment,
        "rejected",
        actor=p["trainer_tr"],
        context={"rejection_reason": "Bu ay çok yoğunum, 1 Mart'tan sonra uygunum."},
        now=now - 2 * day,
    )

    # 5. Urgent and unassigned: XYZ Corp.
    services.create_request(
        org, client=xyz, program=crm, priority="urgent", actor=sophia, now=now - timedelta(hours=4)
    )

    # 6. Cancelled by sales after one session.
    start = now - 20 * day
    stopped = services.create_request(
        org, client=moreau, program=crm, priority="low", actor=sophia, now=start
    )
    services.assign_trainer(stopped, p["trainer_fr"], actor=sophia, now=start)
    transition(stopped.current_assignment, "accepted", actor=p["trainer_fr"], now=start)
    s = _session(world, stopped, 1, start + 3 * day, attendees=[p["learner_fr"]], now=start)
    _run(world, s, attended=[p["learner_fr"]], notes="Installation terminée.")
    _session(world, stopped, 2, now + 5 * day, attendees=[p["learner_fr"]], now=start + 4 * day)
    services.cancel_request(
        stopped, reason="Le client ne souhaite pas poursuivre.", actor=sophia, now=start + 6 * day
    )

    # 7. Completed with a skipped stage (Scenario 6).
    start = now - 30 * day
    short = services.create_request(org, client=kaya, program=erp, actor=elif_, now=start)
    services.assign_trainer(short, p["trainer_tr"], actor=elif_, now=start)
    transition(short.current_assignment, "accepted", actor=p["trainer_tr"], now=start)
    for order in (1, 2):
        s = _session(
            world,
            short,
            order,
            start + (2 + 3 * order) * day,
            attendees=[p["learner_tr"]],
            now=start,
            location_type="onsite",
            meeting_link=None,
            physical_location="Kaya Lojistik, İzmir",
        )
        _run(world, s, attended=[p["learner_tr"]], notes="Tamamlandı.")
    stage = next(s for s in short.stages if s.order == 3)
    transition(
        stage,
        "skipped",
        actor=p["trainer_tr"],
        context={"notes": "Müşteri raporlama modülünü kullanmayacak."},
        now=start + 12 * day,
    )
    db.session.flush()
