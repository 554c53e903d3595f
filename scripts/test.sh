#!/usr/bin/env bash
# Sets up and runs the whole test suite, as CI does: linters, type checks, unit and end-to-end tests
# (local services Azurite + Cosmos DB server are started and stopped by the test fixtures), real-model
# tests with Whisper base (fetched once into the cache root, $TOEX_CACHE), and the Bicep gate.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if { ! command -v espeak-ng || ! command -v chromium; } >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq espeak-ng chromium >/dev/null) || echo "espeak-ng or chromium not installed" >&2
fi
bash scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/mypy shared functions models function_app.py
.venv/bin/python -m models.fetch --export int8,fp32 --export-speaker >/dev/null
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
status=$?
set -e
bash .ci/iac.sh
# The runtime must also run on Python 3.12: its tests that need no exporter (torch) there, then the
# bundled sample through the CLI with the Whisper base package the 3.11 run exported.
PY312=""
for c in python3.12 "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/3.12*/bin/python3.12 /usr/bin/python3.12; do
  if "$c" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then PY312="$c"; break; fi
done
if [ -n "$PY312" ]; then
  [ -x .venv312/bin/python ] || "$PY312" -m venv .venv312
  .venv312/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt \
    pytest==9.2.0 pytest-timeout==2.4.0 jsonschema==4.26.0 jiwer==4.0.0 faster-whisper==1.2.1
  .venv312/bin/python -m pytest -q -p no:cacheprovider -m "not slow" tests/outputs tests/media \
    --ignore=tests/media/test_tracks_pipeline.py --ignore=tests/media/test_kinds_pipeline.py \
    tests/pipeline/test_runner.py || status=1
  out312="$(mktemp -d)"
  .venv312/bin/python -m functions.local --data-dir "$out312/data" --quiet transcribe \
    "$(.venv/bin/python -c 'from shared.assets import sample_path; print(sample_path())')" \
    --model "$(.venv/bin/python -c 'from models.fetch import ensure_default_model; print(ensure_default_model())')" \
    --out "$out312/out" --formats json,txt >/dev/null || status=1
  printf 'O suspeito foi preso ontem à noite perto da estação.\n' > "$out312/pt.txt"
  .venv312/bin/python -m functions.local translate "$out312/pt.txt" --to en --from pt --translation-model \
    "$(.venv/bin/python -c 'from models.fetch import ensure_translation_models; print(ensure_translation_models()["pten"])')" \
    | grep -qx 'The suspect was arrested last night near the station.' || status=1
  rm -rf "$out312"
else
  echo "python3.12 not found: the Python 3.12 check did not run" >&2
fi
exit $status
