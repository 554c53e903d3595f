"""The inference service refuses unauthenticated callers and stops decoding at its audio limit
(issue 10, finding 8): real app, real FLAC, real RS256 tokens signed by a test key."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import jwt
import numpy as np
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from functions.gpu.app import create_app
from functions.gpu.audio import AudioTooLong, decode_capped
from functions.gpu.auth import AuthSettings, CallerCheck, NotAuthorized
from functions.gpu.config import ServeConfig
from shared.inference.wire import REQUEST_HEADER
from shared.media import encode_flac
from tests.fixtures.mediagen import speech
from tests.fixtures.serve import serve

TENANT = "11111111-2222-3333-4444-555555555555"
AUDIENCE = "api://toex-inference"
CALLER = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OK_HEADER = {REQUEST_HEADER: json.dumps({"windows": None, "options": {}})}


def token(key: rsa.RSAPrivateKey = KEY, **claims: object) -> str:
    now = int(time.time())
    body = {"aud": AUDIENCE, "iss": f"https://login.microsoftonline.com/{TENANT}/v2.0", "tid": TENANT,
            "iat": now, "exp": now + 600, "azp": CALLER, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm="RS256")


def entra() -> CallerCheck:
    settings = AuthSettings(mode="entra", tenant_id=TENANT, audiences=(AUDIENCE,), allowed_callers=(CALLER,))
    return CallerCheck(settings, key_resolver=lambda _t: KEY.public_key())


def test_entra_tokens_are_checked() -> None:
    check = entra()
    assert check.check(f"Bearer {token()}") == CALLER
    for bad in (None, "", "Basic x", f"Bearer {token(OTHER_KEY)}", f"Bearer {token(aud='api://other')}",
                f"Bearer {token(iss='https://login.microsoftonline.com/evil/v2.0')}",
                f"Bearer {token(exp=int(time.time()) - 3600)}", f"Bearer {token(azp='someone-else')}",
                f"Bearer {token(tid='evil')}", "Bearer not.a.jwt",
                "Bearer " + jwt.encode({"aud": AUDIENCE}, "k" * 32, algorithm="HS256")):
        with pytest.raises(NotAuthorized):
            check.check(bad)


def test_shared_secret_and_fail_closed_defaults() -> None:
    secret = CallerCheck(AuthSettings(mode="secret", secret="s" * 40))
    assert secret.check("Bearer " + "s" * 40) == "shared-secret"
    with pytest.raises(NotAuthorized):
        secret.check("Bearer " + "s" * 39)
    with pytest.raises(NotAuthorized):
        CallerCheck(AuthSettings()).check(f"Bearer {token()}")  # nothing configured: deny
    assert ServeConfig().auth.mode == "deny"
    with pytest.raises(ValueError):
        CallerCheck(AuthSettings(mode="secret", secret="short"))


def test_unauthenticated_calls_are_refused_before_the_body_is_read(tiny_whisper_package: Path) -> None:
    cfg = ServeConfig(whisper_dir=Path(tiny_whisper_package), providers=("CPUExecutionProvider",),
                      intra_op_threads=1, model_wait_s=60.0,
                      auth=AuthSettings(mode="entra", tenant_id=TENANT, audiences=(AUDIENCE,)))
    app = create_app(cfg, key_resolver=lambda _t: KEY.public_key())
    flac = encode_flac(speech(3.0))
    with serve(app) as url:
        for headers in ({}, {"Authorization": f"Bearer {token(OTHER_KEY)}"}):
            r = requests.post(f"{url}/v1/transcribe", data=flac, headers={**OK_HEADER, **headers}, timeout=30)
            assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
            assert requests.get(f"{url}/v1/model", headers=headers, timeout=10).status_code == 401
            assert requests.post(f"{url}/v1/translate", json={}, headers=headers, timeout=10).status_code == 401
        assert requests.get(f"{url}/healthz", timeout=5).status_code == 200  # probes stay open
        deadline = time.monotonic() + 60
        auth = {"Authorization": f"Bearer {token()}"}
        while (r := requests.post(f"{url}/v1/transcribe", data=flac, headers={**OK_HEADER, **auth},
                                  timeout=60)).status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert r.status_code == 200, r.text


def test_a_small_flac_of_long_silence_stops_decoding_at_the_limit() -> None:
    ten_minutes = encode_flac(np.zeros(600 * 16000, np.float32))
    assert len(ten_minutes) < 400_000  # a tiny body ...
    t0 = time.monotonic()
    tracemalloc.start()
    try:
        with pytest.raises(AudioTooLong):
            decode_capped(ten_minutes, max_s=30.0)
        peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert peak_mib < 8, peak_mib  # ... never decoded to its 37 MiB of float32 (30 s is 1.8 MiB)
    assert time.monotonic() - t0 < 5
    ok = decode_capped(encode_flac(speech(3.0)), max_s=30.0)
    assert abs(len(ok) - 3 * 16000) < 1600 and ok.dtype == np.float32
