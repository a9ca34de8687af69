"""A Moodle-shaped web-service server: REST protocol, errors as HTTP 200 exception objects, grade report data.

Shapes follow the return structures of `gradereport_user_get_grade_items`, `core_enrol_get_enrolled_users`,
`core_competency_list_course_competencies` and `core_competency_list_course_module_competencies`.
"""

from __future__ import annotations

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


@dataclass
class MoodleCourseData:
    """One course: students, grade items, grades and competency links."""

    course_id: int
    students: list[dict[str, Any]]
    items: list[dict[str, Any]]
    grades: dict[tuple[int, int], dict[str, Any]]  # (userid, itemid) -> graderaw / timestamps
    competencies: list[dict[str, Any]] = field(default_factory=list)
    module_competencies: dict[int, list[int]] = field(default_factory=dict)  # cmid -> competency ids


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
    return MoodleCourseData(course_id, people, items, grades, competencies, {51: [71], 52: [71, 72]})


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
