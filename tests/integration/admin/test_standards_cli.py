"""`sbg standards import|export|list`: real files in all four formats, re-imports, bad files, tenancy."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lti_tool.adapters.importers import FORMATS
from lti_tool.cli import main
from lti_tool.storage.models import Alignment, Framework, Standard

from .builders import DATA, SAMPLES, align, make_district, unique

pytestmark = pytest.mark.usefixtures("app")


def _ensure_registered() -> None:
    from lti_tool.cli.standards_commands import standards

    if "standards" not in main.commands:
        main.add_command(standards)


def _run(app, *args: str, input: bytes | None = None):
    _ensure_registered()
    return app.test_cli_runner().invoke(main, list(args), input=input)


def _counts(output: str) -> dict[str, int]:
    pairs = (line.split(": ") for line in output.splitlines() if line.startswith(("added:", "updated:", "retired:")))
    return {name: int(value) for name, value in pairs}


def _frameworks(db_session, district_id: int) -> list[Framework]:
    db_session.expire_all()
    return list(db_session.scalars(select(Framework).where(Framework.district_id == district_id)))


@pytest.mark.parametrize("fmt", list(SAMPLES))
def test_a_real_file_in_each_format_imports_and_lists_code_tab_label(app, db_session, fmt):
    district = make_district(db_session)
    result = _run(app, "standards", "import", str(SAMPLES[fmt]), "--format", fmt, "--district", district.name)
    assert result.exit_code == 0, result.output
    expected = len(FORMATS[fmt].parse(SAMPLES[fmt].read_bytes()).standards)
    assert _counts(result.output) == {"added": expected, "updated": 0, "retired": 0}
    listing = _run(app, "standards", "list", "--district", district.name)
    lines = listing.output.splitlines()
    assert len(lines) == expected
    assert all(line.count("\t") == 1 and line.split("\t")[1] for line in lines)
    if fmt == "csv":
        assert "8.EE.A.1\tInteger exponents" in lines
    else:
        assert any(line.startswith("CCSS.Math.Content.6.RP.A.1\tUnderstand the concept of a ratio") for line in lines)


@pytest.mark.parametrize("fmt", list(SAMPLES))
def test_an_export_round_trips_to_the_same_standards_and_reimports_unchanged(app, db_session, fmt):
    district = make_district(db_session)
    assert _run(app, "standards", "import", str(SAMPLES[fmt]), "--format", fmt,
                "--district", district.name).exit_code == 0
    exported = _run(app, "standards", "export", "--district", district.name, "--format", fmt)
    assert exported.exit_code == 0, exported.output
    original = FORMATS[fmt].parse(SAMPLES[fmt].read_bytes())
    again = FORMATS[fmt].parse(exported.stdout_bytes)
    shape = [(s.identifier, s.code, s.parent_identifier, s.statement, s.label) for s in original.standards]
    assert [(s.identifier, s.code, s.parent_identifier, s.statement, s.label) for s in again.standards] == shape
    framework = _frameworks(db_session, district.district_id)[0]
    path = DATA.parent / f"_roundtrip_{unique(fmt)}"
    path.write_bytes(exported.stdout_bytes)
    try:
        result = _run(app, "standards", "import", str(path), "--format", fmt, "--district", district.name,
                      "--framework", str(framework.id))
    finally:
        path.unlink()
    assert result.exit_code == 0, result.output
    # Moodle has no "cluster" taxonomy term: the sample's six clusters come back as "competency" kinds.
    updated = sum(1 for s in original.standards if s.kind == "cluster") if fmt == "moodle" else 0
    assert _counts(result.output) == {"added": 0, "updated": updated, "retired": 0}


def test_reimporting_a_newer_version_updates_by_identifier_retires_and_keeps_alignments(app, db_session):
    district = make_district(db_session)
    assert _run(app, "standards", "import", str(DATA / "grade8-expressions-v1.csv"), "--format", "csv",
                "--district", district.name, "--title", "Grade 8 expressions").exit_code == 0
    framework = _frameworks(db_session, district.district_id)[0]
    by_code = {s.code: s for s in db_session.scalars(select(Standard).where(Standard.framework_id == framework.id))}
    kept_alignment = align(db_session, district.course_id, by_code["8.EE.A.1"].id)
    dropped_alignment = align(db_session, district.course_id, by_code["8.EE.A.3"].id)

    result = _run(app, "standards", "import", str(DATA / "grade8-expressions-v2.csv"), "--format", "csv",
                  "--district", district.name, "--title", "Grade 8 expressions")
    assert result.exit_code == 0, result.output
    assert _counts(result.output) == {"added": 1, "updated": 1, "retired": 1}
    assert "version 2" in result.output

    db_session.expire_all()
    after = {s.code: s for s in db_session.scalars(select(Standard).where(Standard.framework_id == framework.id))}
    assert after["8.EE.A.1"].id == by_code["8.EE.A.1"].id
    assert "3^2" in after["8.EE.A.1"].statement
    assert after["8.EE.A.3"].retired_at is not None
    assert after["8.EE.A.4"].retired_at is None and after["8.EE.A.4"].parent_id == after["8.EE.A"].id
    assert db_session.get(Alignment, kept_alignment).standard_id == after["8.EE.A.1"].id
    assert db_session.get(Alignment, dropped_alignment).standard_id == after["8.EE.A.3"].id
    assert db_session.get(Framework, framework.id).version == 2
    listing = _run(app, "standards", "list", "--district", district.name).output
    assert "8.EE.A.3\t" not in listing and "8.EE.A.4\tOperations in scientific notation" in listing

    restored = _run(app, "standards", "import", str(DATA / "grade8-expressions-v1.csv"), "--format", "csv",
                    "--district", district.name, "--title", "Grade 8 expressions")
    assert _counts(restored.output) == {"added": 0, "updated": 2, "retired": 1}
    db_session.expire_all()
    assert db_session.get(Standard, by_code["8.EE.A.3"].id).retired_at is None
    assert db_session.get(Framework, framework.id).version == 3


def test_a_dry_run_prints_the_counts_and_writes_nothing(app, db_session):
    district = make_district(db_session)
    result = _run(app, "standards", "import", str(SAMPLES["case"]), "--format", "case", "--district",
                  district.name, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would import" in result.output and _counts(result.output)["added"] == 16
    assert _frameworks(db_session, district.district_id) == []


BAD_CSV_HEADER = b"code,parent_code,label,statement,grade,subject\n"
BAD_FILES = {
    "missing parent": ("csv", BAD_CSV_HEADER + b"8.EE,,Expressions,S,8,M\n8.EE.A,8.EX,Radicals,Work.,8,M\n",
                       "line 3, parent_code: parent '8.EX' of '8.EE.A' is not in the file"),
    "duplicate code": ("csv", BAD_CSV_HEADER + b"8.EE,,A,S,8,M\n8.EE,,B,S,8,M\n",
                       "line 3, code: duplicate code '8.EE' (first used on line 2)"),
    "cycle": ("csv", BAD_CSV_HEADER + b"A,B,a,s,8,M\nB,A,b,s,8,M\n",
              "line 2, parent_code: parents form a cycle: 'A' → 'B' → 'A'"),
    "unknown column": ("csv", b"code,parent_code,label,statement,grade,subject,colour\nA,,a,s,8,M,red\n",
                       "line 1, colour: unknown column 'colour'"),
    "wrong encoding": ("csv", "code,parent_code,label,statement,grade,subject\nA,,Über,s,8,M\n".encode("latin-1"),
                       "line 2: not UTF-8 text (byte 0xDC at column 4); save the file as UTF-8"),
    "empty file": ("csv", b"", "file: the file is empty"),
    "case missing parent": (
        "case", (b'{"CFDocument": {"identifier": "d", "title": "t"}, "CFItems": [{"identifier": "a", '
                b'"fullStatement": "x", "humanCodingScheme": "A"}], "CFAssociations": [{"identifier": "s", '
                b'"associationType": "isChildOf", "originNodeURI": {"identifier": "a"}, '
                b'"destinationNodeURI": {"identifier": "zz"}}]}'),
        "$.CFAssociations[0].destinationNodeURI: parent 'zz' of 'A' is not in the file"),
    "case not json": ("case", b"{", "line 1: not valid JSON"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_exits_non_zero_with_its_located_reason_and_changes_nothing(app, db_session, tmp_path, case):
    fmt, data, message = BAD_FILES[case]
    district = make_district(db_session)
    path = tmp_path / f"bad.{fmt}"
    path.write_bytes(data)
    result = _run(app, "standards", "import", str(path), "--format", fmt, "--district", district.name)
    assert result.exit_code != 0
    assert message in result.stderr
    assert "nothing was imported" in result.stderr
    assert _frameworks(db_session, district.district_id) == []


def test_a_bad_reimport_leaves_the_stored_version_untouched(app, db_session, tmp_path):
    district = make_district(db_session)
    assert _run(app, "standards", "import", str(SAMPLES["csv"]), "--format", "csv", "--district",
                district.name, "--title", "G8").exit_code == 0
    framework = _frameworks(db_session, district.district_id)[0]
    bad = tmp_path / "g8.csv"
    bad.write_bytes(SAMPLES["csv"].read_bytes() + b"8.EE.B.5,8.EE.B,Proportional,Graph it.,8,Mathematics\n")
    result = _run(app, "standards", "import", str(bad), "--format", "csv", "--district", district.name,
                  "--title", "G8")
    assert result.exit_code != 0 and "line 7, parent_code" in result.stderr
    db_session.expire_all()
    assert db_session.get(Framework, framework.id).version == 1
    total = db_session.scalar(select(func.count(Standard.id)).where(Standard.framework_id == framework.id))
    assert total == 5


def test_list_and_export_only_see_the_named_district(app, db_session):
    mine, theirs = make_district(db_session), make_district(db_session)
    assert _run(app, "standards", "import", str(SAMPLES["csv"]), "--format", "csv", "--district",
                mine.name).exit_code == 0
    assert _run(app, "standards", "import", str(SAMPLES["case"]), "--format", "case", "--district",
                theirs.name).exit_code == 0
    listing = _run(app, "standards", "list", "--district", mine.name).output
    assert "8.EE.A.1" in listing and "CCSS" not in listing
    their_framework = _frameworks(db_session, theirs.district_id)[0]
    stolen = _run(app, "standards", "export", "--district", mine.name, "--format", "csv",
                  "--framework", str(their_framework.id))
    assert stolen.exit_code != 0 and f"No framework {their_framework.id} in this district" in stolen.stderr
    peek = _run(app, "standards", "list", "--district", mine.name, "--framework", str(their_framework.id))
    assert peek.exit_code != 0
    update = _run(app, "standards", "import", str(SAMPLES["csv"]), "--format", "csv", "--district", mine.name,
                  "--framework", str(their_framework.id))
    assert update.exit_code != 0


def test_an_unknown_district_is_refused(app):
    result = _run(app, "standards", "list", "--district", unique("nowhere"))
    assert result.exit_code != 0 and "No district named" in result.stderr


def test_a_case_package_can_be_imported_from_an_https_address(app, db_session, monkeypatch):
    from lti_tool.services import frameworks

    requested = []

    def fake_fetch(url: str) -> bytes:
        requested.append(url)
        return SAMPLES["case"].read_bytes()

    monkeypatch.setattr(frameworks, "fetch_url", fake_fetch)
    district = make_district(db_session)
    url = "https://case.example.org/ims/case/v1p0/CFDocuments/20c5134f-423d-4097-a971-3dd5152bf507"
    result = _run(app, "standards", "import", url, "--format", "case", "--district", district.name)
    assert result.exit_code == 0, result.output
    assert requested == [url.replace("CFDocuments", "CFPackages")]
    assert _counts(result.output)["added"] == 16
