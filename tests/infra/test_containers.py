"""One list of container names (shared/containers.json) for the code and the Bicep (issue 10, finding 3).

Every container the app writes must be created by the templates, carry the Function App's data role and
a retention rule; ``work/`` holds transcript text and is kept and deleted exactly as ``outputs/``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from shared.services import CHUNKS, CONTAINERS, INCOMING, OUTPUTS, WORK
from tests.infra.bicep_helpers import BICEP_DIR, REPO, parse, resource

LIST = REPO / "shared" / "containers.json"
WRITTEN = {CHUNKS, WORK, OUTPUTS}  # the containers activities write (functions/guards.py, results.py)


def _accessor(value: Any) -> tuple[Any, str]:
    ops = value["operator"]["operands"]
    assert value["operator"]["type"] == "property_accessor"
    return ops["operand_1"], ops["operand_2"]


def _loads_the_list(value: Any, bicep_file: Path) -> bool:
    fn = value.get("function", {}) if isinstance(value, dict) else {}
    if fn.get("type") != "load_json_content":
        return False
    return (bicep_file.parent / fn["parameters"]["file_path"]).resolve() == LIST.resolve()


def _looped_over(value: Any) -> tuple[str, str]:
    """``[for c in containers.<key>: '${c}/']`` → (variable, key); asserts the body is the prefix."""
    assert value["config"] == "${" + value["loop_type"]["detail"]["item_name"] + "}/"
    return _accessor(value["loop_type"]["detail"]["array_name"])


def test_the_code_reads_the_list_and_writes_nowhere_else() -> None:
    assert json.loads(LIST.read_text()) == CONTAINERS
    assert set(CONTAINERS["appCreated"]) >= WRITTEN and CONTAINERS["incoming"] == INCOMING
    literal = re.compile(r"""["'](?:{})/""".format("|".join(map(re.escape, (*WRITTEN, INCOMING, "deadletter")))))
    for path in [*REPO.glob("functions/*.py"), *REPO.glob("shared/**/*.py")]:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            assert not literal.search(line), f"{path.relative_to(REPO)}:{n}: a container name outside the list"


def test_every_written_container_is_created_granted_and_retained() -> None:
    storage = BICEP_DIR / "modules" / "storage.bicep"
    variables = parse("modules/storage.bicep")["variables"]
    assert _loads_the_list(variables["containers"]["value"], storage)
    assert _accessor(variables["incomingContainerName"]["value"]) == ("containers", "incoming")
    assert _accessor(variables["workContainers"]["value"]) == ("containers", "appCreated")
    created = parse("modules/storage.bicep")["resources"]["work"]["config"]
    assert created["loop_type"]["detail"]["array_name"] == "workContainers"
    assert created["config"]["properties"]["publicAccess"] == "None"

    rules = {r["name"]: r for r in resource("modules/storage.bicep", "lifecycle")["properties"]["policy"]["rules"]}
    keys = {name: _looped_over(r["definition"]["filters"]["prefixMatch"]) for name, r in rules.items()}
    assert keys == {"delete-chunks": ("containers", "chunkRetention"),
                    "delete-outputs-after-retention": ("containers", "evidenceRetention"),
                    "delete-deadletters": ("containers", "deadletterRetention")}
    evidence = rules["delete-outputs-after-retention"]["definition"]["actions"]
    assert evidence["baseBlob"]["delete"]["daysAfterCreationGreaterThan"] == "retentionDays"
    retained = [c for key in ("chunkRetention", "evidenceRetention", "deadletterRetention") for c in CONTAINERS[key]]
    assert sorted(retained) == sorted(set(retained)), "a container under two retention rules"
    assert set(retained) >= WRITTEN and {WORK, OUTPUTS} <= set(CONTAINERS["evidenceRetention"])

    main = parse("main.bicep")["modules"]["roles"]["config"]["params"]["functionContainers"]
    source, key = _accessor(main)
    assert _loads_the_list(source, BICEP_DIR / "main.bicep") and key == "functionAppReadWrite"
    assert {*WRITTEN, INCOMING} <= set(CONTAINERS["functionAppReadWrite"])
    grant = parse("modules/roles.bicep")["resources"]["fnEvidenceContainers"]["config"]
    assert grant["loop_type"]["detail"]["array_name"] == "functionContainers"
    assert "storageBlobDataContributor" in json.dumps(grant["config"]["properties"]["roleDefinitionId"])


def test_one_retention_figure_for_the_code_and_the_bicep() -> None:
    """Retention is ``evidenceRetentionDays`` in the list; main.bicep reads it (no parameter or literal that
    could say otherwise) and hands it to every store that keeps evidence."""
    days = CONTAINERS["evidenceRetentionDays"]
    assert isinstance(days, int) and days >= 7 * 365, "seven years at least"
    main = parse("main.bicep")
    assert "retentionDays" not in main["parameters"]
    source, key = _accessor(main["variables"]["retentionDays"]["value"])
    assert _loads_the_list(source, BICEP_DIR / "main.bicep") and key == "evidenceRetentionDays"
    handed = {name for name, module in main["modules"].items()
              if module["config"].get("params", {}).get("retentionDays") == "retentionDays"}
    assert {"storage", "cosmos"} <= handed, handed
    for rel in ("main.bicep", *(f"modules/{p.name}" for p in (BICEP_DIR / "modules").glob("*.bicep"))):
        for name, param in parse(rel)["parameters"].items():
            if name == "retentionDays":  # (chunk, log and soft-delete retentions are other figures)
                assert param.get("default") is None, f"{rel}: {name} has a figure of its own"
    figures = re.compile(r"\b(?:2555|2556|2557|2558)\b|retention_days")
    for path in [*(REPO / "shared").rglob("*.py"), *(REPO / "functions").rglob("*.py"),
                 *BICEP_DIR.rglob("*.json"), REPO / "local.settings.sample.json"]:
        assert not figures.search(path.read_text(encoding="utf-8")), f"{path}: a retention figure of its own"
