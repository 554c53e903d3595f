#!/usr/bin/env bash
# IaC gate: checkov over infra/bicep (offline) must report 0 failed checks and 0 parsing errors.
# Checkov pins many libraries, so it lives in its own git-ignored venv (.venv-iac).
# Skips are only allowed inline (// checkov:skip=CKV_AZURE_xx: reason) inside the resource.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
VENV="${IAC_VENV:-$ROOT/.venv-iac}"

if ! "$VENV/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

# One checkov run writes both reports, so the verdict, the printed failures and the summary come
# from the same scan (two runs once disagreed: the compact run failed while the JSON said 0 failed).
# --skip-download: never call out to the internet (no Prisma/Bridgecrew policy download).
set +e
"$VENV/bin/checkov" -d infra/bicep --framework bicep --skip-download --compact \
  --output cli --output json --output-file-path "$OUT" >/dev/null 2>"$OUT/stderr.txt"
status=$?
set -e
REPORT="$OUT/results_json.json"
if [ ! -s "$REPORT" ]; then
  cat "$OUT/stderr.txt" >&2
  echo "checkov wrote no report (exit $status)" >&2
  exit 1
fi

"$VENV/bin/python" - "$REPORT" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
reports = data if isinstance(data, list) else [data]
summary = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0}
skips = []
failed = []
for report in reports:
    if not isinstance(report, dict) or "summary" not in report:
        continue
    for key in summary:
        summary[key] += int(report["summary"].get(key, 0))
    for check in report.get("results", {}).get("failed_checks", []):
        lines = check.get("file_line_range") or ["?", "?"]
        failed.append(f"  FAILED {check['check_id']} {check['resource']} "
                      f"{check.get('file_path', '?')}:{lines[0]}-{lines[1]} {check.get('check_name', '')}")
    for check in report.get("results", {}).get("skipped_checks", []):
        comment = (check.get("check_result") or {}).get("suppress_comment", "")
        skips.append((check["check_id"], check["resource"], comment))
print("checkov summary: passed={passed} failed={failed} skipped={skipped} "
      "parsing_errors={parsing_errors} resources={resource_count}".format(**summary))
for line in failed:
    print(line)
for check_id, res, comment in skips:
    print(f"  skip {check_id} {res}: {comment.strip()}")
bad = [s for s in skips if len(s[2].strip()) < 20 or s[2].strip() == "No comment provided"]
if summary["failed"] or summary["parsing_errors"] or bad or summary["passed"] == 0 or failed:
    if bad:
        print("skips without a written reason:", bad)
    sys.exit(1)
PY

if [ "$status" -ne 0 ]; then
  echo "checkov exited $status although its report counts no failure:" >&2
  cat "$OUT/stderr.txt" >&2
fi
exit "$status"
