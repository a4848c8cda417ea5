"""Pages: login, logout, home, profile with API tokens, and user administration."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_url, login_user, logout_user

from portal.accounts import queries, services, telegram_links
from portal.accounts.forms import (
    LanguageForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RoleForm,
    SetPasswordForm,
    TokenForm,
    UserCreateForm,
)
from portal.accounts.invitations import user_for_link_token
from portal.core.clock import utcnow
from portal.core.errors import DomainError, ValidationError
from portal.core.forms import apply_errors
from portal.core.htmx import is_htmx, redirect_to, render
from portal.core.navigation import registry
from portal.core.pagination import page_asked, paginate
from portal.core.permissions import public, roles_required
from portal.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__)


def _login_limit_key() -> str:
    email = (request.form.get("email") or "").strip().casefold()
    return f"login:{request.remote_addr}:{email}"


@login_manager.unauthorized_handler
def login_first():
    """Someone not logged in asked for a page: to the login page, then back. An HTMX request
    (the bell's poll once the session has ended, a filter, a button) gets a 401 that makes the
    browser load the login page, and return to the page it was on, instead of the login form
    swapped into a corner of that page."""
    flash(str(login_manager.login_message), login_manager.login_message_category)
    if request.headers.get("HX-Request") == "true":
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        path = page.path if page.path.startswith("/") and not page.path.startswith("//") else "/"
        back = urlunsplit(("", "", path, page.query, ""))
        response = make_response("", 401)
        response.headers["HX-Redirect"] = login_url(login_manager.login_view, next_url=back)
        return response
    return redirect(login_url(login_manager.login_view, next_url=request.url))


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("accounts.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    key_func=_login_limit_key,
    methods=["POST"],
)
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user)
            session.pop("lang", None)
            return redirect(_safe_next(request.args.get("next")))
        form.form_errors.append(_("Email or password is not correct."))
    status = 200 if request.method == "GET" else 422
    return render(
        "accounts/login.html",
        block="login_form",
        form=form,
        language_form=LanguageForm(),
        status=status,
    )


@bp.route("/language", methods=["POST"])
@public
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            services.update_profile(current_user, locale=form.lang.data)
            db.session.commit()
        else:
            session["lang"] = form.lang.data
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
def set_password(token):
    user = user_for_link_token(token)
    if user is None:
        return render("accounts/set_password.html", form=None, status=404)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(user, form.password.data)
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Your password is set. Welcome to Parcours!"), "success")
            return redirect(url_for("accounts.home"))
    status = 200 if request.method == "GET" else 422
    return render("accounts/set_password.html", form=form, person=user, status=status)


@bp.route("/logout", methods=["POST"])
@roles_required()
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/")
@roles_required()
def home():
    panels = [
        (panel.template, panel.context(current_user))
        for panel in registry.panels_for(current_user.role)
    ]
    return render("accounts/home.html", panels=panels)


def _profile_context(**extra):
    ctx = {
        "form": ProfileForm(obj=current_user, formdata=None),
        "password_form": PasswordForm(formdata=None),
        "token_form": TokenForm(formdata=None),
        "tokens": queries.list_tokens(current_user),
        "new_token": None,
        # a link just asked for (its URL is shown once) and what became of one
        "telegram_link": None,
        "telegram_url": None,
        "telegram_notice": None,
        "telegram_error": None,
    }
    ctx.update(extra)
    return ctx


@bp.route("/profile", methods=["GET", "POST"])
@roles_required()
def profile():
    if request.method == "GET":
        return render("accounts/profile.html", **_profile_context())
    form = ProfileForm()
    # A chat id is linked by the bot, never typed: one sent anyway (an old form, a forged one)
    # is refused by the service like PATCH /me refuses it.
    typed_chat = (request.form.get("telegram_chat_id") or "").strip()
    if form.validate_on_submit():
        try:
            services.update_profile(
                current_user,
                name=form.name.data,
                locale=form.locale.data,
                timezone=form.timezone.data,
                phone=form.phone.data,
                **({"telegram_chat_id": typed_chat} if typed_chat else {}),
            )
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Your profile is saved."), "success")
            # The language may have changed: a full reload shows everything in it.
            return redirect_to(url_for("accounts.profile"))
    return render(
        "accounts/profile.html", block="profile_form", status=422, **_profile_context(form=form)
    )


@bp.route("/profile/password", methods=["POST"])
@roles_required()
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, current=form.current_password.data, new=form.new_password.data
            )
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Your password is changed."), "success")
            return redirect_to(url_for("accounts.profile"))
    return render(
        "accounts/profile.html",
        block="password_form",
        status=422,
        **_profile_context(password_form=form),
    )


@bp.route("/profile/tokens", methods=["POST"])
@roles_required()
def create_token():
    form = TokenForm()
    new_token = None
    status = 422
    if form.validate_on_submit():
        try:
            _row, new_token = services.issue_token(current_user, name=form.name.data)
        except ValidationError as exc:
            db.session.rollback()
            apply_errors(form, exc)
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
            status = 201
    return render(
        "accounts/profile.html",
        block="api_tokens",
        status=status,
        **_profile_context(token_form=form, new_token=new_token),
    )


@bp.route("/profile/tokens/<token_id>/revoke", methods=["POST"])
@roles_required()
def revoke_token(token_id):
    try:
        token = queries.get_token(token_id, user=current_user)
    except DomainError:
        abort(404)
    services.revoke_token(token, actor=current_user)
    db.session.commit()
    return render("accounts/profile.html", block="api_tokens", **_profile_context())


def _telegram_block(status=200, **extra):
    return render(
        "accounts/profile.html", block="telegram_link", status=status, **_profile_context(**extra)
    )


@bp.route("/profile/telegram", methods=["GET"])
@roles_required()
def telegram_link():
    """The Telegram part of the profile. While the link shown (`waiting`) is neither used nor
    expired, an HTMX poll gets 204 and the link stays on screen; then the new state."""
    waiting = request.args.get("waiting")
    link = queries.get_telegram_link(waiting, user=current_user) if waiting else None
    if link is None:
        return _telegram_block()
    if link.used_at is not None:
        return _telegram_block(telegram_notice=_("Your Telegram is linked."))
    if link.expires_at <= utcnow():
        return _telegram_block(
            telegram_error=_("The link has expired. Press Connect Telegram for a new one.")
        )
    if is_htmx():
        return "", 204
    return _telegram_block()


@bp.route("/profile/telegram", methods=["POST"])
@roles_required()
def create_telegram_link():
    row, token = telegram_links.issue_link(current_user)
    db.session.commit()
    return _telegram_block(
        status=201, telegram_link=row, telegram_url=telegram_links.link_url(token)
    )


@bp.route("/profile/telegram/unlink", methods=["POST"])
@roles_required()
def unlink_telegram():
    telegram_links.unlink(current_user)
    db.session.commit()
    return _telegram_block(telegram_notice=_("Your Telegram is unlinked."))


ROLE_FILTERS = ("admin", "coordinator", "trainer", "learner")


def _users_context(form=None):
    role = request.args.get("role") if request.args.get("role") in ROLE_FILTERS else None
    search = (request.args.get("q") or "").strip()[:100]
    limit, offset, _carried = page_asked(request.args, default=25)
    page = paginate(
        queries.list_users(organisation_id=current_user.organisation_id, role=role, search=search),
        limit,
        offset,
    )
    return {
        "page": page,
        "role_filter": role,
        "search": search,
        "form": form or UserCreateForm(formdata=None, timezone=current_user.timezone),
        "role_form": RoleForm(formdata=None),
    }


@bp.route("/admin/users", methods=["GET"])
@roles_required("admin")
def users():
    return render("accounts/users.html", block="user_rows", **_users_context())


@bp.route("/admin/users", methods=["POST"])
@roles_required("admin")
def create_user():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                current_user.organisation,
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                password=form.password.data or None,
                locale=form.locale.data,
                timezone=form.timezone.data,
                actor=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            if isinstance(exc, ValidationError) or exc.details:
                apply_errors(form, ValidationError(exc.message, details=exc.details))
            else:
                form.form_errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("%(name)s is added.", name=user.name), "success")
            return redirect_to(url_for("accounts.users"))
    return render("accounts/users.html", block="user_form", status=422, **_users_context(form=form))


def _user_row(user, error=None, status=200):
    """The changed row for HTMX; without JavaScript, the whole list with the outcome."""
    if not is_htmx():
        if error is None:
            flash(_("%(name)s is updated.", name=user.name), "success")
            return redirect_to(url_for("accounts.users"))
        flash(error, "error")
        return render("accounts/users.html", status=status, **_users_context())
    return render(
        "accounts/users.html",
        block="user_row",
        status=status,
        user=user,
        row_error=error,
        role_form=RoleForm(formdata=None),
    )


def _managed_user(user_id):
    try:
        return queries.get_user(user_id, organisation_id=current_user.organisation_id)
    except DomainError:
        abort(404)


@bp.route("/admin/users/<user_id>/role", methods=["POST"])
@roles_required("admin")
def change_role(user_id):
    user = _managed_user(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _user_row(user, error=_("Choose a role from the list."), status=422)
    try:
        services.change_role(user, form.role.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        return _user_row(user, error=exc.message, status=422)
    db.session.commit()
    return _user_row(user)


@bp.route("/admin/users/<user_id>/active", methods=["POST"])
@roles_required("admin")
def set_active(user_id):
    user = _managed_user(user_id)
    active = request.form.get("active") == "1"
    try:
        services.set_user_active(user, active, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        return _user_row(user, error=exc.message, status=422)
    db.session.commit()
    return _user_row(user)


registry.add_nav(_l("Home"), "accounts.home", ("admin", "coordinator", "trainer", "learner"), 0)
registry.add_nav(_l("Users"), "accounts.users", ("admin",), 90)
registry.add_nav(
    _l("Profile"), "accounts.profile", ("admin", "coordinator", "trainer", "learner"), 99
)


def _team_panel(user):
    return {"counts": queries.count_users_by_role(organisation_id=user.organisation_id)}


def _me_panel(user):
    return {"now": utcnow()}


registry.add_panel(
    "accounts/_panel_me.html", ("admin", "coordinator", "trainer", "learner"), _me_panel, 0
)
registry.add_panel("accounts/_panel_team.html", ("admin",), _team_panel, 10)
