"""A Moodle-shaped web-service server: REST protocol, errors as HTTP 200 exception objects, grade report data.

Shapes follow the return structures of `gradereport_user_get_grade_items`, `core_enrol_get_enrolled_users`,
`core_competency_list_course_competencies`, `core_competency_list_course_module_competencies`,
`mod_assign_get_assignments`, `mod_assign_get_submissions` and `mod_assign_get_user_flags` (with their
`warnings` arrays: item, itemid, warningcode as a string, message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.server import FakeHttpServer, json_response

INVALID_TOKEN = {"exception": "moodle_exception", "errorcode": "invalidtoken",
                 "message": "Invalid token - token not found"}
ACCESS_EXCEPTION = {"exception": "webservice_access_exception", "errorcode": "accessexception",
                    "message": "Access control exception"}


def competency(competency_id: int, idnumber: str) -> dict[str, Any]:
    """A competency as competency_exporter writes it."""
    return {"id": competency_id, "shortname": idnumber, "idnumber": idnumber, "description": f"<p>{idnumber}</p>",
            "descriptionformat": 1, "sortorder": 0, "parentid": 0, "path": "/0/", "ruleoutcome": 0,
            "ruletype": None, "ruleconfig": None, "scaleid": None, "scaleconfiguration": None,
            "competencyframeworkid": 1, "timecreated": 1700000000, "timemodified": 1700000000,
            "usermodified": 2}


#: The sample assignment's due date (Unix seconds): student 1 hands in on it, students 2 and 3 after it.
DUE_DATE = 1757000000
#: Student 3's extension on the sample assignment, so their hand-in is not late.
EXTENSION_DATE = 1757100000


def assign_activity(assign_id: int, cmid: int, course_id: int, name: str, *, duedate: int = 0,
                    cutoffdate: int = 0, nosubmissions: int = 0, teamsubmission: int = 0) -> dict[str, Any]:
    """An assignment as mod_assign_get_assignments returns it (intro shown, online text submissions)."""
    return {"id": assign_id, "cmid": cmid, "course": course_id, "name": name, "nosubmissions": nosubmissions,
            "submissiondrafts": 0, "sendnotifications": 0, "sendlatenotifications": 0,
            "sendstudentnotifications": 1, "duedate": duedate, "allowsubmissionsfromdate": 0, "grade": 20,
            "timemodified": 1756000000, "completionsubmit": 0, "cutoffdate": cutoffdate,
            "gradingduedate": 0, "teamsubmission": teamsubmission, "requireallteammemberssubmit": 0,
            "teamsubmissiongroupingid": 0, "blindmarking": 0, "hidegrader": 0, "revealidentities": 0,
            "attemptreopenmethod": "untilpass", "maxattempts": -1, "markingworkflow": 0, "markingallocation": 0,
            "requiresubmissionstatement": 0, "preventsubmissionnotingroup": 0,
            "configs": [{"plugin": "onlinetext", "subtype": "assignsubmission", "name": "enabled", "value": "1"},
                        {"plugin": "comments", "subtype": "assignfeedback", "name": "enabled", "value": "1"}],
            "intro": f"<p>{name}</p>", "introformat": 1, "introfiles": [], "introattachments": []}


def submission(submission_id: int, userid: int, status: str, timemodified: int, *,
               graded: bool = True) -> dict[str, Any]:
    """A submission (latest attempt) as mod_assign_get_submissions returns it."""
    return {"id": submission_id, "userid": userid, "attemptnumber": 0, "timecreated": timemodified - 600,
            "timemodified": timemodified, "status": status, "groupid": 0,
            "plugins": [{"type": "onlinetext", "name": "Online text",
                         "fileareas": [{"area": "submissions_onlinetext", "files": []}],
                         "editorfields": [{"name": "onlinetext", "description": "Online text",
                                           "text": "<p>My answer</p>", "format": 1}]}],
            "gradingstatus": "graded" if graded else "notgraded"}


def user_flag(flag_id: int, userid: int, *, extensionduedate: int = 0) -> dict[str, Any]:
    """A user flag record as mod_assign_get_user_flags returns it."""
    return {"id": flag_id, "userid": userid, "locked": 0, "mailed": 0, "extensionduedate": extensionduedate,
            "workflowstate": "", "allocatedmarker": 0}


@dataclass
class MoodleCourseData:
    """One course: students, grade items, grades, competency links and assignment activities."""

    course_id: int
    students: list[dict[str, Any]]
    items: list[dict[str, Any]]
    grades: dict[tuple[int, int], dict[str, Any]]  # (userid, itemid) -> graderaw / timestamps
    competencies: list[dict[str, Any]] = field(default_factory=list)
    module_competencies: dict[int, list[int]] = field(default_factory=dict)  # cmid -> competency ids
    assignments: list[dict[str, Any]] = field(default_factory=list)  # mod_assign_get_assignments entries
    submissions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # assign id -> latest attempts
    user_flags: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # assign id -> flag records

    def student_submission(self, assign_id: int, userid: int) -> dict[str, Any] | None:
        """A student's submission record to an assignment, if Moodle has one."""
        return next((s for s in self.submissions.get(assign_id, []) if s["userid"] == userid), None)


def build_course(course_id: int = 7, *, students: int = 3) -> MoodleCourseData:
    """A small course with an assignment, a quiz, a manual item, a category and the course total."""
    people: list[dict[str, Any]] = [{"id": 300 + n, "fullname": f"Student {n + 1}", "email": f"s{n + 1}@school.example",
               "idnumber": f"ID{n + 1}", "username": f"s{n + 1}",
               "roles": [{"roleid": 5, "name": "", "shortname": "student", "sortorder": 0}]}
              for n in range(students)]
    people.append({"id": 2, "fullname": "Teacher One", "email": "t@school.example", "idnumber": "",
                   "username": "teacher", "roles": [{"roleid": 3, "shortname": "editingteacher"}]})
    items = [
        {"id": 11, "itemname": "Ratio tables (6.RP.A.3)", "itemtype": "mod", "itemmodule": "assign",
         "iteminstance": 1, "itemnumber": 0, "idnumber": "", "categoryid": 1, "outcomeid": None, "scaleid": None,
         "cmid": 51, "grademin": 0.0, "grademax": 20.0},
        {"id": 12, "itemname": "Unit rates quiz", "itemtype": "mod", "itemmodule": "quiz", "iteminstance": 1,
         "itemnumber": 0, "idnumber": "", "categoryid": 1, "outcomeid": None, "scaleid": None, "cmid": 52,
         "grademin": 0.0, "grademax": 10.0},
        {"id": 13, "itemname": "Participation", "itemtype": "manual", "itemmodule": None, "iteminstance": None,
         "itemnumber": 0, "idnumber": "", "categoryid": 1, "outcomeid": None, "scaleid": None,
         "grademin": 0.0, "grademax": 5.0},
        {"id": 14, "itemname": "Course total", "itemtype": "course", "itemmodule": None, "iteminstance": 1,
         "itemnumber": 0, "idnumber": "", "categoryid": None, "outcomeid": None, "scaleid": None,
         "grademin": 0.0, "grademax": 35.0},
    ]
    grades: dict[tuple[int, int], dict[str, Any]] = {}
    for n, person in enumerate(people[:students]):
        person_id: int = person["id"]
        grades[(person_id, 11)] = {"graderaw": 15.0 + n, "gradedatesubmitted": 1757000000 + n,
                                      "gradedategraded": 1757100000 + n}
        if n != 1:  # student 2 has not taken the quiz
            grades[(person_id, 12)] = {"graderaw": 8.0, "gradedatesubmitted": 1757200000,
                                          "gradedategraded": 1757200000}
        grades[(person_id, 13)] = {"graderaw": 5.0 if n else 6.0, "gradedatesubmitted": None,
                                      "gradedategraded": 1757300000}
    competencies = [competency(71, "CCSS.Math.Content.6.RP.A.3"), competency(72, "CCSS.Math.Content.7.RP.A.2")]
    # Item 11 is assignment 1 (cmid 51): handed in at gradedatesubmitted, due at DUE_DATE; student 3 has an
    # extension, so only student 2 is late.
    assignments = [assign_activity(1, 51, course_id, "Ratio tables (6.RP.A.3)", duedate=DUE_DATE)]
    submissions = {1: [submission(600 + n, person["id"], "submitted", grades[(person["id"], 11)]["gradedatesubmitted"])
                       for n, person in enumerate(people[:students])]}
    flags = {1: [user_flag(700 + n, person["id"], extensionduedate=EXTENSION_DATE if n == 2 else 0)
                 for n, person in enumerate(people[:students])]}
    return MoodleCourseData(course_id, people, items, grades, competencies, {51: [71], 52: [71, 72]},
                            assignments, submissions, flags)


def _id_list(params: Any, name: str) -> list[int]:
    """Moodle's bracketed list parameter (`name[0]=1&name[1]=2`) as ints, in index order."""
    pattern = re.compile(rf"^{re.escape(name)}\[(\d+)\]$")
    indexed = [(int(found.group(1)), int(params[key])) for key in params if (found := pattern.match(key))]
    return [value for _, value in sorted(indexed)]


def warning(item: str, itemid: int, code: str, message: str) -> dict[str, Any]:
    """One entry of an external_warnings array."""
    return {"item": item, "itemid": itemid, "warningcode": code, "message": message}


class FakeMoodle(FakeHttpServer):
    """Moodle's /webservice/rest/server.php, in memory."""

    lms_name = "Moodle"

    def __init__(self, *, latency: float = 0.0, token: str = "ws-token-abc123",
                 functions: set[str] | None = None) -> None:
        super().__init__(latency=latency)
        self.token = token
        self.courses: dict[int, MoodleCourseData] = {}
        self.functions = functions  # None: every function is in the service
        self.competencies_enabled = True
        # The service user is not enrolled in any course: mod_assign_get_assignments only answers with
        # includenotenrolledcourses=1 (Moodle then checks course access instead of enrolment).
        self.service_user_enrolled = False
        # The service user's role lacks mod/assign:grade: submissions and user flags answer with warning 1.
        self.can_grade_assignments = True

    def add_course(self, course: MoodleCourseData) -> MoodleCourseData:
        """Serve this course."""
        self.courses[course.course_id] = course
        return course

    def handle(self, request: Request) -> Response:
        """Answer one web-service call; errors come back as HTTP 200 exception objects, as Moodle does."""
        if request.path != "/webservice/rest/server.php":
            return Response("Not found", status=404)
        params = request.values  # Moodle reads parameters from the query string or the POST body
        if params.get("moodlewsrestformat") != "json":
            return Response("<?xml version=\"1.0\"?><RESPONSE/>", content_type="application/xml")
        if params.get("wstoken") != self.token:
            return json_response(INVALID_TOKEN)
        function = params.get("wsfunction", "")
        if self.functions is not None and function not in self.functions:
            return json_response(ACCESS_EXCEPTION)
        handler = getattr(self, f"_fn_{function}", None)
        if handler is None:
            return json_response({"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
                                  "message": "Can't find data record in database table external_functions."})
        return json_response(handler(params))

    def _course(self, value: str | None) -> MoodleCourseData | dict[str, Any]:
        course = self.courses.get(int(value or 0))
        if course is None:
            return {"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
                    "message": "Can't find data record in database table course."}
        return course

    def _fn_core_webservice_get_site_info(self, params: Any) -> Any:
        return {"sitename": "Fake Moodle", "release": "4.5 (Build: 20241007)", "version": "2024100700",
                "userid": 2, "functions": [{"name": n, "version": "2024100700"} for n in sorted(self.functions or [])]}

    def _fn_core_enrol_get_enrolled_users(self, params: Any) -> Any:
        course = self._course(params.get("courseid"))
        return course if isinstance(course, dict) else course.students

    def _fn_gradereport_user_get_grade_items(self, params: Any) -> Any:
        course = self._course(params.get("courseid"))
        if isinstance(course, dict):
            return course
        userid = int(params.get("userid", 0))
        students = [s for s in course.students if s["roles"][0]["shortname"] == "student"]
        if userid:
            students = [s for s in students if s["id"] == userid]
        usergrades = []
        for student in students:
            items = []
            for item in course.items:
                grade = course.grades.get((student["id"], item["id"]), {})
                entry = {**item, "weightraw": 0.25, "weightformatted": "25.00 %", "status": "",
                         "graderaw": grade.get("graderaw"), "gradedatesubmitted": grade.get("gradedatesubmitted"),
                         "gradedategraded": grade.get("gradedategraded"), "gradehiddenbydate": False,
                         "gradeneedsupdate": False, "gradeishidden": False, "gradeislocked": False,
                         "gradeisoverridden": False,
                         "gradeformatted": "-" if grade.get("graderaw") is None else f"{grade['graderaw']:.2f}",
                         "rangeformatted": f"0&ndash;{item['grademax']:.0f}", "feedback": "", "feedbackformat": 1}
                if entry.get("cmid") is None:
                    entry.pop("cmid", None)  # cmid is only present for module items
                items.append(entry)
            usergrades.append({"courseid": course.course_id, "courseidnumber": "", "userid": student["id"],
                               "userfullname": student["fullname"], "useridnumber": student["idnumber"],
                               "maxdepth": 2, "gradeitems": items})
        return {"usergrades": usergrades, "warnings": []}

    def _disabled(self) -> dict[str, Any] | None:
        if self.competencies_enabled:
            return None
        return {"exception": "moodle_exception", "errorcode": "competenciesarenotenabled",
                "message": "Competencies are not enabled."}

    def _fn_core_competency_list_course_competencies(self, params: Any) -> Any:
        if (error := self._disabled()) is not None:
            return error
        course = self._course(params.get("id"))
        if isinstance(course, dict):
            return course
        return [{"competency": c, "coursecompetency": {"id": 900 + c["id"], "courseid": course.course_id,
                                                        "competencyid": c["id"], "sortorder": 0, "ruleoutcome": 0}}
                for c in course.competencies]

    def _fn_core_competency_list_course_module_competencies(self, params: Any) -> Any:
        if (error := self._disabled()) is not None:
            return error
        cmid = int(params.get("cmid", 0))
        for course in self.courses.values():
            if cmid in course.module_competencies or any(i.get("cmid") == cmid for i in course.items):
                linked = course.module_competencies.get(cmid, [])
                return [{"competency": c, "coursemodulecompetency": {"id": 800 + c["id"], "cmid": cmid,
                                                                      "competencyid": c["id"], "sortorder": 0,
                                                                      "ruleoutcome": 0}}
                        for c in course.competencies if c["id"] in linked]
        return {"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
                "message": "Can't find data record in database table course_modules."}

    # -- mod_assign ---------------------------------------------------------------------------------------

    def _fn_mod_assign_get_assignments(self, params: Any) -> Any:
        requested = _id_list(params, "courseids")
        include_not_enrolled = params.get("includenotenrolledcourses") in ("1", "true")
        warnings: list[dict[str, Any]] = []
        courses = []
        for course_id in requested:
            course = self.courses.get(course_id)
            if not include_not_enrolled and not (self.service_user_enrolled and course is not None):
                warnings.append(warning("course", course_id, "2",
                                        "User is not enrolled or does not have requested capability"))
                continue
            if course is None:
                warnings.append(warning("course", course_id, "1",
                                        "No access rights in course context Can't find data record in database "
                                        "table course."))
                continue
            courses.append({"id": course.course_id, "fullname": "Ratios and rates", "shortname": "RATIOS",
                            "timemodified": 1756000000, "assignments": course.assignments})
        return {"courses": courses, "warnings": warnings}

    def _assign_owner(self, assign_id: int) -> MoodleCourseData | None:
        return next((c for c in self.courses.values() if any(a["id"] == assign_id for a in c.assignments)), None)

    def _fn_mod_assign_get_submissions(self, params: Any) -> Any:
        assignments, warnings = [], []
        for assign_id in _id_list(params, "assignmentids"):
            course = self._assign_owner(assign_id)
            if course is None:
                continue  # Moodle finds no course module for the id and says nothing
            if not self.can_grade_assignments:
                warnings.append(warning("assignment", assign_id, "1", "No access rights in module context"))
                continue
            found = course.submissions.get(assign_id, [])
            if not found:
                warnings.append(warning("module", assign_id, "3", "No submissions found"))
            assignments.append({"assignmentid": assign_id, "submissions": found})
        return {"assignments": assignments, "warnings": warnings}

    def _fn_mod_assign_get_user_flags(self, params: Any) -> Any:
        assignments, warnings = [], []
        for assign_id in _id_list(params, "assignmentids"):
            course = self._assign_owner(assign_id)
            if course is not None and not self.can_grade_assignments:
                warnings.append(warning("assignment", assign_id, "1", "No access rights in module context"))
                continue
            flags = course.user_flags.get(assign_id, []) if course is not None else []
            if not flags:
                warnings.append(warning("assignment", assign_id, "3", "No user flags found"))
                continue
            assignments.append({"assignmentid": assign_id, "userflags": flags})
        return {"assignments": assignments, "warnings": warnings}
