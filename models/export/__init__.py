"""Export Whisper / translation checkpoints to verified ONNX packages (python -m models.export)."""

from .build import ExportOptions, ParityError, export_package

__all__ = ["ExportOptions", "ParityError", "export_package"]
