"""``toex``: transcribe and translate files or a drop folder on this machine, no cloud needed."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from functions.intake import RECORD_OPTIONS, persons_option, reference_option, speaker_option
from functions.lifecycle import InvalidState
from functions.local.app import LocalApp
from functions.local.logs import configure_logging
from functions.local.speaker_names import name_speakers, os_account, who_names
from shared.domain import Job, JobStatus
from shared.logcontext import job_context
from shared.outputs.formats import FORMATS
from shared.settings import Settings

log = logging.getLogger("toex")


def _options(args: argparse.Namespace) -> dict[str, Any]:
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise SystemExit(f"toex: unknown format(s): {', '.join(unknown)} (choose from {', '.join(FORMATS)})")
    # On the CPU a beam-search step is bound by memory traffic, so batching windows pays only at beam 1
    # (docs/benchmarks.md: batched beam 5, int8, ran at 0.78x of window by window).
    batch = args.batch_size or (8 if args.beam_size == 1 else 1)
    opts: dict[str, Any] = {
        "formats": formats,
        "translate_to": args.translate_to,
        "language": args.language,
        "beam_size": args.beam_size,
        "batch_size": batch,
        "word_timestamps": args.word_timestamps,
    }
    for key in RECORD_OPTIONS:  # the record's header (names overlay version 1); checked by _record_option
        if getattr(args, key, None):
            opts[key] = getattr(args, key)
    if args.initial_prompt:
        opts["initial_prompt"] = args.initial_prompt
    if args.speakers:
        opts["speakers"] = args.speakers
    elif getattr(args, "speaker_names", None):
        raise SystemExit("toex: --speaker-names needs speakers (not --speakers off)")
    return opts


def _speakers(value: str) -> str | None:
    try:
        return speaker_option(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _record_option(key: str) -> Callable[[str], Any]:
    """The argparse type of ``--case-ref``/``--exhibit-ref``/``--persons-present``: intake's own check."""
    def parse(value: str) -> Any:
        try:
            return persons_option(value) if key == "persons_present" else reference_option(key, value)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return parse


def _settings(args: argparse.Namespace) -> Settings:
    s = Settings.from_env()
    changes: dict[str, Any] = {}
    if args.data_dir:
        changes["data_dir"] = Path(args.data_dir).resolve()
    if getattr(args, "model", None):
        changes["whisper_model_dir"] = Path(args.model).resolve()
    if getattr(args, "translation_model", None):
        changes["translation_model_dir"] = Path(args.translation_model).resolve()
    if getattr(args, "workers", None) and s.intra_op_threads is None:
        changes["intra_op_threads"] = max(1, (os.cpu_count() or 2) // args.workers)
    if not os.environ.get("TOEX_DEFAULT_SPEAKERS"):  # locally speakers are told apart unless asked not to
        changes["default_speakers"] = "auto"
    return dataclasses.replace(s, mode="local", **changes)


def _run_with_progress(app: LocalApp, job: Job, show_bar: bool) -> Job:
    """Run one job, showing its progress; logs carry stages and counts, never transcript text."""
    worker = threading.Thread(target=app.run, args=(job,), daemon=True)
    worker.start()
    bar = None
    if show_bar:
        from tqdm import tqdm

        bar = tqdm(total=100, desc=job.source.name[:30], unit="%", leave=True)
    last_stage = ""
    while worker.is_alive():
        worker.join(0.5)
        current = app.jobs.get(job.force_id, job.job_id)
        if current is None:
            continue
        if bar is not None:
            bar.n = current.progress.percent
            bar.set_postfix_str(current.progress.stage)
        elif current.progress.stage != last_stage:
            with job_context(job.job_id):
                log.info("stage", extra={"stage": current.progress.stage,
                                         "chunks_total": current.progress.chunks_total})
        last_stage = current.progress.stage
    final = app.jobs.get(job.force_id, job.job_id)
    assert final is not None
    if bar is not None:
        bar.n = 100 if final.status is JobStatus.SUCCEEDED else bar.n
        bar.close()
    return final


def _holds_other_source(folder: Path, job: Job) -> bool:
    """Whether ``folder`` already holds outputs of a different recording (another name or content)."""
    previous = folder / "transcript.json"
    if not previous.is_file():
        return any(folder.iterdir()) if folder.is_dir() else False
    try:
        source = json.loads(previous.read_text(encoding="utf-8")).get("source", {})
    except (OSError, ValueError):
        return True
    return (source.get("name"), source.get("sha256")) != (job.source.name, job.source.sha256)


def output_folder(out_root: Path, job: Job, taken: dict[Path, str]) -> Path:
    """``DIR/<stem>/``, or ``DIR/<stem>-<job id>/`` when that folder belongs to another file.

    Another file is one submitted earlier in this run from another path (``taken``: folder → source
    URL), or one whose outputs are already there. Outputs are never silently replaced by another
    recording's; the same recording run again reuses its folder.
    """
    stem = Path(job.source.name).stem or "transcript"
    folder = out_root / stem
    owner = taken.get(folder)
    if (owner is not None and owner != job.source.url) or (owner is None and _holds_other_source(folder, job)):
        folder = out_root / f"{stem}-{job.job_id.removeprefix('job-')[:12]}"
    taken[folder] = job.source.url or job.job_id
    return folder


def cmd_transcribe(args: argparse.Namespace) -> int:
    app = LocalApp(_settings(args), workers=args.workers)
    options = _options(args)
    out_root = Path(args.out).resolve()
    failures = 0
    taken: dict[Path, str] = {}
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"{name}: failed: not_found: no such file", file=sys.stderr)
            failures += 1
            continue
        job, _ = app.submit(path, options)
        final = _run_with_progress(app, job, show_bar=sys.stderr.isatty() and not args.quiet)
        if final.status is not JobStatus.SUCCEEDED:
            failures += 1
            reason = f"{final.error.code}: {final.error.message}" if final.error else final.status.value
            print(f"{name}: failed: {reason}", file=sys.stderr)
            continue
        folder = output_folder(out_root, final, taken)
        written = app.export_outputs(final, folder)
        if args.speaker_names:
            try:
                written = name_speakers(folder, written, args.speaker_names, by=who_names())
            except ValueError as e:
                failures += 1
                print(f"{name}: speaker names not applied: {e}", file=sys.stderr)
        if args.print:
            print(written["txt"].read_text(encoding="utf-8") if "txt" in written else "")
        print(f"{name}: {final.job_id} -> {folder}")
        for fmt, p in written.items():
            print(f"  {fmt:5} {p}")
    return 1 if failures else 0


def cmd_watch(args: argparse.Namespace) -> int:
    """Every new file in the drop folder becomes one job; originals are never moved or altered."""
    from functions.local.watch import watch

    app = LocalApp(_settings(args), workers=args.workers)
    return watch(
        app,
        Path(args.folder),
        Path(args.out),
        _options(args),
        interval_s=args.interval,
        once=args.once,
        show_bar=sys.stderr.isatty() and not args.quiet,
        run=_run_with_progress,
    )


def cmd_jobs(args: argparse.Namespace) -> int:
    app = LocalApp(_settings(args))
    for job in app.jobs.list_all(args.limit):
        err = f"  {job.error.code}: {job.error.message}" if job.error else ""
        print(
            f"{job.job_id}  {job.status.value:9}  {job.progress.stage:12} {job.progress.percent:3d}%  "
            f"{job.source.name}{err}"
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    app = LocalApp(_settings(args))
    job = app.find(args.job)
    if job is None:
        print(f"toex: no job {args.job}", file=sys.stderr)
        return 2
    d = job.to_dict()
    print(json.dumps(d, indent=2, ensure_ascii=False))
    return 0


def _local_user() -> str:
    """Who runs this ``toex``, for the access audit trail: the operating-system account, as ``local:<name>``."""
    return f"local:{os_account()}"


def _change_job(app: LocalApp, wanted: str, change: Callable[[Job], Job]) -> Job | None:
    """The job ``wanted`` names (an id prefix) after ``change``; None, said why on stderr, when it cannot be."""
    job = app.find(wanted)
    if job is None:
        print(f"toex: no job {wanted}", file=sys.stderr)
        return None
    try:
        final = change(job)
    except InvalidState as e:
        print(f"toex: {job.job_id}: {e}", file=sys.stderr)
        return None
    print(f"{final.job_id}: {final.status.value}")
    return final


def cmd_retry(args: argparse.Namespace) -> int:
    """Run a failed or cancelled job again as a new attempt (``retry_job``, as the Azure API does)."""
    app = LocalApp(_settings(args), workers=args.workers)
    final = _change_job(app, args.job, lambda job: app.retry(job, actor=_local_user()))
    return 2 if final is None else 0 if final.status is JobStatus.SUCCEEDED else 1


def cmd_cancel(args: argparse.Namespace) -> int:
    """Cancel a job another ``toex`` process is running, or one left queued (``cancel_job``)."""
    app = LocalApp(_settings(args))
    return 2 if _change_job(app, args.job, lambda job: app.cancel(job, actor=_local_user())) is None else 0


def cmd_resume(args: argparse.Namespace) -> int:
    """Finish jobs a killed run left behind, without repeating their completed activities."""
    app = LocalApp(_settings(args), workers=args.workers)
    failed = 0
    for job in app.unfinished():
        final = _run_with_progress(app, job, show_bar=sys.stderr.isatty() and not args.quiet)
        print(f"{final.job_id}: {final.status.value}")
        failed += final.status is not JobStatus.SUCCEEDED
    return 1 if failed else 0


def cmd_setup(args: argparse.Namespace) -> int:
    """Whisper base, the pt→en / en→pt text models and the speaker encoder; stdout carries only the Whisper
    package path.

    One progress line per step; library output goes to a log file. ``--precision`` is Whisper's; the text
    models are fp32 (``--text-precision``), which reproduces the reference engine's output and is faster
    than it on the CPU (docs/benchmarks.md)."""
    from functions.local.quiet import progress_only
    from shared.assets import ensure_default_model, ensure_speaker_model, ensure_translation_models
    from shared.diarization.package import open_speaker_package
    from shared.inference.package import open_package
    from shared.settings import cache_root

    log_path = cache_root() / "logs" / "setup.log"
    with progress_only(log_path):
        whisper = ensure_default_model(args.precision)
        translation = ensure_translation_models(args.text_precision)
        speaker = ensure_speaker_model()  # speakers are labelled by default
    # exports are reproducible: these digests are what a deployment pins (TOEX_*_MODEL_DIGEST)
    print(f"toex setup: TOEX_WHISPER_MODEL_DIGEST={open_package(whisper).sha256}", file=sys.stderr)
    digests = ",".join(open_package(path).sha256 for path in translation.values())
    print(f"toex setup: TOEX_TRANSLATION_MODEL_DIGEST={digests}", file=sys.stderr)
    for path in translation.values():
        print(f"toex setup: translation package {path}", file=sys.stderr)
    print(f"toex setup: speaker package {speaker}", file=sys.stderr)
    print(f"toex setup: TOEX_SPEAKER_MODEL_DIGEST={open_speaker_package(speaker).sha256}", file=sys.stderr)
    print(f"toex setup: ready; library output is in {log_path}", file=sys.stderr)
    print(whisper)
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    """Documents of every format (docs/documents.md) through shared.documents."""
    from shared.adapters.inference_local import LocalTranslator
    from shared.documents.cli_entry import translate_command
    from shared.services import translation_packages

    settings = _settings(args)
    translators = [LocalTranslator(d, settings.providers, settings.intra_op_threads, beam_size=args.beam_size or None)
                   for d in translation_packages(settings)]
    return translate_command(args.files, target=args.to, source=args.source_language, translators=translators,
                             glossary=args.glossary, force_glossary=args.force_glossary, out=args.out,
                             decoding={"beam_size": args.beam_size or "package default"})


def cmd_web(args: argparse.Namespace) -> int:
    """The officer's page on this machine (functions/local/web.py)."""
    from functions.local.web import serve

    return serve(_settings(args), host=args.host, port=args.port, identities=args.identity, workers=args.workers)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="toex", description=__doc__)
    p.add_argument("--data-dir", help="job store, task hub and blobs (default: $TOEX_DATA_DIR or ./toex-data)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--log-format", choices=("text", "json"), default=None)
    sub = p.add_subparsers(dest="command", required=True)

    def job_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--out", default="toex-output", help="output folder (one sub-folder per file)")
        sp.add_argument("--language", "--from", dest="language", help="spoken language code (default: detect)")
        sp.add_argument("--translate-to", "--to", dest="translate_to",
                        help="also translate into this language (e.g. en)")
        sp.add_argument("--model", help="Whisper ONNX package (default: Whisper base, fetched once)")
        sp.add_argument("--translation-model", help="text translation ONNX package (NLLB, M2M100, Marian)")
        sp.add_argument("--formats", default=",".join(FORMATS), help="json,txt,srt,vtt,docx")
        sp.add_argument("--workers", type=int, default=2, help="activities run in parallel")
        sp.add_argument("--beam-size", type=int, default=5)
        sp.add_argument("--batch-size", type=int, default=0,
                        help="30 s windows decoded together (default: 1 with beam search, 8 greedy)")
        sp.add_argument("--word-timestamps", action="store_true")
        sp.add_argument("--case-ref", type=_record_option("case_ref"), help="case reference, in the record's header")
        sp.add_argument("--exhibit-ref", type=_record_option("exhibit_ref"), help="exhibit reference (e.g. JH/1)")
        sp.add_argument("--persons-present", type=_record_option("persons_present"), metavar='"NAME; NAME"',
                        help="persons present, separated by ';', in the record's header")
        sp.add_argument("--initial-prompt", help="names and places to prime recognition")
        sp.add_argument("--speakers", type=_speakers, default="auto", metavar="auto|N|LOW-HIGH|off",
                        help="label who speaks (S1, S2, ...): count found (default), exactly N, a range, or off "
                             "(diarization costs about 9 %% of the transcription time: docs/benchmarks.md)")

    t = sub.add_parser("transcribe", help="transcribe (and translate) files")
    t.add_argument("files", nargs="+")
    t.add_argument("--print", action="store_true", help="print the text transcript when done")
    t.add_argument("--speaker-names", metavar="NAME,NAME,...",
                   help="name the speakers in order of first appearance (written as a names overlay)")
    job_options(t)
    t.set_defaults(fn=cmd_transcribe)
    w = sub.add_parser("watch", help="process every new file dropped into a folder")
    w.add_argument("folder")
    w.add_argument("--interval", type=float, default=5.0)
    w.add_argument("--once", action="store_true", help="process what is there, then stop")
    job_options(w)
    w.set_defaults(fn=cmd_watch)
    j = sub.add_parser("jobs", help="list jobs")
    j.add_argument("--limit", type=int, default=50)
    j.set_defaults(fn=cmd_jobs)
    s = sub.add_parser("show", help="one job's status, progress, outputs or error")
    s.add_argument("job")
    s.set_defaults(fn=cmd_show)
    r = sub.add_parser("retry", help="run a failed or cancelled job again, as a new attempt")
    r.add_argument("job")
    c = sub.add_parser("cancel", help="cancel a job that has not finished")
    c.add_argument("job")
    c.set_defaults(fn=cmd_cancel)
    rs = sub.add_parser("resume", help="finish jobs an interrupted run left behind")
    for sp in (r, rs):
        sp.add_argument("--workers", type=int, default=2)
        sp.add_argument("--model", help="the Whisper package the job started with")
        sp.add_argument("--translation-model", help="the translation package the job started with")
    r.set_defaults(fn=cmd_retry)
    rs.set_defaults(fn=cmd_resume)
    su = sub.add_parser("setup", help="fetch and export the default offline models "
                        "(Whisper base, pt↔en text, speaker encoder)")
    su.add_argument("--precision", default="int8", choices=("int8", "fp32"), help="Whisper base precision")
    su.add_argument("--text-precision", default="fp32", choices=("fp32", "int8"),
                    help="pt→en / en→pt text models (fp32: the reference engine's output)")
    su.set_defaults(fn=cmd_setup)
    tr = sub.add_parser("translate", help="translate documents (txt, docx, pdf, srt, vtt, html, eml, csv...)")
    tr.add_argument("files", nargs="+")
    tr.add_argument("--out", help="write DIR/<stem>/ (default: text files to stdout, others to toex-output)")
    tr.add_argument("--glossary", help="the job's glossary (CSV/TSV source,target; empty target: keep)")
    tr.add_argument("--force-glossary", help="the force's glossary (the job's wins for the same term)")
    tr.add_argument("--to", required=True, help="target language (e.g. en)")
    tr.add_argument("--from", dest="source_language", help="source language (default: identified per "
                    "paragraph or message)")
    tr.add_argument("--translation-model", help="a translation package, or a folder of packages")
    tr.add_argument("--beam-size", type=int, default=0, help="default: the package's own (Bergamot: greedy)")
    tr.set_defaults(fn=cmd_translate)
    wb = sub.add_parser("web", help="serve the officer's page on this machine")
    wb.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    wb.add_argument("--port", type=int, default=8080)
    wb.add_argument("--identity", action="append", metavar="FORCE:USER[:forcewide]",
                    help="a signed-in identity (repeatable; one link each); default local:officer")
    wb.add_argument("--workers", type=int, default=2)
    wb.add_argument("--model", help="Whisper ONNX package (default: Whisper base, fetched once)")
    wb.add_argument("--translation-model", help="text translation ONNX package")
    wb.set_defaults(fn=cmd_web)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_format or ("text" if sys.stderr.isatty() else "json"))
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
