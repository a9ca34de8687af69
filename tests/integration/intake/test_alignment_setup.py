"""Alignment: suggestions from codes, Canvas outcomes and Moodle competencies; bulk decisions; tenant isolation."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from lti_tool.adapters.canvas import CanvasClient
from lti_tool.adapters.canvas_oauth import StaticAccessToken
from lti_tool.adapters.moodle import MoodleClient
from lti_tool.cli import main
from lti_tool.services import alignment, evidence
from lti_tool.storage.models import (
    Alignment,
    Assignment,
    AuditEvent,
    Course,
    CourseFramework,
    EvidenceRecord,
)
from tests.fakes.canvas_server import build_course
from tests.fakes.moodle_server import build_course as build_moodle_course

from .builders import RP_A_1_GUID, make_course
from .conftest import FAST_RETRY, no_sleep
from .web_support import token_for

GRADEBOOKS = Path(__file__).resolve().parents[2] / "data" / "gradebooks"


def pulled_canvas_course(db_session, fake_canvas, http, students=3):  # type: ignore[no-untyped-def]
    setup = make_course(db_session, student_ids=[str(5000 + n) for n in range(students)])
    fake_canvas.add_course(build_course(101, students=students, assignments=10))
    fake_canvas.add_token("t")
    client = CanvasClient(fake_canvas.base_url, StaticAccessToken("t"), http, retry=FAST_RETRY, sleep=no_sleep)
    evidence.pull_canvas(db_session, db_session.get(Course, setup.course_id), client)
    return setup


def test_codes_in_names_and_canvas_outcome_guids_become_suggestions(db_session, fake_canvas, http):
    setup = pulled_canvas_course(db_session, fake_canvas, http)
    suggestions = alignment.suggest(db_session, setup.course_id)
    by_origin = {(s.origin, s.standard_code) for s in suggestions}
    # "Ratios practice 1 (6.RP.A.1)": the short code in the name matches CCSS.Math.Content.6.RP.A.1
    assert ("code_in_text", "CCSS.Math.Content.6.RP.A.1") in by_origin
    # Rubric rows aligned to outcomes: by vendor_guid (7.RP.A.1) and, without a guid, by the outcome's code title
    assert ("canvas_outcome", "CCSS.Math.Content.7.RP.A.1") in by_origin
    assert ("canvas_outcome", "CCSS.Math.Content.6.RP.A.1") in by_origin
    assert all(s.rubric_criterion for s in suggestions if s.origin == "canvas_outcome")


def test_moodle_competency_links_become_suggestions(db_session, fake_moodle, http):
    setup = make_course(db_session, product="moodle", lms_course_id="7", student_ids=["300"])
    fake_moodle.add_course(build_moodle_course(7, students=1))
    client = MoodleClient(fake_moodle.base_url, fake_moodle.token, http, retry=FAST_RETRY, sleep=no_sleep)
    evidence.pull_moodle(db_session, db_session.get(Course, setup.course_id), client)
    suggestions = alignment.suggest(db_session, setup.course_id)
    found = {(s.origin, s.standard_code) for s in suggestions}
    assert ("moodle_competency", "CCSS.Math.Content.7.RP.A.2") in found
    # "Ratio tables (6.RP.A.3)" is also linked to that competency: proposed once, from the competency
    assert ("moodle_competency", "CCSS.Math.Content.6.RP.A.3") in found
    assert len({(s.assignment_id, s.rubric_criterion, s.standard_id) for s in suggestions}) == len(suggestions)


def test_accepting_and_rejecting_in_bulk_is_audited_and_rejections_stay_rejected(db_session, fake_canvas, http):
    setup = pulled_canvas_course(db_session, fake_canvas, http)
    suggestions = alignment.suggest(db_session, setup.course_id)
    keep, drop = suggestions[:3], suggestions[3:5]
    assert alignment.accept_suggestions(db_session, setup.course_id, keep, district_id=setup.district_id,
                                        actor="t", weights={keep[0].key: 2.0}) == 3
    alignment.reject_suggestions(db_session, setup.course_id, drop, district_id=setup.district_id, actor="t")
    db_session.commit()

    remaining = {s.key for s in alignment.suggest(db_session, setup.course_id)}
    assert not remaining & {s.key for s in keep + drop}
    weights = {a.weight for a in alignment.alignments_of(db_session, setup.course_id)}
    assert weights == {1.0, 2.0}
    actions = [e.action for e in db_session.scalars(select(AuditEvent).where(
        AuditEvent.district_id == setup.district_id))]
    assert actions.count("alignment.set") == 3 and actions.count("alignment.reject_suggestion") == 2


def test_short_and_full_codes_find_the_same_standard(db_session):
    setup = make_course(db_session)
    index = alignment.standard_index(db_session, setup.course_id)
    assert index.find("6.RP.A.1") is index.find("CCSS.Math.Content.6.RP.A.1") is index.find(RP_A_1_GUID)
    found = index.codes_in("<p>Practice for 8.EE.1 and CCSS.Math.Content.7.RP.A.2.</p> See 6.rp.a.3")
    assert [s.code for s in found] == ["8.EE.1", "CCSS.Math.Content.7.RP.A.2", "CCSS.Math.Content.6.RP.A.3"]


def test_a_course_without_a_framework_lets_the_teacher_pick_a_district_framework(app, client, db_session):
    setup = make_course(db_session, with_framework=False)
    token = token_for(app, setup)
    page = client.get(f"/teacher/setup/?t={token}")
    assert b"Choose the standards framework" in page.data
    chosen = client.post("/teacher/setup/framework", data={"t": token, "framework_id": setup.framework_id})
    assert chosen.status_code == 303
    assert db_session.get(CourseFramework, setup.course_id).framework_id == setup.framework_id


def test_a_teacher_cannot_read_or_align_another_courses_assignments(app, client, db_session, fake_canvas, http):
    owner = pulled_canvas_course(db_session, fake_canvas, http)
    other = make_course(db_session)
    theirs = db_session.scalar(select(Assignment).where(Assignment.course_id == owner.course_id))
    alignment_row = Alignment(assignment_id=theirs.id, standard_id=owner.standards["8.EE.1"])
    db_session.add(alignment_row)
    db_session.commit()
    token = token_for(app, other)

    assert client.get(f"/teacher/setup/assignments/{theirs.id}?t={token}").status_code == 404
    assert client.post(f"/teacher/setup/assignments/{theirs.id}/alignments",
                       data={"t": token, "standard_id": owner.standards["8.EE.1"]}).status_code == 404
    assert client.post(f"/teacher/setup/alignments/{alignment_row.id}/delete", data={"t": token}).status_code == 404
    assert client.post(f"/teacher/setup/assignments/{theirs.id}/standards-based",
                       data={"t": token, "not_standards_based": "1"}).status_code == 404
    page = client.get(f"/teacher/setup/?t={token}")
    assert theirs.title.encode() not in page.data
    db_session.expire_all()
    assert db_session.get(Alignment, alignment_row.id) is not None
    assert client.get(f"/teacher/setup/?t={token_for(app, other, role='student')}").status_code == 403


def test_a_standard_of_another_framework_cannot_be_aligned(app, client, db_session, fake_canvas, http):
    setup = pulled_canvas_course(db_session, fake_canvas, http)
    other = make_course(db_session)
    assignment = db_session.scalar(select(Assignment).where(Assignment.course_id == setup.course_id))
    response = client.post(f"/teacher/setup/assignments/{assignment.id}/alignments",
                           data={"t": token_for(app, setup), "standard_id": other.standards["8.EE.1"]})
    assert response.status_code == 404


def test_the_setup_page_aligns_marks_and_shows_flags(app, client, db_session, fake_canvas, http):
    setup = pulled_canvas_course(db_session, fake_canvas, http, students=20)
    token = token_for(app, setup)
    assignment = db_session.scalar(select(Assignment).where(Assignment.course_id == setup.course_id,
                                                            Assignment.lms_id == "705"))
    added = client.post(f"/teacher/setup/assignments/{assignment.id}/alignments",
                        data={"t": token, "standard_id": setup.standards["8.EE.1"], "criterion": "_7052",
                              "weight": "0.5"})
    assert added.status_code == 303
    row = db_session.scalar(select(Alignment).where(Alignment.assignment_id == assignment.id))
    assert (row.rubric_criterion, row.weight) == ("_7052", 0.5)
    bad = client.post(f"/teacher/setup/assignments/{assignment.id}/alignments",
                      data={"t": token, "standard_id": setup.standards["8.EE.1"], "weight": "lots"})
    assert bad.status_code == 400 and b"not a number" in bad.data
    client.post(f"/teacher/setup/assignments/{assignment.id}/standards-based",
                data={"t": token, "not_standards_based": "1"})
    db_session.expire_all()
    assert db_session.get(Assignment, assignment.id).not_standards_based is True
    page = client.get(f"/teacher/setup/?t={token}").get_data(as_text=True)
    assert "above the maximum (extra credit)" in page and "excused" in page and "not standards-based" in page


def test_a_canvas_gradebook_export_is_previewed_then_imported_whole(app, client, db_session):
    setup = make_course(db_session, student_ids=["5001", "5002", "5003"])
    token = token_for(app, setup)
    data = (GRADEBOOKS / "canvas_gradebook_export.csv").read_bytes()

    preview = client.post("/teacher/setup/upload", data={"t": token, "file": (__import__("io").BytesIO(data),
                                                                                "grades.csv")},
                          content_type="multipart/form-data")
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Import these scores" in text
    assert "5099" in text  # Canvas's test student is not on the roster and is named
    assert db_session.scalar(select(EvidenceRecord).where(EvidenceRecord.course_id == setup.course_id)) is None

    done = client.post("/teacher/setup/upload/confirm", data={"t": token, "csv_text": data.decode("utf-8-sig")})
    assert done.status_code == 303 and "Gradebook+imported" in done.headers["Location"]
    rows = evidence.list_evidence(db_session, setup.course_id)
    anne = {r.assignment_lms_id: r for r in rows if r.student_lms_id == "5001"}
    assert anne["1201"].score == 8.5 and anne["1201"].max_score == 10
    assert "excused" in anne["1203"].flags
    assert "extra_credit" in {f for r in rows if r.student_lms_id == "5002" for f in r.flags}
    again = evidence.import_gradebook_csv(db_session, db_session.get(Course, setup.course_id), data, actor="t",
                                          district_id=setup.district_id)
    assert again.counts.added == 0 and again.counts.updated == 0


def test_a_gradebook_export_with_errors_imports_nothing_and_names_the_lines(app, client, db_session):
    setup = make_course(db_session, student_ids=["5001", "5002"])
    data = (GRADEBOOKS / "canvas_gradebook_with_errors.csv").read_bytes()
    response = client.post("/teacher/setup/upload", data={"t": token_for(app, setup),
                                                           "file": (__import__("io").BytesIO(data), "bad.csv")},
                           content_type="multipart/form-data")
    text = response.get_data(as_text=True)
    assert "Line 3:" in text and "Line 4:" in text and "Import these scores" not in text
    result = evidence.import_gradebook_csv(db_session, db_session.get(Course, setup.course_id), data, actor="t",
                                           district_id=setup.district_id)
    assert not result.ok
    assert db_session.scalar(select(EvidenceRecord).where(EvidenceRecord.course_id == setup.course_id)) is None


def test_a_moodle_grader_export_matches_students_by_email(db_session):
    setup = make_course(db_session, product="moodle", student_ids=["300", "301", "302"], emails=True)
    data = (GRADEBOOKS / "moodle_grader_report_export.csv").read_bytes()
    course = db_session.get(Course, setup.course_id)
    preview = evidence.preview_gradebook_csv(db_session, course, data)
    assert preview.ok and preview.counts.added > 0 and not preview.counts.unmatched_students
    course = db_session.get(Course, setup.course_id)
    result = evidence.import_gradebook_csv(db_session, course, data, actor="t", district_id=setup.district_id)
    assert result.counts.added == preview.counts.added
    assert result.counts.no_maximum > 0  # Real columns carry no maximum: shown, not dropped


def test_cli_aligns_lists_suggests_and_lists_evidence(app, db_session, fake_canvas, http):
    setup = pulled_canvas_course(db_session, fake_canvas, http)
    runner = app.test_cli_runner()
    base = ["--platform", setup.platform_name, "--course", "101"]

    made = runner.invoke(main, ["align", "set", *base, "--assignment", "701", "--standard", "8.EE.1",
                                "--weight", "2"])
    assert made.exit_code == 0, made.output
    listed = runner.invoke(main, ["align", "list", *base])
    assert listed.output.splitlines() == ["701\tRatios practice 2 (6.RP.A.2)\t\t8.EE.1\t2\tcli"]
    suggested = runner.invoke(main, ["align", "suggest", *base, "--accept"])
    assert "code_in_text" in suggested.output and "Accepted" in suggested.output
    assert runner.invoke(main, ["align", "suggest", *base]).output.strip() == "No suggestions."
    removed = runner.invoke(main, ["align", "remove", *base, "--assignment", "701", "--standard", "8.EE.1"])
    assert removed.exit_code == 0 and "Removed 1" in removed.output
    missing = runner.invoke(main, ["align", "set", *base, "--assignment", "999", "--standard", "8.EE.1"])
    assert missing.exit_code == 1 and "No assignment" in missing.output

    lines = runner.invoke(main, ["evidence", "list", *base]).output.splitlines()
    fields = [line.split("\t") for line in lines]
    assert all(len(f) == 7 for f in fields)
    assert any(f[0] == "5002" and f[1] == "700" and f[3] == "12" and "extra_credit" in f[6] for f in fields)


def test_cli_stores_credentials_encrypted_and_pulls_a_moodle_course(app, db_session, fake_moodle):
    setup = make_course(db_session, product="moodle", lms_course_id="7", student_ids=["300", "301", "302"],
                        issuer=fake_moodle.base_url)
    fake_moodle.add_course(build_moodle_course(7, students=3))
    runner = app.test_cli_runner()
    saved = runner.invoke(main, ["moodle-ws", "set", "--platform", setup.platform_name, "--token", fake_moodle.token])
    assert saved.exit_code == 0, saved.output

    pulled = runner.invoke(main, ["evidence", "pull", "--platform", setup.platform_name, "--course", "7"])
    assert pulled.exit_code == 0, pulled.output
    assert pulled.output.startswith("added 9, updated 0, unchanged 0")
    again = runner.invoke(main, ["evidence", "pull", "--platform", setup.platform_name, "--course", "7"])
    assert again.output.startswith("added 0, updated 0, unchanged 9")

    key = runner.invoke(main, ["canvas-api", "set", "--platform", setup.platform_name, "--client-id", "1",
                               "--client-secret", "s3cret-value"])
    assert key.exit_code == 0 and "/oauth/canvas/callback" in key.output and "s3cret" not in key.output
