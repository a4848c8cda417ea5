"""The machine diagrams: every state and move drawn, labelled in the reader's language, and no
line drawn across a state's box."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from portal.workflow import diagrams, machines

SVG = "{http://www.w3.org/2000/svg}"


def _drawn(machine):
    root = ET.fromstring(str(diagrams.svg(machine, title=machine.name)))
    boxes = [
        tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))
        for rect in root.iter(f"{SVG}rect")
    ]
    paths = [p.get("d") for p in root.iter(f"{SVG}path") if "diagram-edge" in p.get("class", "")]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    return boxes, paths, texts


def _crosses(segment, box) -> bool:
    """Whether a horizontal or vertical segment runs through the inside of a box."""
    (x1, y1), (x2, y2) = segment
    x, y, w, h = box
    left, right, top, bottom = x + 1, x + w - 1, y + 1, y + h - 1
    if y1 == y2:
        return top < y1 < bottom and min(x1, x2) < right and max(x1, x2) > left
    return left < x1 < right and min(y1, y2) < bottom and max(y1, y2) > top


@pytest.mark.parametrize("name", ["onboarding_request", "assignment", "attendee", "message"])
def test_no_line_crosses_a_state(app, name):
    machine = machines.by_name(name)
    with app.test_request_context():
        boxes, paths, _texts = _drawn(machine)
    assert len(boxes) == len(machine.states) and len(paths) == len(machine.transitions)
    for d in paths:
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
        points = list(zip(numbers[::2], numbers[1::2], strict=True))
        if " C " in d:  # a curve to the next column: it stays in the gap between the two
            start, *_controls, end = points
            assert all(start[0] <= px <= end[0] for px, _py in points), d
            continue
        for segment in zip(points, points[1:], strict=False):
            assert segment[0][0] == segment[1][0] or segment[0][1] == segment[1][1], d
            assert not any(_crosses(segment, box) for box in boxes), (d, segment)


def test_states_and_roles_are_labelled_in_the_readers_language(app):
    machine = machines.by_name("onboarding_request")
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        _boxes, _paths, texts = _drawn(machine)
        labels = {str(label) for label in machine.states.values()}
    assert labels <= set(texts) and "En attente" in texts
    assert "Coordinateur, Système" in texts
    assert not {"pending", "in_progress", "coordinator", "system"} & set(texts)
