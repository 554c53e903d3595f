"""Document translation: format readers/writers that keep structure, segmentation with protected
spans, glossaries, language identification, and the outputs (see job.translate_file)."""
