"""Laying out a machine as an SVG diagram: states in columns by distance from the initial one,
labelled in the reader's language.

Edges never cross a state's box. A move to the next column is a curve across the gap between
the two; any other move runs in the free channels around the boxes: out of the source's right
side into the gap after its column, along a lane above the states (backwards) or below them
(forwards, skipping columns), down or up the gap before the target's column and into its left
side. A move between two states of one column is a bracket in the gap on their right.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.core.i18n import ROLE_LABELS
from portal.workflow.machines import SYSTEM_ROLE, Machine, Transition

BOX_H = 40
MIN_BOX_W = 150
CHAR_W = 7.6  # average width of a character of the 13px state labels
LABEL_CHAR_W = 6.2  # and of the 10px move labels
COL_GAP, ROW_GAP = 130, 34
MARGIN = 36  # also the channel left of the first column
LANE = 16  # between two lanes above or below the states
TRACK = 9  # between two vertical runs in one gap


@dataclass(frozen=True)
class Box:
    state: str
    label: str
    x: float
    y: float
    w: float

    @property
    def mid(self) -> float:
        return self.y + BOX_H / 2


def _columns(machine: Machine) -> dict[str, int]:
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
    return depth


def _kind(t: Transition, column: dict[str, int]) -> str:
    step = column[t.target] - column[t.source]
    if step == 1:
        return "next"
    if step == 0:
        return "side"
    return "back" if step < 0 else "skip"


def roles_label(roles) -> str:
    return ", ".join(
        str(ROLE_LABELS[r]) if r in ROLE_LABELS else _("System") if r == SYSTEM_ROLE else r
        for r in roles
    )


def layout(machine: Machine) -> tuple[dict[str, Box], int, int]:
    """The boxes, and how many lanes the edges need above and below them."""
    column = _columns(machine)
    kinds = [_kind(t, column) for t in machine.transitions]
    above, below = kinds.count("back"), kinds.count("skip")
    labels = {state: str(machine.states[state]) for state in machine.states}
    width = max(MIN_BOX_W, max(len(label) for label in labels.values()) * CHAR_W + 24)
    top = MARGIN + above * LANE
    rows: dict[int, int] = {}
    boxes = {}
    for state in machine.states:
        col = column[state]
        row = rows[col] = rows.get(col, -1) + 1
        boxes[state] = Box(
            state,
            labels[state],
            MARGIN + col * (width + COL_GAP),
            top + row * (BOX_H + ROW_GAP),
            width,
        )
    return boxes, above, below


def _point_on_curve(p0, p1, p2, p3, t: float) -> tuple[float, float]:
    u = 1 - t
    return tuple(
        u**3 * a + 3 * u * u * t * b + 3 * u * t * t * c + t**3 * d
        for a, b, c, d in zip(p0, p1, p2, p3, strict=True)
    )


def _polyline(points) -> str:
    first, *rest = points
    return f"M {first[0]:.0f} {first[1]:.0f} " + " ".join(f"L {x:.0f} {y:.0f}" for x, y in rest)


def svg(machine: Machine, *, title: str) -> Markup:
    boxes, above, below = layout(machine)
    box_w = next(iter(boxes.values())).w
    bottom = max(b.y for b in boxes.values()) + BOX_H
    width = max(b.x for b in boxes.values()) + box_w + COL_GAP
    height = bottom + MARGIN + below * LANE
    column = _columns(machine)
    marker = f"arrow-{escape(machine.name)}"
    parts = [
        "",  # the opening tag, once the labels have said how wide the drawing is
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" class="diagram-arrowhead"/></marker></defs>',
    ]
    runs: dict[int, int] = {}  # vertical runs already placed in each gap

    def run(col: int) -> float:
        """The x of the next vertical run in the gap right of column `col` (-1: the margin)."""
        n = runs[col] = runs.get(col, 0) + 1
        if col < 0:
            return MARGIN - 10 - (n - 1) * TRACK
        return MARGIN + col * (box_w + COL_GAP) + box_w + 14 + (n - 1) * TRACK

    back_lane = skip_lane = 0
    labels = []
    for t in machine.transitions:
        a, b = boxes[t.source], boxes[t.target]
        kind = _kind(t, column)
        if kind == "next":
            p0, p3 = (a.x + a.w, a.mid), (b.x, b.mid)
            bend = (p0[0] + p3[0]) / 2
            p1, p2 = (bend, p0[1]), (bend, p3[1])
            path = (
                f"M {p0[0]:.0f} {p0[1]:.0f} C {p1[0]:.0f} {p1[1]:.0f}, "
                f"{p2[0]:.0f} {p2[1]:.0f}, {p3[0]:.0f} {p3[1]:.0f}"
            )
            lx, ly = _point_on_curve(p0, p1, p2, p3, 0.72 if b.mid != a.mid else 0.5)
            ly -= 5
        elif kind == "side":
            out = run(column[t.source])
            sy, ty = a.mid + (4 if b.y > a.y else -4), b.mid + (-4 if b.y > a.y else 4)
            points = [(a.x + a.w, sy), (out, sy), (out, ty), (b.x + b.w, ty)]
            path = _polyline(points)
            lx, ly = out + 4, (sy + ty) / 2 + 4
            labels.append((lx, ly, roles_label(t.roles), "start"))
            parts.append(_edge(path, marker))
            continue
        else:
            out, into = run(column[t.source]), run(column[t.target] - 1)
            if kind == "back":
                back_lane += 1
                lane = MARGIN + (above - back_lane) * LANE
            else:
                skip_lane += 1
                lane = bottom + MARGIN / 2 + (skip_lane - 1) * LANE
            points = [(a.x + a.w, a.mid), (out, a.mid), (out, lane), (into, lane)]
            points += [(into, b.mid), (b.x, b.mid)]
            path = _polyline(points)
            lx, ly = (out + into) / 2, lane - 4
        labels.append((lx, ly, roles_label(t.roles), "middle"))
        parts.append(_edge(path, marker))
    for state, box in boxes.items():
        kind = (
            "initial"
            if state == machine.initial
            else ("terminal" if state in machine.terminal else "state")
        )
        parts.append(
            f'<g class="diagram-state diagram-{kind}">'
            f'<rect x="{box.x:.0f}" y="{box.y:.0f}" width="{box.w:.0f}" height="{BOX_H}" rx="8"/>'
            f'<text x="{box.x + box.w / 2:.0f}" y="{box.y + BOX_H / 2 + 5:.0f}">'
            f"{escape(box.label)}</text></g>"
        )
    for x, y, text, anchor in labels:  # last, so that no line is drawn over a label
        if anchor == "start":  # a bracket's label reads rightwards: the drawing makes room
            width = max(width, x + len(text) * LABEL_CHAR_W + MARGIN / 2)
        parts.append(
            f'<text x="{x:.0f}" y="{y:.0f}" class="diagram-edge-label" '
            f'text-anchor="{anchor}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    parts[0] = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" width="{width:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}">'
    )
    return Markup("".join(parts))


def _edge(path: str, marker: str) -> str:
    return f'<path d="{path}" class="diagram-edge" marker-end="url(#{marker})"/>'
