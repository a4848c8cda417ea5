"""Feature modules plug in at one place: the `MODULE` their package's `__init__.py` declares.

`create_app` registers their blueprints and imports what registers their API endpoints,
machines and event handlers; the demo runs their seeders; the worker's schedule enqueues their
periodic jobs; message rendering names their message types; monitoring will list their stuck
items. None of these name a module: adding one edits nothing outside its package, its
templates, its migration and the catalogs.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import Flask


@dataclass(frozen=True)
class Periodic:
    """A job enqueued once per interval, whatever the number of workers."""

    job_name: str  # dotted path of the job function
    every_seconds: int
    queue: str = "default"


@dataclass(frozen=True)
class Module:
    name: str
    # Registration and demo order: a module comes after those it builds on.
    order: int = 50
    # Modules imported for what they register: API endpoints, status machines, event handlers,
    # navigation entries and home panels, inbound-message handlers.
    imports: tuple[str, ...] = ()
    # "package.module:attribute" of each Flask blueprint.
    blueprints: tuple[str, ...] = ()
    # "package.module:function" of the demo seeder, called with the shared DemoWorld.
    demo: str | None = None
    periodic: tuple[Periodic, ...] = ()
    # Message type → what the admin pages call it (templates/messages/<type>.html).
    message_types: Mapping[str, object] = field(default_factory=dict)
    # Kinds of stuck item, read by monitoring.
    stuck: tuple = ()


def _package_names() -> list[str]:
    import portal

    return sorted(info.name for info in pkgutil.iter_modules(portal.__path__) if info.ispkg)


@functools.cache
def all_modules() -> tuple[Module, ...]:
    """Every package of `portal` that declares a MODULE, in their order (found once per
    process; `all_modules.cache_clear()` looks again)."""
    found = []
    for name in _package_names():
        declared = getattr(importlib.import_module(f"portal.{name}"), "MODULE", None)
        if isinstance(declared, Module):
            found.append(declared)
    return tuple(sorted(found, key=lambda module: (module.order, module.name)))


def resolve(target: str) -> object:
    """The object a "package.module:attribute" string names."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def register_all(app: Flask) -> tuple[Module, ...]:
    """Import what each module registers, then register its blueprints on `app`."""
    modules = all_modules()
    for module in modules:
        for name in module.imports:
            importlib.import_module(name)
    for module in modules:
        for target in module.blueprints:
            app.register_blueprint(resolve(target))
    app.extensions["portal_modules"] = modules
    return modules


def seeders() -> list[Callable]:
    return [resolve(module.demo) for module in all_modules() if module.demo]


def periodic_jobs() -> list[Periodic]:
    return [entry for module in all_modules() for entry in module.periodic]


def message_types() -> dict[str, object]:
    return {name: label for module in all_modules() for name, label in module.message_types.items()}
