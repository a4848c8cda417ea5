"""Laying out a machine as an SVG diagram: states in columns by distance from the initial one."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from markupsafe import Markup, escape

from portal.workflow.machines import Machine

BOX_W, BOX_H = 150, 40
COL_GAP, ROW_GAP = 90, 34
MARGIN = 20


@dataclass(frozen=True)
class Box:
    state: str
    x: int
    y: int


def layout(machine: Machine) -> dict[str, Box]:
    depth = {machine.initial: 0}
    todo = deque([machine.initial])
    while todo:
        state = todo.popleft()
        for t in machine.transitions:
            if t.source == state and t.target not in depth:
                depth[t.target] = depth[state] + 1
                todo.append(t.target)
    last = max(depth.values(), default=0)
    for state in machine.states:  # unreachable states still get drawn, at the end
        if state not in depth:
            last += 1
            depth[state] = last
    columns: dict[int, list[str]] = {}
    for state in machine.states:
        columns.setdefault(depth[state], []).append(state)
    boxes = {}
    for col, states in columns.items():
        for row, state in enumerate(states):
            boxes[state] = Box(
                state,
                MARGIN + col * (BOX_W + COL_GAP),
                MARGIN + row * (BOX_H + ROW_GAP) + 20,
            )
    return boxes


def svg(machine: Machine, *, title: str) -> Markup:
    boxes = layout(machine)
    width = max(b.x for b in boxes.values()) + BOX_W + MARGIN
    height = max(b.y for b in boxes.values()) + BOX_H + MARGIN + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<defs><marker id="arrow-{escape(machine.name)}" viewBox="0 0 10 10" refX="10" '
        'refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" class="diagram-arrowhead"/></marker></defs>',
    ]
    for index, t in enumerate(machine.transitions):
        a, b = boxes[t.source], boxes[t.target]
        roles = ", ".join(t.roles)
        if b.x > a.x:
            x1, y1 = a.x + BOX_W, a.y + BOX_H / 2
            x2, y2 = b.x, b.y + BOX_H / 2
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2 - 6 + (index % 3) * 5
            path = f"M {x1} {y1} C {mx} {y1}, {mx} {y2}, {x2} {y2}"
        else:  # back or sideways: loop under the boxes
            x1, y1 = a.x + BOX_W / 2 + 10, a.y + BOX_H
            x2, y2 = b.x + BOX_W / 2 - 10, b.y + BOX_H
            depth = 30 + (index % 4) * 10
            low = max(y1, y2) + depth
            mx, my = (x1 + x2) / 2, low - 4
            path = f"M {x1} {y1} C {x1} {low}, {x2} {low}, {x2} {y2}"
        parts.append(
            f'<path d="{path}" class="diagram-edge" '
            f'marker-end="url(#arrow-{escape(machine.name)})"/>'
            f'<text x="{mx:.0f}" y="{my:.0f}" class="diagram-edge-label">{escape(roles)}</text>'
        )
    for state, box in boxes.items():
        kind = (
            "initial"
            if state == machine.initial
            else ("terminal" if state in machine.terminal else "state")
        )
        parts.append(
            f'<g class="diagram-state diagram-{kind}">'
            f'<rect x="{box.x}" y="{box.y}" width="{BOX_W}" height="{BOX_H}" rx="8"/>'
            f'<text x="{box.x + BOX_W / 2:.0f}" y="{box.y + BOX_H / 2 + 5:.0f}">'
            f"{escape(state)}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
