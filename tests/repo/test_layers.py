"""Imports point one way (README, "Layout"), read from the source of every module with ``ast``.

``shared`` (the core) <- ``functions`` (the pipeline) <- the hosts ``functions.azure``, ``functions.local``,
``functions.gpu`` (and ``function_app.py``); ``models.export`` is tooling that nothing imports. Every
import counts, including those inside functions and under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

from pathlib import Path

from tests.repo.imports import cycles, graph, imports_of, repo_modules

HOSTS = ("functions.azure", "functions.local", "functions.gpu")


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _edges(where: str) -> list[tuple[str, str]]:
    return sorted((src, dst) for src, targets in graph().items() if _in(src, where) for dst in targets)


def test_the_core_imports_neither_the_pipeline_nor_the_tooling() -> None:
    upward = [(src, dst) for src, dst in _edges("shared") if _in(dst, "functions") or _in(dst, "models")]
    assert upward == []


def test_the_pipeline_imports_no_host_and_no_tooling() -> None:
    pipeline = [(src, dst) for src, dst in _edges("functions") if not any(_in(src, h) for h in HOSTS)]
    assert [(src, dst) for src, dst in pipeline if any(_in(dst, h) for h in HOSTS) or _in(dst, "models")] == []


def test_each_host_imports_no_other_host_and_no_tooling() -> None:
    for host in HOSTS:
        others = [h for h in HOSTS if h != host]
        wrong = [(src, dst) for src, dst in _edges(host) if any(_in(dst, h) for h in others) or _in(dst, "models")]
        assert wrong == [], host
    assert [dst for src, dst in _edges("function_app") if _in(dst, "models")] == []


def test_nothing_imports_the_exporter_but_the_tooling_tests_and_benches() -> None:
    allowed = ("models", "tests", "bench")
    wrong = [(src, dst) for src, targets in graph().items() for dst in targets
             if _in(dst, "models") and not any(_in(src, a) for a in allowed)]
    assert wrong == []


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert cycles(graph()) == []


def test_the_checks_see_imports_under_type_checking_and_inside_functions(tmp_path: Path) -> None:
    modules = repo_modules()
    probe = tmp_path / "_probe_layers.py"
    probe.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from functions import lifecycle\n"
                     "def f() -> None:\n    from .imports import graph\n    import shared.assets\n")
    found = imports_of("tests.repo._probe_layers", {**modules, "tests.repo._probe_layers": probe})
    assert {"functions.lifecycle", "tests.repo.imports", "shared.assets"} <= found
    assert cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}) == [
        ["a", "b", "c"]]
