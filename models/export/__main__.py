"""CLI: python -m models.export {whisper,translation} SOURCE OUT --precision fp32|fp16|int8
(or: python -m models.export speaker SOURCE OUT, see models/export/speaker.py)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .build import KINDS, PRECISIONS, ExportOptions, ParityError, export_package
from .parity import default_parity_audio
from .source import SOURCE_KINDS


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["speaker"]:
        from .speaker import main as speaker_main

        return speaker_main(argv[1:])
    p = argparse.ArgumentParser(prog="python -m models.export", description=__doc__)
    p.add_argument("kind", choices=KINDS)
    p.add_argument("source", help="hub id (owner/name), local transformers dir, CTranslate2 Whisper dir, "
                   "or Firefox Translations (Bergamot) model dir")
    p.add_argument("out", type=Path, help="package directory to write")
    p.add_argument("--precision", choices=PRECISIONS, default="fp32")
    p.add_argument("--source-kind", choices=SOURCE_KINDS, help="override source detection")
    p.add_argument("--revision", help="hub revision (branch, tag or commit)")
    p.add_argument("--name", help="package name (default: <source name>-<precision>)")
    p.add_argument("--parity-audio", type=Path, help="16 kHz mono WAV for the whisper parity check "
                   "(default: the cached pyannote sample; synthetic signal if absent)")
    p.add_argument("--parity-seconds", type=float, default=11.0)
    p.add_argument("--languages", help="comma-separated language codes (translation; default: from tokenizer/id)")
    p.add_argument("--target-language", default="fr", help="translation parity target (m2m100: fr, nllb: fra_Latn)")
    p.add_argument("--no-cross-attentions", action="store_true", help="whisper: omit cross-attention outputs")
    p.add_argument("--parity-sentences", type=Path, help="bergamot: parity sentences, one per line "
                   "(default: the bundled set for the source language)")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    opts = ExportOptions(
        precision=args.precision,
        source_kind=args.source_kind,
        name=args.name,
        revision=args.revision,
        parity_audio=args.parity_audio or default_parity_audio(),
        parity_seconds=args.parity_seconds,
        languages=tuple(args.languages.split(",")) if args.languages else None,
        target_language=args.target_language,
        cross_attentions=not args.no_cross_attentions,
        force=args.force,
        parity_sentences=args.parity_sentences,
    )
    try:
        export_package(args.kind, args.source, args.out, opts)
    except (ParityError, FileExistsError, ValueError) as e:
        print(f"export failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
