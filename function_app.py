"""The Azure Functions app (Python v2 programming model): blueprints from functions/, nothing else.

* functions.azure.triggers: ``blob_uploaded`` (Event Grid-source blob trigger on ``incoming/<force>/...``),
  ``force_blob_created`` (Event Grid trigger for forces' own storage), the orchestration
  ``transcription_orchestrator`` and one activity per ``functions.registry.ACTIVITIES`` entry;
* functions.api: the HTTP API under ``/api/v1``;
* functions.azure.page: the officer's page (``/api/page/...``, published at the gateway's root).

Tracing: every log record carries the job id (``record.job_id``); when the Azure Monitor OpenTelemetry
distro is installed and ``APPLICATIONINSIGHTS_CONNECTION_STRING`` is set, records and spans go to
Application Insights with it as a custom dimension. Evidence content is never logged.
"""

import logging
import os

import azure.durable_functions as df
import azure.functions as func
import azurefunctions.extensions.bindings.blob  # noqa: F401  (registers the BlobClient SDK-type binding)

from functions import api
from functions.azure import page, triggers
from functions.contracts import use_strict_typing
from shared.logcontext import install_log_correlation

use_strict_typing()  # results decode against the orchestrator's expected types (functions.contracts)
install_log_correlation()
if os.environ.get("APPLICATIONINSIGHTS_CONNECTION_STRING"):
    try:
        from azure.monitor.opentelemetry import configure_azure_monitor
    except ImportError:  # the distro is optional: without it the host collects the worker's logs
        logging.getLogger(__name__).info("azure-monitor-opentelemetry not installed; logging only")
    else:
        configure_azure_monitor(logger_name="functions")

app = df.DFApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(triggers.bp)
app.register_functions(api.bp)
app.register_functions(page.bp)
