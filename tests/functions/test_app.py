"""What the Functions host sees: function names and bindings, host.json, the sample settings, OpenAPI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from functions import openapi
from functions.orchestrator import NAME
from functions.registry import ACTIVITIES
from shared.adapters.base import JobNotFound
from shared.domain import Job, SourceRef
from tests.functions.helpers import Intake

ROOT = Path(__file__).resolve().parents[2]


def _bindings(fn: Any) -> dict[str, dict[str, Any]]:
    return {b["type"]: b for b in (json.loads(raw) for raw in fn.get_raw_bindings())}


def test_blob_trigger_uses_event_grid_on_the_evidence_account(app_functions: dict[str, Any]) -> None:
    b = _bindings(app_functions["blob_uploaded"])
    assert b["blobTrigger"]["source"] == "EventGrid"
    assert b["blobTrigger"]["connection"] == "EvidenceStorage"
    assert b["blobTrigger"]["path"] == "incoming/{name}"
    assert b["blobTrigger"]["name"] == "blob" and b["durableClient"]["name"] == "client"
    # the SDK-type binding: the trigger gets a BlobClient, never the content in memory
    hints = app_functions["blob_uploaded"].get_user_function().__wrapped__.__annotations__
    assert hints["blob"].__module__.startswith("azurefunctions.extensions.bindings.blob")


def test_event_grid_trigger_and_orchestration(app_functions: dict[str, Any]) -> None:
    assert set(_bindings(app_functions["force_blob_created"])) == {"eventGridTrigger", "durableClient"}
    assert _bindings(app_functions[NAME])["orchestrationTrigger"]["name"] == "context"


def test_one_activity_trigger_per_registry_entry(app_functions: dict[str, Any], intake: Intake) -> None:
    activities = {name for name, fn in app_functions.items() if "activityTrigger" in _bindings(fn)}
    assert activities == set(ACTIVITIES)
    for name in ACTIVITIES:
        assert _bindings(app_functions[name])["activityTrigger"]["name"] == "payload"
    # the registered function runs the registry's function on the payload
    start_job = app_functions["start_job"].get_user_function()
    with pytest.raises(JobNotFound):
        start_job({"job_id": "job-none", "force_id": "met"})
    source = SourceRef("incoming/met/a.wav", "a.wav")
    job = intake.services.jobs.create(Job(job_id="job-1", force_id="met", source=source))
    assert start_job({"job_id": job.job_id, "force_id": "met"}) == {"attempt": 1, "kind": "media"}
    assert intake.services.jobs.get("met", "job-1").progress.stage == "probing"  # type: ignore[union-attr]


def _http_routes(app_functions: dict[str, Any]) -> set[tuple[str, str]]:
    routes = set()
    for fn in app_functions.values():
        http = _bindings(fn).get("httpTrigger")
        if http:
            assert http["authLevel"] == "FUNCTION"  # a function key as well as the Entra principal
            if http["route"] != "page/{*path}":  # the page's files (functions/azure/page.py), not the API
                routes |= {(f"/api/{http['route']}", m.lower()) for m in http["methods"]}
    return routes


def test_every_http_route_is_in_the_openapi_document(app_functions: dict[str, Any]) -> None:
    routes = _http_routes(app_functions)
    assert ("/api/v1/jobs", "post") in routes and len(routes) == 14
    doc = openapi.build_document()
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert routes == documented
    for path, ops in doc["paths"].items():
        for op in ops.values():
            params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert params == set(re.findall(r"{(\w+)}", path))
    # every $ref resolves
    text = json.dumps(doc)
    for ref in re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', text):
        assert ref[1] in doc["components"][ref[0]]


def test_docs_openapi_json_is_current() -> None:
    assert openapi.DOC_PATH == ROOT / "docs" / "openapi.json"
    assert openapi.DOC_PATH.read_text(encoding="utf-8") == openapi.render(), "run: python -m functions.openapi"


def test_host_json() -> None:
    host = json.loads((ROOT / "host.json").read_text())
    assert host["version"] == "2.0"
    assert host["extensionBundle"] == {"id": "Microsoft.Azure.Functions.ExtensionBundle", "version": "[4.*, 5.0.0)"}
    durable = host["extensions"]["durableTask"]
    assert durable["hubName"] == "%TOEX_TASK_HUB%"
    assert durable["tracing"]["traceInputsAndOutputs"] is False
    assert "Request" in host["logging"]["applicationInsights"]["samplingSettings"]["excludedTypes"]


def test_sample_settings_name_every_setting_without_secrets() -> None:
    values = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    read = set(re.findall(r'"(TOEX_[A-Z_]+)"', (ROOT / "shared" / "settings.py").read_text()))
    read |= set(re.findall(r'"(TOEX_[A-Z_]+)"', (ROOT / "functions" / "intake.py").read_text()))
    assert read - {"TOEX_CACHE"} and read <= set(values), sorted(read - set(values))
    assert "TOEX_TASK_HUB" in values
    for key in ("FUNCTIONS_WORKER_RUNTIME", "AzureWebJobsFeatureFlags", "AzureWebJobsStorage__accountName",
                "AzureWebJobsStorage__credential", "EvidenceStorage__blobServiceUri",
                "EvidenceStorage__queueServiceUri"):
        assert key in values
    assert values["FUNCTIONS_WORKER_RUNTIME"] == "python"
    text = json.dumps(values).lower()
    for secret in ("accountkey=", "sharedaccesssignature", "sig=", "password", "secret"):
        assert secret not in text


def test_every_log_record_carries_the_job_id(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from functions.azure.triggers import _activity
    from shared.logcontext import install_log_correlation

    install_log_correlation()
    install_log_correlation()  # idempotent

    def step(payload: dict[str, str]) -> str:
        logging.getLogger("toex.test").warning("step done")
        return "ok"

    with caplog.at_level(logging.INFO):
        assert _activity("step", step)({"job_id": "job-abc", "force_id": "met"}) == "ok"
        logging.getLogger("toex.test").warning("outside")
    assert [(r.getMessage(), r.job_id) for r in caplog.records] == [("step done", "job-abc"), ("outside", "-")]
