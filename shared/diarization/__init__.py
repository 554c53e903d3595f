"""Speaker diarization: who spoke when (numpy + onnxruntime only at inference).

Flow: speech regions (Silero VAD, short pauses) → speaker embeddings on sliding windows inside each
region, computed per chunk (`embeddings`) → one clustering over the whole recording (`clustering`)
→ speaker turns and word-level resegmentation of the transcript (`resegment`).
"""
