"""The OpenAPI 3 document of the HTTP API, served at ``/api/v1/openapi.json`` and kept in docs/openapi.json.

``python -m functions.openapi`` rewrites docs/openapi.json; a test checks that the file is current and
that every HTTP route the app registers is described here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from functions import upload_sas
from shared.outputs.formats import FORMATS
from shared.outputs.languages import LANGUAGE_NAMES

MAX_BODY_BYTES = 16 * 1024  # a submit body is a URL and a few options
_LANG = sorted(LANGUAGE_NAMES)

DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"

_JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"},
           "description": "The job id (``job-`` and 32 hex digits)."}
MAX_PERSONS, MAX_PERSON_NAME = 20, 80  # functions.intake's (tests/functions/test_record_options.py holds them equal)
_REF = ("The {} reference (letters, digits, / . - and spaces, at most 64), shown in the record's header; a "
        "document job keeps it on the job.")
_ERR = {"$ref": "#/components/responses/Problem"}
_AUTH = {"401": _ERR, "403": _ERR}


def _ok(description: str, schema: str, status: str = "200") -> dict[str, Any]:
    return {status: {"description": description,
                     "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}}


SCHEMAS: dict[str, Any] = {
    "Options": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "language": {"type": ["string", "null"], "enum": [*_LANG, None],
                         "description": "Spoken language code (e.g. 'pl'); detected if absent."},
            "translate_to": {"type": ["string", "null"], "enum": [*_LANG, None],
                             "description": "Translation target language code, e.g. 'en'."},
            "formats": {"type": "array", "minItems": 1, "maxItems": len(FORMATS), "items": {"enum": list(FORMATS)}},
            "word_timestamps": {"type": "boolean"},
            "initial_prompt": {"type": ["string", "null"], "maxLength": 500},
            "hotwords": {"type": ["string", "null"], "maxLength": 500},
            "speakers": {"type": ["string", "integer", "null"], "pattern": r"auto|off|\d{1,2}(-\d{1,2})?",
                         "description": "Label speakers: 'auto' (count found), N, or a range 'LOW-HIGH'; "
                                        "absent or 'off': no diarization."},
            "case_ref": {"type": ["string", "null"], "maxLength": 64, "description": _REF.format("case")},
            "exhibit_ref": {"type": ["string", "null"], "maxLength": 64, "description": _REF.format("exhibit")},
            "persons_present": {
                "type": ["array", "null"], "maxItems": MAX_PERSONS,
                "items": {"type": "string", "maxLength": MAX_PERSON_NAME},
                "description": "The persons present, shown in the record of interview's header (names overlay "
                               f"version 1); each name one line, at most {MAX_PERSON_NAME} characters, no ';'. "
                               "Personal data: kept on the job and in the overlay, never in logs or history."},
        },
    },
    "SubmitRequest": {
        "type": "object", "required": ["blobUrl"], "additionalProperties": False,
        "properties": {
            "blobUrl": {"type": "string", "format": "uri", "minLength": 8, "maxLength": 2048,
                        "description": "A blob under incoming/<your force>/ or in your force's own storage account."},
            "options": {"anyOf": [{"$ref": "#/components/schemas/Options"}, {"type": "null"}]},
        },
    },
    "Job": {
        "type": "object", "required": ["job_id", "force_id", "status", "progress", "source", "attempt"],
        "properties": {
            "job_id": {"type": "string"}, "force_id": {"type": "string"},
            "status": {"enum": ["queued", "running", "succeeded", "failed", "cancelled"]},
            "progress": {"type": "object", "properties": {
                "stage": {"type": "string"}, "chunks_total": {"type": "integer"},
                "chunks_done": {"type": "integer"}, "percent": {"type": "integer", "minimum": 0, "maximum": 100}}},
            "source": {"type": "object", "properties": {
                "ref": {"type": "string"}, "name": {"type": "string"}, "size_bytes": {"type": ["integer", "null"]},
                "sha256": {"type": ["string", "null"]}, "url": {"type": ["string", "null"]}}},
            "options": {"$ref": "#/components/schemas/Options"},
            "error": {"type": ["object", "null"], "properties": {"code": {"type": "string"},
                                                                  "message": {"type": "string"}}},
            "outputs": {"type": "object", "additionalProperties": {"type": "string"}},
            "summary": {"type": "object"}, "attempt": {"type": "integer", "minimum": 1},
            "submitted_by": {"type": ["string", "null"]},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "links": {"type": "object", "additionalProperties": {"type": "string"}},
            "orchestration": {"type": "object", "properties": {
                "instanceId": {"type": "string"}, "runtimeStatus": {"type": "string"}}},
        },
    },
    "JobList": {"type": "object", "properties": {
        "forceId": {"type": "string"}, "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}}}},
    "Results": {"type": "object", "required": ["jobId", "links"], "properties": {
        "jobId": {"type": "string"}, "attempt": {"type": "integer"},
        "transcript": {"type": "object", "description": "transcript.json: segments, language, model, params "
                                                        "(media jobs)."},
        "document": {"type": "object", "description": "translation.json: the document's passages, source and "
                                                      "English, withheld ones with the reason (document jobs)."},
        "links": {"type": "object", "additionalProperties": {"type": "string", "format": "uri"},
                  "description": "Read-only user-delegation SAS links per format (txt, srt, vtt, docx; a "
                                 "document's translated, bilingual, report) and audio (the rendition)."},
        "playback": {"type": "object", "description": "playable_original: whether every browser plays the "
                                                      "original; else rendition: the audio rendition's ref, "
                                                      "sha256, size_bytes, duration_s (links.audio), and reason."},
        "linksExpireAt": {"type": "string", "format": "date-time"},
        "downloads": {"type": "object", "additionalProperties": {"type": "string"},
                      "description": "The audited download route of each format (302 to a read-only link)."},
        "speakers": {"$ref": "#/components/schemas/Speakers"},
        "record": {"type": "object", "description": "The record's header details given at submission: "
                                                    "case_reference, exhibit_reference, persons_present (a "
                                                    "media job's from the names overlay in force)."}}},
    "SpeakerNames": {"type": "object", "required": ["names"], "additionalProperties": False, "properties": {
        "names": {"type": "object", "additionalProperties": {"type": ["string", "null"], "maxLength": 80},
                  "description": "Speaker label (S1, S2, ...) to a display name; null or '' removes the name."}}},
    "Speakers": {"type": "object", "properties": {
        "labels": {"type": "array", "items": {"type": "string"}}, "names": {"type": "object"},
        "version": {"type": "integer", "description": "The names overlay's version (0: never named)."},
        "history": {"type": "array", "items": {"type": "object"}, "description": "Who named them, when."}}},
    "Renamed": {"type": "object", "properties": {
        "jobId": {"type": "string"}, "speakers": {"$ref": "#/components/schemas/Speakers"},
        "downloads": {"type": "object", "additionalProperties": {"type": "string"}}}},
    "AccessTrail": {"type": "object", "properties": {
        "jobId": {"type": "string"},
        "truncated": {"type": "boolean", "description": "More entries than the 1000 shown (oldest first)."},
        "entries": {"type": "array", "items": {"type": "object", "properties": {
            "at": {"type": "string", "format": "date-time"}, "user": {"type": "string"},
            "action": {"enum": ["view", "download", "rename", "retry", "cancel"]},
            "detail": {"type": "string"}}}}}},
    "Problem": {"type": "object", "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string", "description": "The request field at fault (400 answers)."}}},
}

_PATHS: dict[str, Any] = {
    "/api/v1/jobs": {
        "post": {"operationId": "submitJob", "summary": "Transcribe (and translate) a blob",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": {"$ref": "#/components/schemas/SubmitRequest"}}}},
                 "responses": {**_ok("Started", "Job", "202"), **_ok("The same file and options: the existing job",
                                                                      "Job"),
                               **_ok("Recorded as failed: the upload cannot be processed", "Job", "422"),
                               "400": _ERR, **_AUTH, "404": _ERR, "413": _ERR}},
        "get": {"operationId": "listJobs",
                "summary": "The caller's own jobs, or (scope=force, force-wide role) the force's, newest first",
                "parameters": [
                    {"name": "scope", "in": "query", "schema": {"enum": ["mine", "force"]}},
                    {"name": "status", "in": "query", "schema": {
                        "enum": ["queued", "running", "succeeded", "failed", "cancelled"]}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
                "responses": {**_ok("Jobs", "JobList"), "400": _ERR, **_AUTH}},
    },
    "/api/v1/jobs/{job_id}": {
        "get": {"operationId": "getJob", "summary": "Status and progress", "parameters": [_JOB_ID],
                "responses": {**_ok("The job", "Job"), **_AUTH, "404": _ERR}},
    },
    "/api/v1/jobs/{job_id}/results": {
        "get": {"operationId": "getResults", "summary": "transcript.json and links to the other formats",
                "parameters": [_JOB_ID],
                "responses": {**_ok("Results", "Results"), **_AUTH, "404": _ERR, "409": _ERR}},
    },
    "/api/v1/jobs/{job_id}/cancel": {
        "post": {"operationId": "cancelJob", "summary": "Stop a queued or running job", "parameters": [_JOB_ID],
                 "responses": {**_ok("Cancelled", "Job", "202"), **_AUTH, "404": _ERR, "409": _ERR}},
    },
    "/api/v1/jobs/{job_id}/retry": {
        "post": {"operationId": "retryJob", "summary": "Run a failed or cancelled job again as a new attempt",
                 "parameters": [_JOB_ID],
                 "responses": {**_ok("Retrying", "Job", "202"), **_AUTH, "404": _ERR, "409": _ERR}},
    },
    "/api/v1/jobs/{job_id}/outputs/{fmt}": {
        "get": {"operationId": "downloadOutput", "summary": "One rendering (audited): 302 to a read-only link",
                "parameters": [_JOB_ID, {"name": "fmt", "in": "path", "required": True,
                                         "schema": {"enum": list(FORMATS)}}],
                "responses": {"302": {"description": "Location: a short-lived read-only link"}, **_AUTH,
                              "404": _ERR}},
    },
    "/api/v1/jobs/{job_id}/audit": {
        "get": {"operationId": "getAudit", "summary": "The job's access audit trail, oldest first",
                "parameters": [_JOB_ID], "responses": {**_ok("The trail", "AccessTrail"), **_AUTH, "404": _ERR}},
    },
    "/api/v1/jobs/{job_id}/speakers": {
        "put": {"operationId": "renameSpeakers",
                "summary": "Name speakers: a new names overlay version; the outputs are rendered again",
                "parameters": [_JOB_ID],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/SpeakerNames"}}}},
                "responses": {**_ok("Renamed", "Renamed"), "400": _ERR, **_AUTH, "404": _ERR, "409": _ERR}},
    },
    "/api/v1/openapi.json": {
        "get": {"operationId": "getOpenApi", "summary": "This document", "security": [{"functionKey": []}],
                "responses": {"200": {"description": "OpenAPI 3 document",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}}},
    },
}


def build_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "TOEX Transcribe & Translate API", "version": "1.0.0",
                 "description": "Jobs are scoped to the caller's force (Entra ID token: extension_forceId claim "
                                "or a Force.<id> app role). Another force's job is answered 404."},
        "servers": [{"url": "/"}],
        "security": [{"entra": [], "functionKey": []}],
        "paths": {**_PATHS, **upload_sas.OPENAPI_PATHS},
        "components": {
            "schemas": {**SCHEMAS, **upload_sas.OPENAPI_SCHEMAS},
            "responses": {"Problem": {"description": "An RFC 9457 problem document", "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
            "securitySchemes": {
                "entra": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                          "description": "Entra ID access token for the app's API scope."},
                "functionKey": {"type": "apiKey", "in": "header", "name": "x-functions-key",
                                "description": "Function key issued to the force's gateway or integration."},
            },
        },
    }


def render() -> str:
    return json.dumps(build_document(), indent=2, sort_keys=True) + "\n"


def main() -> int:
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(render(), encoding="utf-8")
    print(DOC_PATH, file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
