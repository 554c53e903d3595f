# TEMPORARY dev stub (to be deleted): real whisper-base package until tests/fixtures/models.py lands
from pathlib import Path
import pytest
@pytest.fixture(scope="session")
def tiny_whisper_package() -> Path:
    return Path.home() / ".cache/toex/models/whisper-base-fp32"
