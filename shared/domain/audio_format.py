"""The one audio format every model here hears (Whisper, Silero VAD, the speaker model): mono float32
samples at 16 kHz. Decoding resamples to it; chunks are FLAC at it."""

SAMPLE_RATE = 16000
