#!/usr/bin/env bash
# Sets up and runs the whole test suite, as CI does: linters, type checks, unit and end-to-end tests
# (local services Azurite + Cosmos DB server are started and stopped by the test fixtures), real-model
# tests with Whisper base (fetched once into ${TOEX_CACHE:-~/.cache/toex}), and the Bicep gate.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if ! command -v espeak-ng >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq espeak-ng >/dev/null) || echo "espeak-ng not installed" >&2
fi
bash scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/mypy shared functions models function_app.py
.venv/bin/python -m models.fetch --export int8,fp32 >/dev/null
set +e
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
status=$?
set -e
bash .ci/iac.sh
exit $status
