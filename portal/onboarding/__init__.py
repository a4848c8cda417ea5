"""Onboarding: clients, training programs, requests, trainer assignments, sessions,
attendance and stage progress (seeds/onboarding-status-flows.md)."""

from flask_babel import lazy_gettext as _l

from portal.core.modules import Module

MODULE = Module(
    name="onboarding",
    order=20,
    imports=(
        "portal.onboarding.api",
        "portal.onboarding.cascades",
        "portal.onboarding.notifying",
        "portal.onboarding.replies",
        "portal.onboarding.views",
    ),
    blueprints=("portal.onboarding.views:bp",),
    demo="portal.onboarding.demo:seed_onboarding",
    message_types={
        "attendance_confirmed": _l("Attendance confirmed"),
        "attendance_nothing_to_confirm": _l("Nothing to confirm"),
        "session_cancelled": _l("Session cancelled"),
        "session_missed": _l("Session missed"),
        "session_rescheduled": _l("Session rescheduled"),
        "session_scheduled": _l("Session scheduled"),
        "session_started": _l("Session started"),
        "training_cancelled": _l("Training cancelled"),
    },
)
