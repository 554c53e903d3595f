"""The one Entra ID credential the Azure adapters share (no keys, no connection strings).

In Azure it resolves to the Function App's managed identity; ``AZURE_CLIENT_ID`` selects a
user-assigned identity. On a developer's machine it falls back to the Azure CLI / VS Code sign-in.
"""

from __future__ import annotations

import functools
import os

from azure.core.credentials import TokenCredential
from azure.identity import DefaultAzureCredential


@functools.cache
def default_credential(client_id: str | None = None) -> TokenCredential:
    """A process-wide ``DefaultAzureCredential`` (cached, so its token cache is shared).

    ``client_id`` (else ``AZURE_CLIENT_ID``) picks a user-assigned managed identity.
    """
    client_id = client_id or os.environ.get("AZURE_CLIENT_ID") or None
    return DefaultAzureCredential(managed_identity_client_id=client_id,
                                  exclude_interactive_browser_credential=True)
