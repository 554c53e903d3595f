"""A newcomer's first run shows progress lines; library chatter (Python, native, child processes) goes to a log."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_library_output_goes_to_the_log_and_progress_to_the_terminal(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "setup.log"
    script = textwrap.dedent(f"""
        import logging, os, subprocess, sys, warnings
        from functions.local.logs import configure_logging
        from functions.local.quiet import progress_only
        configure_logging("json")
        with progress_only(__import__("pathlib").Path({str(log)!r})):
            print("[models.fetch] downloading 2 wheel(s) from PyPI", file=sys.stderr)
            logging.getLogger("onnxruntime.quantization").warning("Quantization parameters for tensor x")
            logging.getLogger("root").info("Quantization parameters for tensor y not specified")
            warnings.warn("TracerWarning: converting a tensor to a Python boolean")
            os.write(2, b"native library chatter\\n")
            subprocess.run([sys.executable, "-c", "import sys; print('child chatter', file=sys.stderr)"], check=True)
            subprocess.run([sys.executable, "-c", "print('pip output')"], stdout=sys.stderr, check=True)
            print("[models.export] parity check against PyTorch fp32", file=sys.stderr)
        print("/the/model/path")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "/the/model/path"
    shown = done.stderr.strip().splitlines()
    assert shown == ["toex setup: downloading 2 wheel(s) from PyPI", "toex setup: parity check against PyTorch fp32"]
    logged = log.read_text()
    for chatter in ("Quantization parameters for tensor x", "Quantization parameters for tensor y",
                    "TracerWarning", "native library chatter", "child chatter", "pip output"):
        assert chatter in logged
