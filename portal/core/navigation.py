"""Navigation entries and home-page panels that each module registers for the roles it serves."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NavEntry:
    label: object  # a lazy string
    endpoint: str
    roles: tuple[str, ...]
    order: int = 50


@dataclass(frozen=True)
class HomePanel:
    template: str
    roles: tuple[str, ...]
    context: object  # callable(user) -> dict
    order: int = 50


@dataclass
class Registry:
    nav: list[NavEntry] = field(default_factory=list)
    panels: list[HomePanel] = field(default_factory=list)

    def add_nav(self, label, endpoint, roles, order=50):
        self.nav.append(NavEntry(label, endpoint, tuple(roles), order))

    def add_panel(self, template, roles, context, order=50):
        self.panels.append(HomePanel(template, tuple(roles), context, order))

    def nav_for(self, role: str) -> list[NavEntry]:
        return sorted((e for e in self.nav if role in e.roles), key=lambda e: e.order)

    def panels_for(self, role: str) -> list[HomePanel]:
        return sorted((p for p in self.panels if role in p.roles), key=lambda p: p.order)


registry = Registry()
