"""The shared Entra credential helper (no network: building the credential contacts nothing)."""

from __future__ import annotations

from azure.identity import DefaultAzureCredential

from shared.adapters.azure_identity import default_credential


def test_default_credential_is_one_shared_default_azure_credential() -> None:
    cred = default_credential()
    assert isinstance(cred, DefaultAzureCredential)
    assert default_credential() is cred  # one token cache per process
    user_assigned = default_credential("00000000-0000-0000-0000-000000000123")
    assert isinstance(user_assigned, DefaultAzureCredential) and user_assigned is not cred
