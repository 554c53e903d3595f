"""A document dropped into ``incoming/<force>/`` runs through the MAIN orchestration (the real Durable
replay code in the local runner, the local host's Durable client) with the real pt→en model: the blob
trigger's own code reads its metadata, ``start_job`` tells a document, the document steps plan, fan out
and assemble, and the job record gets the outputs and the characters translated. No document text in
history; a bad document is a failed job with its reason."""

from __future__ import annotations

import asyncio
import io
import json
from types import SimpleNamespace
from typing import Any

import docx
import pytest

from functions import document_steps
from functions.lifecycle import StartOutcome, start_from_blob
from functions.orchestrator import NAME
from shared.domain import JobStatus
from tests.functions.helpers import ACCOUNT_URL, Intake

pytestmark = pytest.mark.real_model
PT = ["O vizinho ouviu um barulho durante a noite.", "Ele telefonou para a polícia às 23:42.",
      "A porta da casa estava aberta.", "O agente Silva chegou pouco depois."]


@pytest.fixture
def docs(intake_factory: Any, bergamot_packages: dict[str, Any]) -> Intake:
    return intake_factory(forces=("met",), translation_model_dir=bergamot_packages["pten"], intra_op_threads=1)


class _Blob:
    """The part of ``azure.storage.blob.BlobClient`` the blob trigger reads, over the local store."""

    def __init__(self, intake: Intake, ref: str) -> None:
        self.url, self._info = f"{ACCOUNT_URL}/{ref}", intake.services.blobs.properties(ref)

    def get_blob_properties(self) -> Any:
        info = self._info
        return SimpleNamespace(size=info.size, etag=info.etag, metadata=info.metadata, version_id=info.version_id,
                               content_settings=SimpleNamespace(content_md5=None, content_type=None))


def _drop(intake: Intake, name: str, data: bytes, metadata: dict[str, str] | None = None) -> StartOutcome:
    """Upload to ``incoming/<name>`` and run what the blob trigger runs, then the orchestration."""
    intake.services.blobs.upload(f"incoming/{name}", data, overwrite=True, metadata=metadata)
    outcome = asyncio.run(start_from_blob(_Blob(intake, f"incoming/{name}"), intake.client))
    assert outcome.action == "started" and outcome.job is not None, outcome
    assert intake.client.starts[-1][0] == NAME  # the main orchestration, no other
    intake.run(outcome.job.instance_id)
    return outcome


def _history(intake: Intake, instance_id: str) -> str:
    return json.dumps(intake.runner.run(instance_id).history, ensure_ascii=False)


def test_a_dropped_docx_and_txt_are_translated_through_the_main_orchestration(
        docs: Intake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document_steps, "BATCH_ITEMS", 2)  # 4 sentences: two batches, fanned out
    docs.services.blobs.upload("incoming/met/glossaries/caso.csv", b"source,target\nSilva,\nagente,officer\n")
    d = docx.Document()
    for text in PT:
        d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    outcome = _drop(docs, "met/case-12/carta.docx", buf.getvalue(),
                    {"translate_to": "en", "glossary": "caso.csv", "case_ref": "MG/12/003"})
    assert outcome.job is not None
    job = docs.services.jobs.get("met", outcome.job.job_id)
    assert job is not None and job.status is JobStatus.SUCCEEDED, job
    assert job.options["case_ref"] == "MG/12/003"
    assert job.summary["kind"] == "document" and job.summary["format"] == "docx"
    assert job.summary["characters_translated"] == sum(map(len, PT)) and job.summary["warnings"] == 0
    assert set(job.outputs) == {"translated", "bilingual", "report"}
    assert job.outputs["translated"].endswith("/carta.en.docx")
    assert job.outputs["bilingual"].endswith("/carta.bilingual.docx")
    assert job.outputs["report"].endswith("/translation.json")
    history = _history(docs, job.instance_id)
    for text in PT:  # only references and counts in orchestration history
        assert text not in history and text.split()[1] not in history
    assert history.count('"translate_document_batch"') >= 2 and '"probe_media"' not in history
    out = docx.Document(io.BytesIO(docs.services.blobs.download(job.outputs["translated"])))
    texts = [p.text for p in out.paragraphs]
    assert texts[1].endswith("23:42.") and "officer Silva" in texts[3], texts
    assert texts[0] != PT[0] and "neighbo" in texts[0].lower(), texts
    bilingual = docx.Document(io.BytesIO(docs.services.blobs.download(job.outputs["bilingual"])))
    assert PT[2] in "\n".join(c.text for t in bilingual.tables for row in t.rows for c in row.cells)
    report = json.loads(docs.services.blobs.download(job.outputs["report"]))
    assert report["glossary"]["applied"] == {"agente": 1, "Silva": 1}
    assert [s["translation"] for s in report["segments"]] == texts
    assert report["model"]["name"] == "bergamot-pten-fp32" and report["job_id"] == job.job_id
    notes = docs.services.jobs.list_notifications("met")
    assert any(n.kind == "completed" and n.message.startswith("Translation of carta.docx") for n in notes)

    text = "O carro azul estava na rua.\r\n\r\nA testemunha viu dois homens.\r\n".encode("cp1252")
    outcome = _drop(docs, "met/notas.txt", text, {"language": "pt"})
    assert outcome.job is not None
    job = docs.services.jobs.get("met", outcome.job.job_id)
    assert job is not None and job.status is JobStatus.SUCCEEDED, job
    translated = docs.services.blobs.download(job.outputs["translated"])
    assert job.outputs["translated"].endswith("/notas.en.txt") and translated.count(b"\r\n") == 3
    assert b"blue car" in translated.lower() and job.summary["characters_translated"] == 56
    assert json.loads(docs.services.blobs.download(job.outputs["report"]))["segments"]
    assert docx.Document(io.BytesIO(docs.services.blobs.download(job.outputs["bilingual"]))).tables
    assert "testemunha" not in _history(docs, job.instance_id)


def test_a_glossary_upload_is_not_a_job(docs: Intake) -> None:
    docs.services.blobs.upload("incoming/met/glossaries/force.csv", b"source,target\nSilva,\n")
    outcome = asyncio.run(start_from_blob(_Blob(docs, "incoming/met/glossaries/force.csv"), docs.client))
    assert outcome.action == "ignored" and not docs.client.starts


@pytest.mark.parametrize(("name", "data", "metadata", "code", "why"), [
    ("met/fake.docx", b"PK\x03\x04" + bytes(200), {}, "document.corrupt", "not a valid Office"),
    ("met/scan.docx", b"%PDF-1.7\n" + bytes(100), {}, "document.wrong_extension", "PDF data"),
    ("met/a.txt", b"O carro azul.\n", {"glossary": "missing.tsv"}, "document.glossary_not_found",
     "missing.tsv"),
    ("met/c.txt", b"O carro azul.\n", {"glossary": "../x.csv"}, "document.bad_metadata", "glossary"),
])
def test_a_bad_document_fails_the_job_with_its_reason(docs: Intake, name: str, data: bytes,
                                                      metadata: dict[str, str], code: str, why: str) -> None:
    outcome = _drop(docs, name, data, metadata)
    assert outcome.job is not None
    job = docs.services.jobs.get("met", outcome.job.job_id)
    assert job is not None and job.status is JobStatus.FAILED and job.error is not None and not job.outputs
    assert job.error.code.startswith(code) and why in job.error.message, job.error
    assert docs.services.blobs.download(f"incoming/{name}") == data  # the original untouched
    notes = docs.services.jobs.list_notifications("met")
    assert any(n.kind == "failed" and job.error.message in n.message for n in notes)


def test_a_bad_reference_on_a_document_is_refused_at_intake_as_on_media(docs: Intake) -> None:
    """A reference has one form for every job (functions.intake.reference_option): refused with the reason
    before any orchestration, whichever of its names (``case_ref``, the page's ``case_reference``) it has."""
    docs.services.blobs.upload("incoming/met/b.txt", b"O carro azul.\n", metadata={"case_reference": "%3Cscript%3E"})
    outcome = asyncio.run(start_from_blob(_Blob(docs, "incoming/met/b.txt"), docs.client))
    assert outcome.action == "rejected" and outcome.job is not None and outcome.job.error is not None
    assert outcome.job.error.code == "intake.bad_options" and "case_ref is not a reference" in outcome.job.error.message
    assert not docs.client.starts


def test_a_document_submitted_locally_runs_through_the_same_intake(tmp_path: Any, bergamot_packages: Any) -> None:
    from functions.local.app import LocalApp
    from tests.functions.helpers import make_settings

    app = LocalApp(make_settings(tmp_path / "local", translation_model_dir=bergamot_packages["pten"],
                                 intra_op_threads=1), retry_interval_scale=0.001)
    path = tmp_path / "drop" / "cues.srt"
    path.parent.mkdir()
    original = b"1\n00:00:01,000 --> 00:00:03,500\nO carro azul estava na rua.\n\n"
    path.write_bytes(original)
    job, new = app.submit(path, {"translate_to": "en", "exhibit_ref": "JS/1"})
    assert new and job.status is JobStatus.QUEUED
    done = app.run(job)
    assert done.status is JobStatus.SUCCEEDED and done.summary["kind"] == "document", done
    translated = app.blobs.download(done.outputs["translated"])
    assert translated.startswith(b"1\n00:00:01,000 --> 00:00:03,500\n") and b"blue car" in translated.lower()
    assert path.read_bytes() == original
