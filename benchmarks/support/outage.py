"""The "LMS is down for a while" scenario against the deployed stack, shared by `benchmarks.lms_outage` and
`tests/integration/production/test_lms_outage.py`.

A Canvas course with a few hundred scores is synced through `sbg sync run` (Redis queue, `sbg worker`); once
the first scores have arrived, the test LMS's service endpoints (token, AGS, NRPS) and the fake Canvas REST
API go down for a window: 5xx answers, or requests held longer than the client waits (and then processed,
so a time-out may hide a stored score). An evidence pull starts inside the window; `/healthz` and LTI
launches are exercised throughout. Afterwards the scenario waits for the sync to finish by itself, runs the
next evidence pull, and compares both sides: scores per gradebook cell, duplicates, refused posts, items left
failed, evidence rows against Canvas's submissions, and how long after recovery the last grade arrived.

    with OutageLab(stack, lms, canvas) as lab:
        report = lab.run(OutagePlan(mode="5xx", seconds=60, hang=0))
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy import select

from benchmarks.support.stack import ProductionStack
from tests.fakes.canvas_server import FakeCanvas, build_course
from tests.lti_platform import LaunchDriver, LtiPlatform, Outage

LAUNCH_PROFILE = "moodle"
LAUNCH_CLIENT = "outage-launches"
EVIDENCE_TOKEN = "outage-evidence-token"


@dataclass(frozen=True)
class OutagePlan:
    """One run: how the LMS fails, for how long, and the size of the course."""

    mode: str | None  # "5xx", "timeout", or None for the baseline without an outage
    seconds: float = 60.0
    hang: float = 0.0  # "timeout": how long each request is held (more than the tool's time-out)
    students: int = 20
    standards: int = 15
    start_after_scores: int = 40  # the outage begins once this many scores have arrived
    evidence_students: int = 20
    evidence_assignments: int = 20
    pull_read_timeout: float = 30.0  # the evidence pull's HTTP read time-out (production: 30 s)
    finish_timeout: float = 900.0  # give up waiting for the sync this long after the outage ends


@dataclass
class OutageReport:
    """What happened in one run, on both sides."""

    plan: OutagePlan
    planned: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    cells_with_score: int = 0
    wrong_values: int = 0
    missing_cells: int = 0
    applied_posts: int = 0
    duplicate_posts: int = 0  # applied posts beyond the first per cell (same value, same timestamp)
    refused_posts: Counter[int] = field(default_factory=Counter)  # status -> count of posts the LMS refused
    sync_seconds: float = 0.0  # sync queued -> last grade stored
    outage_started_after: float = 0.0  # sync queued -> outage start
    recovered_after: float | None = None  # outage end -> last grade stored
    requests_in_outage: int = 0  # service requests that arrived during the window (LMS + Canvas)
    first_pull: str = ""
    second_pull: str = ""
    evidence_rows: int = 0
    canvas_submissions: int = 0
    evidence_missing: int = 0
    evidence_wrong: int = 0
    rows_wrong_after_failed_pull: int = 0
    health: Counter[int] = field(default_factory=Counter)
    launches: Counter[str] = field(default_factory=Counter)
    finished: bool = False

    @property
    def exactly_once(self) -> bool:
        """Every planned score is in the gradebook once, with its value, and nothing failed."""
        return (self.finished and self.missing_cells == 0 and self.wrong_values == 0 and self.duplicate_posts == 0
                and set(self.statuses) <= {"sent"} and self.cells_with_score == self.planned)

    @property
    def evidence_complete(self) -> bool:
        """The tool holds exactly Canvas's submissions with Canvas's scores."""
        return self.evidence_missing == 0 and self.evidence_wrong == 0 and self.evidence_rows == self.canvas_submissions


class Monitor(threading.Thread):
    """Polls /healthz and launches a fresh learner every few seconds until stopped."""

    def __init__(self, lab: "OutageLab", health_every: float = 0.5, launch_every: float = 2.0) -> None:
        super().__init__(name="outage-monitor", daemon=True)
        self.lab = lab
        self.health_every = health_every
        self.launch_every = launch_every
        self.health: Counter[int] = Counter()
        self.launches: Counter[str] = Counter()
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Probe until `stop()`."""
        session = self.lab.stack.http()
        next_launch = 0.0
        while not self._stop_event.is_set():
            self.health[self.lab.stack.health(session)] += 1
            if time.monotonic() >= next_launch:
                self.launches[self.lab.launch()] += 1
                next_launch = time.monotonic() + self.launch_every
            self._stop_event.wait(self.health_every)

    def stop(self) -> None:
        """Stop probing and wait for the thread."""
        self._stop_event.set()
        self.join(timeout=60)


class OutageLab:
    """The stack, the test LMS and the fake Canvas, wired together for outage runs."""

    def __init__(self, stack: ProductionStack, lms: LtiPlatform, canvas: FakeCanvas, *,
                 latency: float = 0.05) -> None:
        self.stack = stack
        self.lms = lms
        self.canvas = canvas
        self.latency = latency
        self.app: Any = None
        self.launch_course = f"outage-{uuid.uuid4().hex[:8]}"

    # -- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> "OutageLab":
        from lti_tool import create_app

        self.app = create_app(self.stack.app_overrides())
        self.lms.faults.latency = self.latency
        self.canvas.latency = self.latency
        self.canvas.add_token(EVIDENCE_TOKEN)
        self.stack.register(self.lms, LAUNCH_PROFILE, LAUNCH_CLIENT, district=f"launch-{uuid.uuid4().hex[:6]}")
        self.lms.add_course(self.launch_course, "LAUNCH", "Launches during the outage")
        return self

    def __exit__(self, *exc: object) -> None:
        self.lms.faults.outage = None
        self.canvas.outage = None
        if self.app is not None:
            self.app.extensions["sbg"].engine.dispose()

    @property
    def sessions(self) -> Any:
        """The tool's session factory on the stack's PostgreSQL."""
        return self.app.extensions["sbg"].sessions

    # -- probes --------------------------------------------------------------------------------------

    def launch(self) -> str:
        """One learner launch and the page it lands on: "ok", or what failed."""
        user = self.lms.add_user(uuid.uuid4().hex[:12], "Learner", "Outage")
        self.lms.enroll(self.launch_course, user, "learner")
        session = self.stack.http()
        try:
            result = LaunchDriver(self.lms, session, base_url=self.stack.base_url).launch(
                LAUNCH_PROFILE, "learner", client_id=LAUNCH_CLIENT, course=self.launch_course, user=user.id)
            if result.status_code != 303:
                return f"launch {result.status_code}"
            page = session.get(self.stack.base_url + result.response.headers["Location"], timeout=30)
            return "ok" if page.status_code == 200 else f"page {page.status_code}"
        except requests.RequestException as error:
            return f"error {type(error).__name__}"
        finally:
            session.close()

    # -- building the courses ------------------------------------------------------------------------

    def build(self, plan: OutagePlan) -> tuple[Any, int, int]:
        """The synced course (GradebookCourse), the evidence course's tool id and its Canvas id."""
        from lti_tool.services.keys import published_jwks
        from lti_tool.storage.db import session_scope
        from lti_tool.storage.models import Course, CourseFramework, Enrollment, Person
        from tests.integration.sync.gradebook_course import build_course as build_gradebook_course

        with session_scope(self.sessions) as session:
            jwks = published_jwks(session)
            made = build_gradebook_course(session, self.lms, self.stack.base_url, "canvas", students=plan.students,
                                          standards=plan.standards, tool_jwks=jwks)
            synced = session.get(Course, made.course_id)
            assert synced is not None
            canvas_id = int(uuid.uuid4().int % 10**8) + 1000
            data = self.canvas.add_course(build_course(canvas_id, students=plan.evidence_students,
                                                       assignments=plan.evidence_assignments))
            course = Course(platform_id=synced.platform_id, deployment_id=synced.deployment_id,
                            context_id=f"ctx-{canvas_id}", title="Evidence", label="EVID",
                            lms_course_id=str(canvas_id))
            session.add(course)
            session.flush()
            framework_id = session.scalar(select(CourseFramework.framework_id)
                                          .where(CourseFramework.course_id == made.course_id))
            session.add(CourseFramework(course_id=course.id, framework_id=framework_id))
            for student_id in data.student_ids:
                person = Person(platform_id=synced.platform_id, sub=f"evidence-{canvas_id}-{student_id}",
                                name=f"Student {student_id}", lms_user_id=str(student_id))
                session.add(person)
                session.flush()
                session.add(Enrollment(course_id=course.id, person_id=person.id, role="student"))
            return made, course.id, canvas_id

    # -- evidence ------------------------------------------------------------------------------------

    def pull(self, course_id: int, read_timeout: float) -> str:
        """One incremental evidence pull with the pull service; its counts, or the error it ended with."""
        from lti_tool.adapters.canvas import CanvasClient
        from lti_tool.adapters.canvas_oauth import StaticAccessToken
        from lti_tool.adapters.http import HttpSettings, LmsError, build_session
        from lti_tool.services import evidence
        from lti_tool.storage.models import Course

        http = build_session(self.stack.base_url, HttpSettings(read_timeout=read_timeout))
        try:
            with self.sessions() as session:
                course = session.get(Course, course_id)
                client = CanvasClient(self.canvas.base_url, StaticAccessToken(EVIDENCE_TOKEN), http)
                try:
                    return "ok: " + evidence.pull_canvas(session, course, client).describe()
                except LmsError as error:
                    return f"failed: {error.message}"
        finally:
            http.close()

    def compare_evidence(self, course_id: int, canvas_id: int) -> tuple[int, int, int, int]:
        """(tool rows, Canvas submissions, missing, wrong) for the assignment-level evidence of a course."""
        from lti_tool.storage.models import Assignment, EvidenceRecord, Person

        expected = {(str(s["user_id"]), str(s["assignment_id"])): s["score"]
                    for s in self.canvas.courses[canvas_id].submissions}
        with self.sessions() as session:
            rows = session.execute(
                select(Person.lms_user_id, Assignment.lms_id, EvidenceRecord.score)
                .join(Person, Person.id == EvidenceRecord.person_id)
                .join(Assignment, Assignment.id == EvidenceRecord.assignment_id)
                .where(EvidenceRecord.course_id == course_id, EvidenceRecord.rubric_criterion == "")).all()
        stored = {(user, assignment): score for user, assignment, score in rows}
        missing = sum(1 for key in expected if key not in stored)
        wrong = sum(1 for key, score in stored.items() if key not in expected or expected[key] != score)
        return len(rows), len(expected), missing, wrong

    # -- the gradebook -------------------------------------------------------------------------------

    def applied_posts(self, client_id: str) -> list[Any]:
        """The score posts the LMS stored for this client's line items."""
        items = {item.id for item in self.lms.ags.items.values() if item.client_id == client_id}
        return [post for post in list(self.lms.ags.score_posts) if post.line_item_id in items]

    def run_finished(self, run_id: int) -> bool:
        """Whether every item of the run has an answer."""
        from lti_tool.services import sync

        with self.sessions() as session:
            return sync.run_progress(session, run_id).finished

    def check_gradebook(self, made: Any, run_id: int, report: OutageReport) -> None:
        """Planned scores against the LMS's results and score posts."""
        from lti_tool.storage.models import SyncItem, SyncLineItem

        with self.sessions() as session:
            items = session.scalars(select(SyncItem).where(SyncItem.run_id == run_id)).all()
            urls = dict(session.execute(select(SyncLineItem.target, SyncLineItem.url)
                                        .where(SyncLineItem.course_id == made.course_id)).all())
            report.statuses = Counter(item.status for item in items)
            planned = [(urls.get(item.target), item.user_id, item.score_given, item.score_maximum) for item in items]
        report.planned = len(planned)
        by_url = {self.lms.lineitem_url(item): item for item in self.lms.ags.items.values()
                  if item.client_id == made.client_id}
        for url, user_id, score, maximum in planned:
            item = by_url.get(url or "")
            result = self.lms.ags.result(item, user_id) if item is not None else None
            if result is None or result.score is None:
                report.missing_cells += 1
                continue
            report.cells_with_score += 1
            if abs(result.score / item.score_maximum * maximum - score) > 1e-6:
                report.wrong_values += 1
        posts = self.applied_posts(made.client_id)
        per_cell = Counter((post.line_item_id, post.body.get("userId")) for post in posts if post.applied)
        report.applied_posts = sum(per_cell.values())
        report.duplicate_posts = sum(count - 1 for count in per_cell.values())
        report.refused_posts = Counter(post.status for post in posts if not post.applied)

    # -- one run -------------------------------------------------------------------------------------

    def run(self, plan: OutagePlan) -> OutageReport:
        """Sync, break the LMS for the plan's window, pull evidence inside it, and measure the recovery."""
        report = OutageReport(plan)
        made, evidence_course, canvas_id = self.build(plan)
        monitor = Monitor(self)
        monitor.start()
        pull_result: dict[str, str] = {}
        try:
            hits_before = self.lms.faults.outage_hits + self.canvas.outage_hits
            queued_at = time.time()
            output = self.stack.sbg("sync", "run", "--platform", made.platform_name, "--course",
                                    made.lms_course_id).stdout
            run_id = int(output.split()[1])
            outage_end = None
            if plan.mode is not None:
                _wait_until(lambda: len(self.applied_posts(made.client_id)) >= plan.start_after_scores,
                            120, "the first scores")
                outage = Outage.starting_now(plan.mode, plan.seconds, hang=plan.hang)
                self.lms.faults.outage = outage
                self.canvas.outage = outage
                report.outage_started_after = outage.starts_at - queued_at
                outage_end = outage.ends_at
                puller = threading.Thread(target=lambda: pull_result.update(
                    first=self.pull(evidence_course, plan.pull_read_timeout)), daemon=True)
                puller.start()
                time.sleep(max(0.0, outage.ends_at - time.time()))
                puller.join(timeout=plan.finish_timeout)
            else:
                pull_result["first"] = self.pull(evidence_course, plan.pull_read_timeout)
            report.first_pull = pull_result.get("first", "still running")
            # Rows written by a pull that failed half way must each be whole and right.
            _, _, _, wrong = self.compare_evidence(evidence_course, canvas_id)
            report.rows_wrong_after_failed_pull = wrong
            limit = plan.finish_timeout + max(0.0, (outage_end or time.time()) - time.time())
            try:
                _wait_until(lambda: self.run_finished(run_id), limit, "the sync to finish")
                report.finished = True
            except TimeoutError:
                report.finished = False
            # The next pull (the half-hourly one, or the teacher's button) resumes the evidence.
            report.second_pull = self.pull(evidence_course, plan.pull_read_timeout)
        finally:
            monitor.stop()
            self.lms.faults.outage = None
            self.canvas.outage = None
        report.requests_in_outage = self.lms.faults.outage_hits + self.canvas.outage_hits - hits_before
        self.check_gradebook(made, run_id, report)
        stored_at = [post.at for post in self.applied_posts(made.client_id) if post.applied]
        if stored_at:
            report.sync_seconds = max(stored_at) - queued_at
            if outage_end is not None:
                report.recovered_after = max(stored_at) - outage_end
        (report.evidence_rows, report.canvas_submissions, report.evidence_missing,
         report.evidence_wrong) = self.compare_evidence(evidence_course, canvas_id)
        report.health, report.launches = monitor.health, monitor.launches
        return report


def _wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
