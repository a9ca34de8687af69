"""Local admin accounts: `sbg admin create-user`, the CSRF-protected sign-in form, and the pages after it."""

from __future__ import annotations

from sqlalchemy import select

from lti_tool.cli import main
from lti_tool.storage.models import AdminAccount

from .builders import SAMPLES, make_district, unique
from .web_support import hidden

PASSWORD = "correct horse battery staple"


def _create_user(app, district: str, email: str, password: str = PASSWORD):
    return app.test_cli_runner().invoke(main, ["admin", "create-user", "--district", district, "--email", email,
                                               "--password-stdin"], input=password + "\n")


def _sign_in(client, email: str, password: str = PASSWORD):
    form = client.get("/admin/login")
    return client.post("/admin/login", data={"csrf_token": hidden(form.text, "csrf_token"), "email": email,
                                             "password": password})


def test_create_user_stores_only_a_password_hash(app, db_session):
    district = make_district(db_session)
    email = f"{unique('admin')}@example.org"
    result = _create_user(app, district.name, email.upper())
    assert result.exit_code == 0, result.output
    account = db_session.scalar(select(AdminAccount).where(AdminAccount.email == email))
    assert account.district_id == district.district_id
    assert PASSWORD not in account.password_hash and account.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_create_user_refuses_short_passwords_duplicates_and_unknown_districts(app, db_session):
    district = make_district(db_session)
    email = f"{unique('admin')}@example.org"
    assert "at least 12 characters" in _create_user(app, district.name, email, "short").stderr
    assert _create_user(app, district.name, email).exit_code == 0
    assert "already exists" in _create_user(app, district.name, email).stderr
    assert "No district named" in _create_user(app, unique("nowhere"), f"x{email}").stderr


def test_signing_in_opens_the_admin_pages_of_the_accounts_district(app, client, db_session):
    district = make_district(db_session)
    email = f"{unique('admin')}@example.org"
    _create_user(app, district.name, email)
    answer = _sign_in(client, email)
    assert answer.status_code == 302 and "/admin/?t=" in answer.headers["Location"]
    home = client.get(answer.headers["Location"])
    assert home.status_code == 200 and f"Signed in as {email}" in home.text and district.name in home.text
    token = answer.headers["Location"].split("t=", 1)[1]
    upload = client.post("/admin/frameworks/import", content_type="multipart/form-data",
                         data={"t": token, "format": "csv", "title": "Local",
                               "file": (SAMPLES["csv"].open("rb"), "g8.csv")})
    assert upload.status_code == 200 and 'data-count="added">5<' in upload.text
    again = client.get("/admin/login")
    assert again.status_code == 302 and "/admin/?t=" in again.headers["Location"]


def test_a_wrong_password_or_missing_csrf_token_is_refused(app, client, db_session):
    district = make_district(db_session)
    email = f"{unique('admin')}@example.org"
    _create_user(app, district.name, email)
    wrong = _sign_in(client, email, "not the password at all")
    assert wrong.status_code == 401 and "The email or password is not right." in wrong.text
    assert _sign_in(client, f"nobody-{email}").status_code == 401
    forged = client.post("/admin/login", data={"email": email, "password": PASSWORD})
    assert forged.status_code == 400 and "The form expired" in forged.text


def test_signing_out_ends_the_cookie_session(app, client, db_session):
    district = make_district(db_session)
    email = f"{unique('admin')}@example.org"
    _create_user(app, district.name, email)
    home = client.get(_sign_in(client, email).headers["Location"])
    out = client.post("/admin/logout", data={"csrf_token": hidden(home.text, "csrf_token")})
    assert out.status_code == 302
    assert client.get("/admin/login").status_code == 200
