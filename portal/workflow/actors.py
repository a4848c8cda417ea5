"""Who changes a status: a user, or the system acting on its own (workers, integrations)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    """Not a person. `kind` is what the history shows: system, crm, chatbot, partner."""

    kind: str = "system"
    id = None
    role = "system"
    organisation_id = None
    name = "system"
    is_system = True


SYSTEM = SystemActor()


def is_system(actor) -> bool:
    return getattr(actor, "is_system", False) is True


def actor_kind(actor) -> str:
    return actor.kind if is_system(actor) else "user"
