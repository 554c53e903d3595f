#!/usr/bin/env bash
# Creates .venv and installs the project. Used by quickstart.sh and test.sh; safe to re-run.
#   scripts/setup.sh            runtime + exporter (enough to fetch the model and transcribe)
#   scripts/setup.sh dev        everything the tests, linters and benchmark need
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ is required" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
REQS=(-r requirements.txt -r requirements-export.txt)
[ "${1:-}" = "dev" ] && REQS=(-r requirements-dev.txt)
# one pip command, so torch==2.13.0 (a CPU wheel on these machines) satisfies every torch request
.venv/bin/python -m pip install --quiet --disable-pip-version-check "${REQS[@]}"
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
