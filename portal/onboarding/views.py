"""Onboarding pages for coordinators, trainers and learners. Thin: parse, authorise, call a
service, render. Status buttons post to the shared status route (workflow.views)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from portal.accounts.models import User
from portal.core.clock import utcnow
from portal.core.errors import DomainError, ValidationError
from portal.core.forms import apply_errors
from portal.core.htmx import redirect_to, render
from portal.core.i18n import local_to_utc
from portal.core.navigation import registry
from portal.core.pagination import page_asked, paginate
from portal.core.permissions import public, roles_required
from portal.extensions import db
from portal.onboarding import permissions, queries, services
from portal.onboarding.attendance_links import attendee_for_token
from portal.onboarding.forms import (
    AssignForm,
    ClientForm,
    MaterialForm,
    PriorityForm,
    ProgramForm,
    RequestForm,
    RescheduleForm,
    SessionForm,
)
from portal.onboarding.models import PRIORITIES
from portal.onboarding.states import (
    ASSIGNMENT,
    ATTENDEE,
    CLOSED_REQUEST,
    OPEN_SESSION,
    REQUEST,
    SESSION,
    STAGE,
    can_take_back,
)
from portal.onboarding.storage import storage
from portal.workflow.engine import transition
from portal.workflow.models import StatusChange

bp = Blueprint("onboarding", __name__, url_prefix="/onboarding")
MACHINES = {
    "request": REQUEST,
    "assignment": ASSIGNMENT,
    "session": SESSION,
    "attendee": ATTENDEE,
    "stage": STAGE,
}


def _or_404(fn, *args):
    try:
        return fn(*args)
    except DomainError:
        abort(404)


# --- the request queue ------------------------------------------------------------------------


def _request_form(form=None):
    form = form or RequestForm(formdata=None)
    form.client_id.choices = [
        SelectChoice(str(c.id), c.name)
        for c in db.session.scalars(queries.list_clients(current_user))
    ]
    form.program_id.choices = [
        SelectChoice(str(p.id), p.name)
        for p in db.session.scalars(queries.list_programs(current_user))
    ]
    return form


@bp.route("/requests")
@roles_required()
def requests():
    status = request.args.get("status") or None
    priority = request.args.get("priority") if request.args.get("priority") in PRIORITIES else None
    if status not in REQUEST.states:
        status = None
    limit, offset, _carried = page_asked(request.args, default=25)
    page = paginate(
        queries.list_requests(current_user, status=status, priority=priority), limit, offset
    )
    return render(
        "onboarding/requests.html",
        block="request_rows",
        page=page,
        status_filter=status,
        priority_filter=priority,
        machine=REQUEST,
        form=_request_form() if current_user.role == "coordinator" else None,
    )


@bp.route("/requests", methods=["POST"])
@roles_required("coordinator")
def create_request():
    form = _request_form(RequestForm())
    if form.validate_on_submit():
        try:
            client = queries.get_client(form.client_id.data, current_user)
            program = queries.get_program(form.program_id.data, current_user)
            created = services.create_request(
                current_user.organisation,
                client=client,
                program=program,
                priority=form.priority.data,
                notes=form.notes.data,
                actor=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            apply_errors(form, ValidationError(exc.message, details=exc.details))
        else:
            db.session.commit()
            flash(_("Request %(code)s is created.", code=created.request_code), "success")
            return redirect_to(url_for("onboarding.request_detail", request_id=created.id))
    page = paginate(queries.list_requests(current_user), 25, 0)
    return render(
        "onboarding/requests.html",
        block="request_form",
        form=form,
        page=page,
        status_filter=None,
        priority_filter=None,
        machine=REQUEST,
        status=422,
    )


# --- one request ------------------------------------------------------------------------------


def _history(req) -> list[StatusChange]:
    """Every change of the request and of what hangs under it, oldest first."""
    ids = [req.id, *(a.id for a in req.assignments), *(s.id for s in req.stages)]
    for session in req.sessions:
        ids.append(session.id)
        ids.extend(a.id for a in session.attendees if can_see_attendee(a))
    return list(
        db.session.scalars(
            select(StatusChange)
            .where(StatusChange.entity_id.in_(ids))
            .order_by(StatusChange.created_at, StatusChange.id)
        )
    )


def _session_messages(req) -> list:
    """What was sent to the contacts about this request's sessions, failures included."""
    from portal.messaging.queries import list_messages

    ids = [s.id for s in req.sessions]
    if not ids:
        return []
    return list(
        db.session.scalars(
            list_messages(organisation_id=req.organisation_id, related_ids=ids).limit(100)
        )
    )


def can_see_attendee(attendee) -> bool:
    return permissions.can_view_attendee(current_user, attendee)


def _detail_context(req, **extra):
    ctx = {
        "req": req,
        "machines": MACHINES,
        "machine_titles": {m.name: str(m.title) for m in MACHINES.values()},
        "history": _history(req),
        "messages": _session_messages(req) if current_user.role != "learner" else [],
        "priority_form": PriorityForm(formdata=None, priority=req.priority),
        "assign_form": None,
        "session_form": None,
        "can_run": permissions.is_current_trainer(current_user, req)
        and current_user.role == "trainer",
        "now": utcnow(),
        # Take back is offered only while the trainer has not answered (else it is refused).
        "request_hidden": () if can_take_back(req) else ("pending",),
        "request_closed": req.status in CLOSED_REQUEST,
        # a stage is not skipped under a running session (its guard refuses it)
        "running_stages": {s.stage_id for s in req.sessions if s.status == "in_progress"},
    }
    if current_user.role == "coordinator" and req.status == "pending":
        ctx["assign_form"] = _assign_form()
    if ctx["can_run"] and req.current_assignment.status in ("accepted", "in_progress"):
        ctx["session_form"] = _session_form(req)
    ctx.update(extra)
    return ctx


def _session_form(req, form=None):
    form = form or SessionForm(formdata=None)
    form.stage_id.choices = [SelectChoice(str(s.id), f"{s.order}. {s.name}") for s in req.stages]
    form.attendee_ids.choices = [
        SelectChoice(str(c.user.id), c.user.name) for c in req.client.contacts
    ]
    return form


@bp.route("/requests/<request_id>")
@roles_required()
def request_detail(request_id):
    req = _or_404(queries.get_request, request_id, current_user)
    # The live parts poll: changes made by others appear without a reload.
    return render(
        "onboarding/request.html",
        block=request.args.get("part") and "request_live",
        **_detail_context(req),
    )


@bp.route("/requests/<request_id>/priority", methods=["POST"])
@roles_required("coordinator")
def change_priority(request_id):
    req = _or_404(queries.get_request, request_id, current_user)
    form = PriorityForm()
    try:
        if not form.validate_on_submit():
            raise ValidationError(_("Choose urgent, high, medium or low."))
        services.set_priority(req, form.priority.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Priority changed."), "success")
    return redirect(url_for("onboarding.request_detail", request_id=req.id))


def _assign_form(form=None):
    form = form or AssignForm(formdata=None)
    form.trainer_id.choices = [
        SelectChoice(str(u.id), _("%(name)s — %(n)d open", name=u.name, n=n))
        for u, n in services.trainer_loads(current_user.organisation_id)
    ]
    return form


@bp.route("/requests/<request_id>/assign", methods=["POST"])
@roles_required("coordinator")
def assign(request_id):
    req = _or_404(queries.get_request, request_id, current_user)
    form = _assign_form(AssignForm())
    if not form.validate_on_submit():
        flash(_("Choose an active trainer of your organisation."), "error")
        return redirect(url_for("onboarding.request_detail", request_id=req.id))
    trainer = db.session.get(User, _uuid(form.trainer_id.data))
    try:
        services.assign_trainer(req, trainer, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("%(name)s is assigned.", name=trainer.name), "success")
    return redirect(url_for("onboarding.request_detail", request_id=req.id))


def _uuid(value):
    import uuid

    return uuid.UUID(str(value))


def _form_times(form) -> tuple | None:
    """The form's day with its start and end clock times in the trainer's timezone, as UTC;
    None, with the error on the form, when the day or a time cannot be one."""
    try:
        return (
            local_to_utc(form.day.data, form.start.data, current_user.timezone),
            local_to_utc(form.day.data, form.end.data, current_user.timezone),
        )
    except OverflowError:  # the first or last day of the calendar, shifted out of it
        form.day.errors = [_("Choose a date within ten years of today.")]
    except ValueError:
        form.start.errors = [_("This time does not exist in your timezone (clock change).")]
    return None


@bp.route("/requests/<request_id>/sessions", methods=["POST"])
@roles_required("trainer")
def create_session(request_id):
    req = _or_404(queries.get_request, request_id, current_user)
    if not permissions.is_current_trainer(current_user, req):
        abort(403)
    form = _session_form(req, SessionForm())
    if form.validate_on_submit():
        times = _form_times(form)
        if times is not None:
            starts_at, ends_at = times
            stage = next((s for s in req.stages if str(s.id) == form.stage_id.data), None)
            try:
                services.create_session(
                    req.current_assignment,
                    stage,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    location_type=form.location_type.data,
                    meeting_link=form.meeting_link.data,
                    physical_location=form.physical_location.data,
                    attendee_ids=form.attendee_ids.data,
                    is_makeup=form.is_makeup.data,
                    actor=current_user,
                )
            except DomainError as exc:
                db.session.rollback()
                apply_errors(form, ValidationError(exc.message, details=exc.details))
            else:
                db.session.commit()
                flash(_("The session is scheduled and the attendees are invited."), "success")
                return redirect_to(url_for("onboarding.request_detail", request_id=req.id))
    return render(
        "onboarding/request.html",
        block="session_form_block",
        status=422,
        **_detail_context(req, session_form=form),
    )


# --- one session ------------------------------------------------------------------------------


def _session_context(session, **extra):
    ctx = {
        "session": session,
        "machines": MACHINES,
        "can_run": permissions.can_run_session(current_user, session),
        "request_closed": session.request.status in CLOSED_REQUEST,
        "reschedule_form": RescheduleForm(formdata=None),
        "material_form": MaterialForm(formdata=None),
    }
    ctx.update(extra)
    return ctx


@bp.route("/sessions/<session_id>")
@roles_required()
def session_detail(session_id):
    session = _or_404(queries.get_session, session_id, current_user)
    return render(
        "onboarding/session.html",
        block=request.args.get("part") and "session_live",
        **_session_context(session),
    )


@bp.route("/sessions/<session_id>/reschedule", methods=["POST"])
@roles_required("trainer")
def reschedule(session_id):
    session = _or_404(queries.get_session, session_id, current_user)
    form = RescheduleForm()
    times = _form_times(form) if form.validate_on_submit() else None
    if times is not None:
        try:
            new = services.reschedule_session(
                session,
                starts_at=times[0],
                ends_at=times[1],
                reason=form.reason.data,
                actor=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            apply_errors(form, ValidationError(exc.message, details=exc.details))
        else:
            db.session.commit()
            flash(_("The session is moved; the attendees are invited again."), "success")
            return redirect_to(url_for("onboarding.session_detail", session_id=new.id))
    return render(
        "onboarding/session.html", status=422, **_session_context(session, reschedule_form=form)
    )


@bp.route("/sessions/<session_id>/materials", methods=["POST"])
@roles_required("trainer")
def upload_material(session_id):
    session = _or_404(queries.get_session, session_id, current_user)
    form = MaterialForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            services.save_material(
                session,
                material_type=form.material_type.data,
                description=form.description.data,
                filename=upload.filename,
                content_type=upload.mimetype,
                data=upload.read(),
                actor=current_user,
                storage=storage,
            )
        except DomainError as exc:
            db.session.rollback()
            apply_errors(form, ValidationError(exc.message, details=exc.details))
        else:
            db.session.commit()
            flash(_("The file is added to the session."), "success")
            return redirect_to(url_for("onboarding.session_detail", session_id=session.id))
    return render(
        "onboarding/session.html", status=422, **_session_context(session, material_form=form)
    )


@bp.route("/sessions/<session_id>/materials/<material_id>")
@roles_required()
def download_material(session_id, material_id):
    from flask import send_file

    session = _or_404(queries.get_session, session_id, current_user)
    material = next((m for m in session.materials if str(m.id) == material_id), None)
    if material is None:
        abort(404)
    return send_file(
        storage.path(material.storage_key),
        mimetype=material.content_type,
        as_attachment=True,
        download_name=material.filename,
    )


# --- confirming attendance from a Telegram link ------------------------------------------------


@bp.route("/attendance/<token>", methods=["GET", "POST"])
@public
def confirm_attendance(token):
    attendee = attendee_for_token(token)
    if attendee is None:
        abort(404)
    done = False
    if request.method == "POST":  # CSRF is checked for every POST by CSRFProtect
        if attendee.attendance_status == "invited":
            try:
                transition(attendee, "confirmed", actor=attendee.user)
                db.session.commit()
            except DomainError:  # confirmed meanwhile (the form sent twice): the page says so
                db.session.rollback()
        done = attendee.attendance_status != "invited"
    return render(
        "onboarding/confirm.html",
        attendee=attendee,
        session=attendee.session,
        # an invitation still open on a session that is over has nothing left to confirm
        done=done
        or attendee.attendance_status != "invited"
        or attendee.session.status not in OPEN_SESSION,
    )


# --- clients and programs ------------------------------------------------------------------------


def _parse_contacts(text: str) -> list[dict]:
    contacts = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split(";")]
        if not any(parts):
            continue
        contact = {"name": parts[0], "email": parts[1] if len(parts) > 1 else ""}
        for index, key in enumerate(("telegram_chat_id", "phone", "locale", "timezone"), 2):
            if len(parts) > index and parts[index]:
                contact[key] = parts[index]
        contacts.append(contact)
    return contacts


@bp.route("/clients", methods=["GET", "POST"])
@roles_required("admin", "coordinator")
def clients():
    form = ClientForm() if request.method == "POST" else ClientForm(formdata=None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                client = services.create_client(
                    current_user.organisation,
                    name=form.name.data,
                    contacts=_parse_contacts(form.contacts.data),
                    actor=current_user,
                )
            except DomainError as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
                form.form_errors.extend(f"{k}: {v}" for k, v in exc.details.items())
            else:
                db.session.commit()
                flash(_("%(name)s is added.", name=client.name), "success")
                return redirect_to(url_for("onboarding.clients"))
    items = list(db.session.scalars(queries.list_clients(current_user)))
    return render("onboarding/clients.html", clients=items, form=form, status=status)


def _programs_page(form, status=200):
    items = list(db.session.scalars(queries.list_programs(current_user)))
    return render("onboarding/programs.html", programs=items, form=form, status=status)


@bp.route("/programs")
@roles_required("admin", "coordinator", "trainer")
def programs():
    return _programs_page(ProgramForm(formdata=None))


@bp.route("/programs", methods=["POST"])
@roles_required("admin")
def create_program():
    form = ProgramForm()
    if form.validate_on_submit():
        lines = [line.strip() for line in form.stages.data.splitlines() if line.strip()]
        stages = [{"name": line, "order": n} for n, line in enumerate(lines, start=1)]
        try:
            services.create_program(
                current_user.organisation,
                name=form.name.data,
                description=form.description.data,
                stages=stages,
                actor=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            apply_errors(form, ValidationError(exc.message, details=exc.details))
        else:
            db.session.commit()
            flash(_("The program is created."), "success")
            return redirect_to(url_for("onboarding.programs"))
    return _programs_page(form, status=422)


registry.add_nav(_l("Requests"), "onboarding.requests", ("admin", "coordinator", "trainer"), 10)
registry.add_nav(_l("Clients"), "onboarding.clients", ("admin", "coordinator"), 20)
registry.add_nav(_l("Programs"), "onboarding.programs", ("admin", "coordinator", "trainer"), 21)


def _learner_panel(user):
    sessions = list(
        db.session.scalars(queries.list_sessions(user, upcoming_after=utcnow()).limit(10))
    )
    my_requests = list(db.session.scalars(queries.list_requests(user).limit(10)))
    attendee_of = {
        s.id: next((a for a in s.attendees if a.user_id == user.id), None) for s in sessions
    }
    return {"sessions": sessions, "requests": my_requests, "attendee_of": attendee_of}


def _trainer_panel(user):
    return {
        "assignments": list(
            db.session.scalars(
                queries.list_assignments(user)
                .where(
                    queries.TrainingAssignment.status.in_(("assigned", "accepted", "in_progress"))
                )
                .limit(20)
            )
        ),
        "sessions": list(
            db.session.scalars(queries.list_sessions(user, upcoming_after=utcnow()).limit(10))
        ),
    }


def _coordinator_panel(user):
    queue = list(
        db.session.scalars(
            queries.list_requests(user)
            .where(queries.OnboardingRequest.status.in_(("pending", "assigned", "in_progress")))
            .limit(15)
        )
    )
    return {"queue": queue}


registry.add_panel("onboarding/_panel_learner.html", ("learner",), _learner_panel, 5)
registry.add_panel("onboarding/_panel_trainer.html", ("trainer",), _trainer_panel, 5)
registry.add_panel(
    "onboarding/_panel_coordinator.html", ("coordinator", "admin"), _coordinator_panel, 5
)
