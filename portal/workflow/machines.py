"""Declaring status machines: states, transitions with the roles allowed, guards and effects.

Modules declare their machines in `states.py`; the registry lets the engine, the generic
status API and the admin diagrams find them by model or by API collection name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

SYSTEM_ROLE = "system"


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    roles: tuple[str, ...]  # may include "system"
    guards: tuple[Callable, ...] = ()
    effects: tuple[Callable, ...] = ()
    label: object = None  # a lazy string shown on buttons and diagrams


@dataclass
class Machine:
    name: str  # e.g. "onboarding_request"; also the event prefix and history entity type
    model: type
    states: dict[str, object]  # state -> lazy label, in display order
    transitions: list[Transition]
    collection: str | None = None  # API collection, e.g. "onboarding-requests"
    status_attr: str = "status"
    initial: str | None = None
    timestamps: dict[str, str] = field(default_factory=dict)  # state -> column set on entry
    terminal: tuple[str, ...] = ()
    # visible(actor, entity) -> bool: whether the actor may see the entity at all (else 404).
    visible: Callable | None = None
    # may_act(actor, entity) -> bool: object-level permission on top of the role (else 403).
    may_act: Callable | None = None
    title: object = None
    # Loader options applied when the status API fetches an entity: what the access checks,
    # guards and notifications read, fetched in the same round trip.
    load: tuple = ()
    # describe(entity) -> str: which item this is, for people (a request's code and client);
    # describe_load: what it reads, so that a page of items is described in one query.
    describe: Callable | None = None
    describe_load: tuple = ()
    # page(entity) -> str | None: the address of the item's own page.
    page: Callable | None = None
    # Context keys only the services and cascades write (a take-back, a reschedule's new
    # session): guards and handlers trust them, so a caller of the status API may not send them.
    system_context: frozenset[str] = frozenset()
    # lock(attempt): lock the rows the guards read (portal.core.locks.lock) before they run,
    # so what a guard checked is still true when the change commits.
    lock: Callable | None = None

    def __post_init__(self):
        for t in self.transitions:
            for state in (t.source, t.target):
                if state not in self.states:
                    raise ValueError(f"{self.name}: unknown state {state!r}")
        if self.initial is None:
            self.initial = next(iter(self.states))

    def find(self, source: str | None, target: str) -> Transition | None:
        for t in self.transitions:
            if t.source == source and t.target == target:
                return t
        return None

    def roles_reaching(self, target: str) -> set[str]:
        return {role for t in self.transitions if t.target == target for role in t.roles}

    def allowed_from(self, source: str, role: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == source and role in t.roles]


_BY_NAME: dict[str, Machine] = {}
_BY_MODEL: dict[type, Machine] = {}
_BY_COLLECTION: dict[str, Machine] = {}


def system_context_keys() -> frozenset[str]:
    """Every context key a machine reserves for its services and cascades: none may come from
    a caller, whatever the item (a handler or a timeline could read it on any change)."""
    return frozenset().union(*(m.system_context for m in _BY_NAME.values()))


def register(machine: Machine) -> Machine:
    _BY_NAME[machine.name] = machine
    _BY_MODEL[machine.model] = machine
    if machine.collection:
        _BY_COLLECTION[machine.collection] = machine
    return machine


def unregister(machine: Machine) -> None:
    _BY_NAME.pop(machine.name, None)
    _BY_MODEL.pop(machine.model, None)
    if machine.collection:
        _BY_COLLECTION.pop(machine.collection, None)


def machine_for(entity) -> Machine:
    for cls in type(entity).__mro__:
        if cls in _BY_MODEL:
            return _BY_MODEL[cls]
    raise LookupError(f"no status machine for {type(entity).__name__}")


def by_name(name: str) -> Machine | None:
    return _BY_NAME.get(name)


def by_collection(collection: str) -> Machine | None:
    return _BY_COLLECTION.get(collection)


def all_machines() -> list[Machine]:
    return sorted(_BY_NAME.values(), key=lambda m: m.name)


def status_label(machine_name: str, state: str | None) -> str:
    """The translated label of a state, for history lists (the raw name if unknown)."""
    machine = _BY_NAME.get(machine_name)
    if machine is None or state is None:
        return state or ""
    return str(machine.states.get(state, state))
