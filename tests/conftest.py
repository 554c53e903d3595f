"""Root conftest: fixtures live in tests/fixtures/<area>.py and load here. The Durable SDK runs with
strict typing, as the Functions app and the local runner do."""

from functions.contracts import use_strict_typing

use_strict_typing()

pytest_plugins = [
    "tests.fixtures.models",
    "tests.fixtures.bergamot",
    "tests.fixtures.media",
    "tests.fixtures.pipeline",
    "tests.fixtures.services",
]
