"""Request ids, JSON log lines without secrets, and Prometheus metrics."""

import json
import logging

from lti_tool.observability import JsonFormatter


def test_every_response_carries_a_request_id_and_a_safe_incoming_one_is_kept(client):
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-1234567890"}).headers["X-Request-ID"]
    assert kept == "lb-1234567890"
    replaced = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"]
    assert replaced != "<script>"


def test_each_request_logs_one_json_line_with_ids_and_no_token(register, driver, caplog):
    registered = register("moodle")
    result = driver.launch("moodle", "learner", client_id=registered.client_id, platform_storage=False)
    location = result.response.headers["Location"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sbg.request"):
        driver.client.get(location)
    records = [r for r in caplog.records if r.name == "sbg.request"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["event"] == "request" and line["status"] == 200 and line["path"] == "/student/"
    assert isinstance(line["course_id"], int) and isinstance(line["person_id"], int)
    assert "?t=" not in json.dumps(line) and location.split("t=")[1] not in json.dumps(line)


def test_metrics_count_launches_and_requests(register, driver, client):
    registered = register("canvas")
    before = client.get("/metrics").get_data(as_text=True)
    driver.launch("canvas", "learner", client_id=registered.client_id, platform_storage=False)
    after = client.get("/metrics").get_data(as_text=True)

    def value(text, name):  # type: ignore[no-untyped-def]
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    assert value(after, 'sbg_launches_total{outcome="ok"}') == value(before, 'sbg_launches_total{outcome="ok"}') + 1
    assert "sbg_http_request_seconds_bucket" in after
    assert "sbg_sync_queue_depth" in after
    assert "sbg_lms_throttled_total" in after
