"""Local admin sign-in for self-hosted installs: email and password, a cookie session, CSRF-protected forms.

After sign-in the admin gets the same signed session token an LTI launch gives (role `admin`, the account's
district), so every admin page works the same. The token's person id is the negated account id: it can never
match an LMS person.
"""

from __future__ import annotations

from flask import redirect, render_template, session, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from lti_tool.app import csrf
from lti_tool.services.admin_accounts import authenticate
from lti_tool.storage.models.admin import AdminAccount

from ..auth import SessionIdentity, issue_token
from ..runtime import db
from . import bp

SESSION_KEY = "sbg_admin_account"


class LoginForm(FlaskForm):
    """Email and password of a local admin account."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


def _token_for(account: AdminAccount) -> str:
    return issue_token(SessionIdentity(person_id=-account.id, course_id=0, platform_id=0,
                                       district_id=account.district_id, role="admin"))


@bp.get("/login")
def login_form():  # type: ignore[no-untyped-def]
    """The sign-in form; an admin still signed in by cookie goes straight to a fresh session."""
    account_id = session.get(SESSION_KEY)
    account = db().get(AdminAccount, account_id) if isinstance(account_id, int) else None
    if account is not None:
        return redirect(url_for("admin.home", t=_token_for(account)))
    return render_template("admin/login.html", form=LoginForm(), failed=False)


@bp.post("/login")
def login_submit():  # type: ignore[no-untyped-def]
    """Check the email and password; start a cookie session and hand out a session token."""
    csrf.protect()
    form = LoginForm()
    account = authenticate(db(), form.email.data or "", form.password.data or "") if form.validate() else None
    if account is None:
        return render_template("admin/login.html", form=form, failed=True), 401
    session.clear()  # a fresh session on sign-in, so no earlier cookie value carries over
    session[SESSION_KEY] = account.id
    return redirect(url_for("admin.home", t=_token_for(account)))


@bp.post("/logout")
def logout() -> BaseResponse:
    """End the cookie session (the short-lived token in open pages simply expires)."""
    csrf.protect()
    session.pop(SESSION_KEY, None)
    return redirect(url_for("admin.login_form"))
