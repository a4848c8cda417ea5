"""Builds benchmark data through the services, in the environment the benchmark set up.

python bench/prepare.py assignments N IDS_FILE   # N requests assigned to one trainer
                                                 # (their stage ids in IDS_FILE.stages)
python bench/prepare.py messages N               # N outbound emails, queued after commit
python bench/prepare.py noops N                  # N RQ no-op jobs on the messages queue
"""

from __future__ import annotations

import sys

from portal import create_app, queue
from portal.extensions import db


def assignments(count: int, ids_file: str) -> None:
    from portal.accounts import services as accounts
    from portal.onboarding import services

    org = accounts.create_organisation("Bench")
    admin = accounts.create_user(
        org, email="a@bench.test", name="A", role="admin", password="bench-password"
    )
    sophia = accounts.create_user(
        org, email="sophia@bench.test", name="Sophia", role="coordinator", password="bench-password"
    )
    tom = accounts.create_user(
        org, email="tom@bench.test", name="Tom", role="trainer", password="bench-password"
    )
    program = services.create_program(
        org,
        name="CRM",
        actor=admin,
        stages=[{"name": "Setup", "order": 1}, {"name": "Basics", "order": 2}],
    )
    client = services.create_client(org, name="ABC", actor=sophia, contacts=[])
    ids, stages = [], []
    for n in range(count):
        request = services.create_request(org, client=client, program=program, actor=sophia)
        ids.append(str(services.assign_trainer(request, tom, actor=sophia).id))
        stages.extend(str(stage.id) for stage in request.stages)
        if n % 500 == 499:
            db.session.commit()
    db.session.commit()
    with open(ids_file, "w") as out:
        out.write("\n".join(ids) + "\n")
    with open(ids_file + ".stages", "w") as out:
        out.write("\n".join(stages) + "\n")


def messages(count: int) -> None:
    from portal.messaging.services import queue_message

    for n in range(count):
        queue_message(
            channel="email",
            message_type="notification",
            address=f"p{n}@bench.test",
            context={"title": "Bench", "body": "A message.", "link": "/"},
        )
        if n % 200 == 199:
            db.session.commit()
    db.session.commit()


def noops(count: int) -> None:
    target = queue.get_queue("messages")
    for _ in range(count):
        target.enqueue("worker.jobs.maintenance.noop", result_ttl=0)


if __name__ == "__main__":
    kind, count = sys.argv[1], int(sys.argv[2])
    app = create_app()
    with app.app_context():
        if kind == "assignments":
            assignments(count, sys.argv[3])
        elif kind == "messages":
            messages(count)
        else:
            noops(count)
