"""No path into a home directory or a user cache is written into the code, scripts or tests.

Such a path works only on the machine where it was written: CI on a fresh clone with an empty
``TOEX_CACHE`` then fails, or worse, passes on one machine only. Data comes through the project's
fetch code, and every cache lives under ``shared.settings.cache_root()``. Its one documented default
(``~/.cache/toex``, in ``shared/settings.py``) is the only place allowed to name the home folder.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"shared/settings.py",  # cache_root(): the documented default
           "tests/repo/test_no_home_paths.py"}  # this file: the pattern and its examples
CODE_SUFFIXES = {".py", ".sh", ".toml", ".cfg", ".ini", ".json", ".yaml", ".yml", ".bicep", ".txt"}
CODE_NAMES = {"run", "Dockerfile"}
HOME_PATH = re.compile(
    r"""(/ro{2}t/|/ho[m]e/[A-Za-z0-9_.-]+/|Path\.home\(|expanduser\(\s*["']~|\$HOME\b|\$\{HOME\}|(?<![\w.])~/"""
    r"""|\.cache/toex)"""
)


def _code_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout.split()
    return [f for f in listed if (Path(f).suffix in CODE_SUFFIXES or Path(f).name in CODE_NAMES)
            and (ROOT / f).is_file() and f not in ALLOWED and not f.startswith("docs/")]


def home_paths(text: str) -> list[str]:
    return [m.group(0) for m in HOME_PATH.finditer(text)]


def test_the_pattern_catches_the_paths_that_broke_fresh_machines():
    root, home = "/" + "root", "/" + "home"  # spelt apart so that no line here names such a path
    assert home_paths(f'SAMPLE = Path("{root}/.cache/toex/pyannote/sample.wav")')
    assert home_paths('TOOLS="${TOEX_TOOLS:-$HOME/.cache/toex/tools}"')
    assert home_paths("STATE = Path.home() / '.cache' / 'toex'")
    assert home_paths(f"open('{home}/alice/data.wav')")
    assert home_paths("cp x ~/.cache/other")
    assert not home_paths("root = cache_root() / 'samples'")
    assert not home_paths("x = a ~b  # a bitwise not")


def test_no_code_or_test_names_a_home_or_cache_path():
    offenders = []
    for name in _code_files():
        for n, line in enumerate((ROOT / name).read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if home_paths(line):
                offenders.append(f"{name}:{n}: {line.strip()}")
    assert not offenders, "paths into a home directory or a cache:\n" + "\n".join(offenders)
