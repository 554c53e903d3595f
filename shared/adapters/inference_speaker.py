"""``SpeakerEmbedder`` on the GPU service (``POST /v1/speaker-embeddings``, :mod:`shared.inference.wire`).

The worker keeps VAD, the window plan and the pitch (numpy, audio only); the service gets the chunk's
FLAC and the plan and answers one float32 vector per window. Auth, timeouts, retries and error mapping
are the Whisper adapter's (:class:`shared.adapters.inference_http._HttpClient`). With a pinned digest
(``TOEX_SPEAKER_MODEL_DIGEST``) vectors from any other speaker model are refused: they would not
cluster with the other chunks' and the transcript names the model it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from shared.adapters.inference_http import InferenceError, _HttpClient
from shared.diarization.encoder import Span, SpeakerModel
from shared.inference import wire
from shared.media import encode_flac


class HttpSpeakerEmbedder(_HttpClient):
    """Speaker embeddings from the remote service; ``expected_digest`` pins its model ("" = any)."""

    def __init__(self, base_url: str, *args: Any, expected_digest: str = "", **kwargs: Any) -> None:
        super().__init__(base_url, *args, **kwargs)
        self.expected_digest = expected_digest.strip().lower()

    def _checked(self, info: dict[str, Any]) -> SpeakerModel:
        sha = str(info.get("sha256", "")).lower()
        if self.expected_digest and sha != self.expected_digest:
            raise InferenceError(f"{self.base_url} serves speaker model {sha[:12]}..., "
                                 f"not the pinned {self.expected_digest[:12]}...: refused")
        return SpeakerModel(str(info.get("name", "")), sha, int(info.get("embedding_dim", 0)))

    @property
    def model(self) -> SpeakerModel:
        return self._checked(self.role_info(wire.SPEAKER))

    def embed_windows(self, audio: np.ndarray, windows: Sequence[Span], *, flac: bytes | None = None,
                      batch_size: int = 32) -> np.ndarray:
        if not windows:
            return np.zeros((0, self.model.embedding_dim), np.float32)
        body = wire.SpeakerRequest(tuple((float(s), float(e)) for s, e in windows),
                                   flac if flac is not None else encode_flac(audio)).to_bytes()
        resp = self.request("POST", wire.SPEAKER_PATH, data=body, headers={"Content-Type": "application/json"})
        try:
            answer = wire.SpeakerResponse.from_dict(resp.json())
        except (ValueError, KeyError, TypeError) as e:
            raise InferenceError(f"speaker service answered a malformed body ({type(e).__name__})") from None
        model = self._checked(answer.model)
        if answer.embeddings.shape != (len(windows), model.embedding_dim):
            raise InferenceError("speaker service returned a different number of embeddings")
        return answer.embeddings
