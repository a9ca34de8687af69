"""Words for the state of a course's background score pull: one sentence, the same on the page and in the JSON."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from lti_tool.services.pull_status import PullState

LMS_NAMES = {"canvas": "Canvas", "moodle": "Moodle"}
#: The hint for a Canvas grant that expired or was revoked: the teacher connects again, no score is lost.
RECONNECT_HINT = "Connect to Canvas again; nothing already pulled is lost."


def _time(state: PullState, which: str) -> str:
    moment = getattr(state, which)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


def counts_summary(state: PullState) -> str:
    """"3 added, 1 updated, 20 unchanged; 2 flagged" for a finished pull."""
    line = _("%(added)s added, %(updated)s updated, %(unchanged)s unchanged", added=state.count("added"),
             updated=state.count("updated"), unchanged=state.count("unchanged"))
    if state.flagged:
        line += "; " + _("%(flagged)s flagged for a look (extra credit, missing, ungraded, not on the roster)",
                         flagged=state.flagged)
    return line


def failure_text(state: PullState) -> str:
    """The failure's message (translated when it is one of the product's own), plus the reconnect hint."""
    text = _(state.message) if state.message else _("The pull failed.")
    return f"{text} {_(RECONNECT_HINT)}" if state.reconnect else text


def describe(state: PullState) -> str:
    """One sentence on where the pull stands, for the page's status region and the JSON endpoint."""
    lms = LMS_NAMES.get(state.source, state.source)
    if state.status == "queued":
        return _("A pull of this course's scores from %(lms)s is queued (since %(when)s UTC). This page shows "
                 "its result when it finishes.", lms=lms, when=_time(state, "started_at"))
    if state.status == "running":
        return _("Pulling scores from %(lms)s (started %(when)s UTC). You can keep working; the result shows "
                 "here when it finishes.", lms=lms, when=_time(state, "started_at"))
    if state.status == "ok":
        finished = _("The last pull from %(lms)s finished at %(when)s UTC: %(summary)s.", lms=lms,
                     when=_time(state, "finished_at"), summary=counts_summary(state))
        # A pull that succeeded may still have left something out (e.g. a Moodle function not enabled).
        return f"{finished} {state.message}" if state.message else finished
    if state.status == "failed":
        return _("The last pull from %(lms)s failed at %(when)s UTC: %(reason)s", lms=lms,
                 when=_time(state, "finished_at"), reason=failure_text(state))
    return _("Scores have not been pulled from %(lms)s yet.", lms=lms)


def status_json(state: PullState) -> dict[str, Any]:
    """The status endpoint's body: the state's data plus the sentence the page shows."""
    return {**state.as_json(), "text": describe(state)}
