"""The GPU image copies exactly the repository modules its service imports, transitively: none missing
(the container would fail at start or on first request) and none of ``shared/`` or ``functions/`` more."""

from __future__ import annotations

import shlex
from pathlib import Path

from tests.repo.imports import ROOT, closure, repo_modules

DOCKERFILE = ROOT / "functions" / "gpu" / "Dockerfile"
DOCKERIGNORE = ROOT / "functions" / "gpu" / "Dockerfile.dockerignore"
SERVICE = "functions.gpu.app"  # the module uvicorn loads (the Dockerfile's CMD)


def _expand(pattern: str) -> set[Path]:
    """The ``.py`` files a COPY source (a file, a folder or a glob, relative to the build context) takes."""
    found = set()
    for match in ROOT.glob(pattern.rstrip("/")):
        found |= set(match.rglob("*.py")) if match.is_dir() else ({match} if match.suffix == ".py" else set())
    return {p for p in found if "__pycache__" not in p.parts}


def copy_sources() -> set[str]:
    """The build-context paths of the Dockerfile's COPY instructions (not ``--from`` another stage)."""
    sources = set()
    for line in DOCKERFILE.read_text().splitlines():
        if line.upper().startswith("COPY "):
            words = shlex.split(line)
            if not any(w.startswith("--from") for w in words):
                sources |= {w for w in words[1:-1] if not w.startswith("--")}
    return sources


def test_the_service_module_is_the_images_command() -> None:
    assert f'"{SERVICE}:app"' in DOCKERFILE.read_text()


def test_the_image_copies_exactly_what_the_service_imports() -> None:
    modules = repo_modules()
    needed = {modules[name] for name in closure(SERVICE)}
    copied = set().union(*(_expand(source) for source in copy_sources()))
    assert all(p.relative_to(ROOT).parts[0] in {"shared", "functions"} for p in needed), "the service imports models/"
    rel = lambda paths: sorted(str(p.relative_to(ROOT)) for p in paths)  # noqa: E731
    assert rel(needed - copied) == [], "imported by the service but not copied into the image"
    assert rel(copied - needed) == [], "copied into the image but not imported by the service"


def test_the_build_context_sends_what_the_image_copies() -> None:
    allowed = {line[1:].rstrip("/") for line in DOCKERIGNORE.read_text().splitlines() if line.startswith("!")}
    assert {source.rstrip("/") for source in copy_sources()} == allowed
