"""The document sub-orchestration through the local runner (the real Durable replay code) with the
real pt→en model: plan → batches → assemble; references only in history; bad input is a reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest

from functions.document_steps import ACTIVITIES, NAME, document_orchestrator
from functions.local.runner import LocalOrchestrationRunner
from functions.local.taskhub import COMPLETED, TaskHub
from shared.services import Services, build_local, set_services
from shared.settings import Settings

pytestmark = pytest.mark.real_model
PT = ["O vizinho ouviu um barulho durante a noite.", "Ele telefonou para a polícia às 23:42.",
      "A porta da casa estava aberta.", "O agente Silva chegou pouco depois."]


@pytest.fixture
def hub(tmp_path: Path, bergamot_packages: dict[str, Path]) -> Iterator[tuple[Services, LocalOrchestrationRunner]]:
    settings = Settings(mode="local", data_dir=tmp_path / "data", translation_model_dir=bergamot_packages["pten"],
                        intra_op_threads=1)
    services = build_local(settings)
    set_services(services)
    runner = LocalOrchestrationRunner(TaskHub(tmp_path / "data" / "taskhub.db"), {NAME: document_orchestrator},
                                      ACTIVITIES, max_workers=2, retry_interval_scale=0.001)
    yield services, runner
    set_services(None)


def _run(runner: LocalOrchestrationRunner, instance: str, job: dict[str, Any]) -> tuple[dict[str, Any], str]:
    assert runner.start_new(NAME, instance, job)
    inst = runner.run(instance)
    assert inst.status == COMPLETED, inst.error
    output = inst.output if isinstance(inst.output, dict) else json.loads(inst.output)
    return output, json.dumps(inst.history, ensure_ascii=False)


def test_a_docx_in_batches_through_the_runner(hub: tuple[Services, LocalOrchestrationRunner], tmp_path: Path) -> None:
    services, runner = hub
    d = docx.Document()
    for text in PT:
        d.add_paragraph(text)
    buf = tmp_path / "carta.docx"
    d.save(buf)
    services.blobs.upload("incoming/met/carta.docx", buf.read_bytes())
    services.blobs.upload("incoming/met/terms.csv", b"source,target\nSilva,\nagente,officer\n")
    job = {"job_id": "job-doc1", "force_id": "met", "source_ref": "incoming/met/carta.docx", "name": "carta.docx",
           "target": "en", "glossary_ref": "incoming/met/terms.csv", "max_batch_items": 2}
    output, history = _run(runner, "doc-1", job)
    assert output["status"] == "succeeded", output
    assert output["units"] == 4 and output["warnings"] == 0 and output["skipped"] == 0
    assert output["characters_translated"] == sum(map(len, PT))
    for text in PT:  # no document text in orchestration history, only references and counts
        assert text not in history and text.split()[1] not in history
    assert history.count('"translate_document_batch"') >= 2  # fanned out: 4 sentences, 2 a batch
    refs = output["outputs"]
    assert refs["translated"].endswith("/carta.en.docx") and refs["bilingual"].endswith("/carta.bilingual.docx")
    out = docx.Document(services.blobs.local_path(refs["translated"]))
    texts = [p.text for p in out.paragraphs]
    assert texts[1].endswith("23:42.") and "officer Silva" in texts[3], texts
    report = json.loads(services.blobs.download(refs["report"]))
    assert report["glossary"]["applied"] == {"agente": 1, "Silva": 1}
    assert [s["translation"] for s in report["segments"]] == texts
    assert report["model"]["name"] == "bergamot-pten-fp32"


def test_bad_documents_fail_with_their_reason(hub: tuple[Services, LocalOrchestrationRunner]) -> None:
    services, runner = hub
    services.blobs.upload("incoming/met/fake.docx", b"%PDF-1.7\n" + bytes(100))
    job = {"job_id": "job-doc2", "force_id": "met", "source_ref": "incoming/met/fake.docx", "name": "fake.docx"}
    output, _ = _run(runner, "doc-2", job)
    assert output == {"status": "failed", "error": {"code": "document.wrong_extension",
                                                    "message": "fake.docx is named .docx but holds PDF data"}}
    services.blobs.upload("incoming/met/a.txt", b"O carro azul estava na rua.\n")
    changed = {**job, "job_id": "job-doc3", "source_ref": "incoming/met/a.txt", "name": "a.txt",
               "source_sha256": "0" * 64}
    output, _ = _run(runner, "doc-3", changed)
    assert output["status"] == "failed" and output["error"]["code"] == "source.changed"
    services.blobs.upload("incoming/met/bad.csv", b"source,target\nSilva,,x\n")
    bad = {**changed, "job_id": "job-doc4", "source_sha256": None, "glossary_ref": "incoming/met/bad.csv"}
    output, _ = _run(runner, "doc-4", bad)
    assert output["error"]["code"] == "document.glossary_invalid" and "line 2" in output["error"]["message"]
