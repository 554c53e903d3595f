"""Root conftest: fixtures live in tests/fixtures/<area>.py and load here."""

pytest_plugins = [
    "tests.fixtures.models",
    "tests.fixtures.copy_model",
    "tests.fixtures.media",
    "tests.fixtures.pipeline",
    "tests.fixtures.services",
]
