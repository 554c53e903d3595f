"""Child process for the optimum export (run with PYTHONHASHSEED=0 by onnx_export.run_optimum_export)."""

import sys

from models.export.onnx_export import worker_main

if __name__ == "__main__":
    worker_main(sys.argv[1:])
