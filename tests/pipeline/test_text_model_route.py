"""Portuguese speech with --translate-to en goes through the Firefox Translations text model, segment by
segment; the route and the model are recorded. Without a configured package, the ones `toex setup`
exported are the defaults for their pairs; other pairs keep Whisper's translate task."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.domain import JobStatus
from tests.fixtures.pipeline import MakeApp, transcript_of

FAST = {"beam_size": 1, "formats": ["json", "txt"]}


@pytest.mark.real_model
@pytest.mark.parametrize("configured", [True, False])
def test_portuguese_takes_the_text_model_route(configured: bool, bergamot_packages: dict[str, Path],
                                               make_app: MakeApp, make_media, tiny_whisper_package: Path,
                                               tmp_path: Path) -> None:
    src = make_media(tmp_path, "wav", seconds=12, content="speech")
    app = make_app(tiny_whisper_package, bergamot_packages["pten"] if configured else None)
    final = app.run(app.submit(src, {**FAST, "language": "pt", "translate_to": "en"})[0])
    assert final.status is JobStatus.SUCCEEDED, final.error
    t = transcript_of(app, final)
    tr = t["translation"]
    assert tr["route"] == "text-model" and tr["language"] == "en"
    assert tr["model"]["name"] == "bergamot-pten-fp32" and len(tr["model"]["sha256"]) == 64
    # every segment is accounted for, passage by passage: shown beside its segment, or withheld with its
    # reason (the tiny Whisper's transcript is noise, so the guards may withhold some as "unclear source")
    shown = [s["source_id"] for s in tr["segments"]]
    assert set(shown) <= {s["id"] for s in t["segments"]}
    assert len(shown) + len(tr["skipped"]) == len(t["segments"]) > 0
    assert all(s["route"] == "text-model" for s in tr["segments"] + tr["skipped"])
    french = app.run(app.submit(src, {**FAST, "language": "fr", "translate_to": "en"})[0])
    assert transcript_of(app, french)["translation"]["route"] == "whisper-translate"
