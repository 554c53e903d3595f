"""Export the pinned weights into verified packages (tooling: needs ``models/export``).

    python -m models.fetch [--cache DIR] [--export fp32,int8] [--export-translation fp32]

Fetching and locating live in the core (:mod:`shared.assets`); this module adds what needs the exporter,
and the core runs it as a child process (``shared.assets.run_exporter``) so that nothing imports
``models/``. Its names from :mod:`shared.assets` are re-exported for the tooling, tests and benches.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared.assets import (
    BASE_SOURCE,
    BERGAMOT_PAIRS,
    cache_dir,
    default_translation_dirs,
    fetch,
    fetch_speaker_assets,
    sample_path,
    source_path,
    speaker_model_dir,
    translation_model_dir,
    vad_model_path,
    verified_package,
    whisper_model_dir,
)

__all__ = [
    "BASE_SOURCE", "default_translation_dirs", "ensure_default_model", "ensure_translation_models", "fetch",
    "fetch_speaker_assets", "sample_path", "source_path", "speaker_model_path", "translation_model_dir",
    "vad_model_path",
]


def log(msg: str) -> None:
    print(f"[models.fetch] {msg}", file=sys.stderr, flush=True)


def ensure_default_model(precision: str = "int8", cache: Path | None = None) -> Path:
    """Whisper base exported once into models/whisper-base-<precision>/ (re-exported if invalid, or if
    an int8 package records another quantization scheme than the exporter's)."""
    out = whisper_model_dir(precision, cache)
    if verified_package(out) and (precision != "int8" or _current_int8_scheme(out)):
        return out
    from models.export import ExportOptions, export_package

    log(f"exporting Whisper base ({precision}) into {out}")
    export_package("whisper", str(source_path(BASE_SOURCE, cache)), out, ExportOptions(
        precision=precision, source_kind="ct2", name=f"whisper-base-{precision}",
        parity_audio=sample_path(cache), force=True))
    return out


def _current_int8_scheme(package: Path) -> bool:
    from models.export.build import int8_quantization
    from shared.inference.package import open_package

    if open_package(package).manifest.get("quantization") == int8_quantization("whisper"):
        return True
    log(f"{package.name} was quantized with an older scheme; re-exporting")
    return False


def ensure_translation_models(precision: str = "fp32", cache: Path | None = None) -> dict[str, Path]:
    """The bundled Firefox Translations pairs exported once into models/bergamot-<pair>-<precision>/."""
    out: dict[str, Path] = {}
    for pair in BERGAMOT_PAIRS:
        target = out[pair] = translation_model_dir(pair, precision, cache)
        if verified_package(target):
            continue
        from models.export import ExportOptions, export_package

        log(f"exporting Firefox Translations {pair} ({precision}) into {target}")
        export_package("translation", str(source_path(f"bergamot-{pair}", cache)), target, ExportOptions(
            precision=precision, source_kind="bergamot", name=f"bergamot-{pair}-{precision}", force=True))
    return out


def speaker_model_path(cache: Path | None = None) -> Path:
    """The Resemblyzer speaker-encoder ONNX package, exported once into models/speaker-resemblyzer/."""
    out = speaker_model_dir(cache)
    if verified_package(out, "speaker"):
        return out
    src, _ = fetch_speaker_assets(cache)
    from models.export.speaker import export_speaker_package

    log(f"exporting the speaker encoder into {out}")
    export_speaker_package(src, out, parity_audio=sample_path(cache), force=True)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m models.fetch", description="Fetch pinned weights and export them.")
    p.add_argument("--cache", type=Path, help="cache root (default: $TOEX_CACHE, else settings.cache_root())")
    p.add_argument("--export", default="", help="also export Whisper base packages, e.g. int8,fp32")
    p.add_argument("--export-translation", default="",
                   help="also export the pt→en / en→pt text translation packages, e.g. int8")
    p.add_argument("--export-speaker", action="store_true", help="also export the speaker-encoder package")
    args = p.parse_args(argv)
    root = fetch(args.cache)
    log(f"assets ready under {cache_dir(root)}")
    for precision in filter(None, args.export.split(",")):
        log(f"package: {ensure_default_model(precision, args.cache)}")
    for precision in filter(None, args.export_translation.split(",")):
        for path in ensure_translation_models(precision, args.cache).values():
            log(f"package: {path}")
    if args.export_speaker:
        log(f"package: {speaker_model_path(args.cache)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
