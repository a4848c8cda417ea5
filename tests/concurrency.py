"""Running steps in threads at the same moment, each in its own app context and transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable

from portal.extensions import db

Step = Callable[[Callable[[], None]], None]


def run_together(app, *steps: Step) -> list[BaseException | None]:
    """Run each step in its own thread. A step reads what it needs, then calls the `ready`
    function it is given: no step goes on before every step has. Each step's transaction is
    committed after it, or rolled back if it raised. Returns, in step order, None for a step
    that committed and the exception of one that raised (a TimeoutError for one that did
    not finish in time)."""
    all_ready = threading.Barrier(len(steps))
    outcomes: list[BaseException | None] = [TimeoutError("did not finish")] * len(steps)

    def run(index: int, step: Step) -> None:
        with app.app_context():
            try:
                step(lambda: all_ready.wait(timeout=30))
                db.session.commit()
                outcomes[index] = None
            except BaseException as exc:  # handed to the test
                db.session.rollback()
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes
