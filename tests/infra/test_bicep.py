"""Security and contract assertions on the parsed Bicep of infra/bicep (pycep, no Bicep CLI)."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bicep_helpers import (
    BICEP_DIR,
    MODULES,
    REPO,
    allowed,
    bicep_files,
    dump,
    param_default,
    parse,
    resolve,
    resource,
    resources_of_type,
    unwrap,
)

# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(BICEP_DIR)))
def test_every_bicep_file_parses(path):
    """checkov silently skips files pycep cannot parse, so a parse failure must fail CI."""
    from pycep import BicepParser

    tree = BicepParser().parse(file_path=path)
    assert tree, f"{path} parsed to nothing"


def test_parsing_errors_is_zero():
    from pycep import BicepParser

    parser = BicepParser()
    parsing_errors = []
    for path in bicep_files():
        try:
            parser.parse(file_path=path)
        except Exception as exc:
            parsing_errors.append(f"{path}: {exc}")
    assert len(bicep_files()) >= 15
    assert parsing_errors == []


@pytest.mark.parametrize("path", bicep_files(), ids=lambda p: str(p.relative_to(BICEP_DIR)))
def test_modules_stay_small(path):
    if path == BICEP_DIR / "main.bicep":
        # the composition root: parameters and module wiring, no resource but the group (checked here)
        assert list(parse("main.bicep")["resources"]) == ["rg"]
        assert len(path.read_text().splitlines()) <= 460
    else:
        assert len(path.read_text().splitlines()) <= 400


# --------------------------------------------------------------------------- main.bicep


def test_main_is_subscription_scoped_and_creates_resource_group():
    tree = parse("main.bicep")
    assert tree["globals"]["scope"]["value"] == "subscription"
    rg = resource("main.bicep", "rg")
    assert rg is not None
    assert resources_of_type("main.bicep", "Microsoft.Resources/resourceGroups")


def test_main_parameters_and_defaults():
    assert param_default("main.bicep", "location") == "uksouth"
    assert "environmentName" in parse("main.bicep")["parameters"]
    assert param_default("main.bicep", "forces")
    assert param_default("main.bicep", "gpuWorkloadProfileType") == "Consumption-GPU-NC8as-T4"
    assert "Consumption-GPU-NC24-A100" in allowed("main.bicep", "gpuWorkloadProfileType")
    assert param_default("main.bicep", "networkMode") == "private"
    assert set(allowed("main.bicep", "networkMode")) == {"private", "public"}


def test_private_network_mode_disables_public_access():
    var = parse("main.bicep")["variables"]["dataPublicNetworkAccess"]["value"]["operator"]
    assert var["type"] == "conditional"
    assert var["operands"]["condition"] == "privateNetworking"
    assert var["operands"]["true_value"] == "Disabled"
    priv = parse("main.bicep")["variables"]["privateNetworking"]["value"]
    assert "private" in dump(priv)
    # every data service receives it, and private endpoints follow the mode
    for symbol in ("storage", "hostStorage", "cosmos", "keyVault", "eventGrid"):
        params = parse("main.bicep")["modules"][symbol]["config"]["params"]
        assert params["publicNetworkAccess"] == "dataPublicNetworkAccess", symbol
        assert params["enablePrivateEndpoints"] == "privateNetworking", symbol


def test_main_names_do_not_shadow_module_parameters():
    """checkov links identifiers through one name map for all files: a main.bicep variable named like
    the modules' publicNetworkAccess parameter made CKV_AZURE_101/193 pass or fail run to run."""
    main = parse("main.bicep")
    main_names = set(main["variables"]) | set(main["parameters"])
    assert "publicNetworkAccess" not in main_names
    for path in sorted(MODULES.glob("*.bicep")):
        params = parse(f"modules/{path.name}")["parameters"]
        if "publicNetworkAccess" in params:
            assert params["publicNetworkAccess"]["default"] == "Disabled", path.name


def test_main_composes_every_module_and_files_exist():
    modules = parse("main.bicep")["modules"]
    paths = {m["detail"]["path"] for m in modules.values()}
    expected = {
        "modules/monitoring.bicep",
        "modules/network.bicep",
        "modules/identity.bicep",
        "modules/storage.bicep",
        "modules/hoststorage.bicep",
        "modules/cosmos.bicep",
        "modules/keyvault.bicep",
        "modules/registry.bicep",
        "modules/eventgrid.bicep",
        "modules/defender.bicep",
        "modules/roles.bicep",
        "modules/containerapps.bicep",
        "modules/functionapp.bicep",
        "modules/blobtrigger.bicep",
        "modules/forcesource.bicep",
        "modules/apim.bicep",
    }
    assert expected <= paths
    for p in paths:
        assert (BICEP_DIR / p).is_file(), p


# --------------------------------------------------------------------------- storage


@pytest.mark.parametrize("rel", ["modules/storage.bicep", "modules/hoststorage.bicep"])
def test_storage_account_hardening(rel):
    props = resource(rel, "account")["properties"]
    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["supportsHttpsTrafficOnly"] is True
    assert props["allowCrossTenantReplication"] is False
    assert props["defaultToOAuthAuthentication"] is True
    assert resolve(rel, props["publicNetworkAccess"]) == "Disabled"
    assert props["networkAcls"]["defaultAction"] == "Deny"
    assert props["encryption"]["requireInfrastructureEncryption"] is True
    assert resolve(rel, resource(rel, "account")["sku"]["name"]) in {
        "Standard_GZRS", "Standard_RAGZRS", "Standard_GRS", "Standard_RAGRS"}


def test_evidence_worm_versioning_and_soft_delete():
    rel = "modules/storage.bicep"
    assert resource(rel, "account")["properties"]["immutableStorageWithVersioning"]["enabled"] is True
    blob = resource(rel, "blobService")["properties"]
    assert blob["isVersioningEnabled"] is True
    assert blob["deleteRetentionPolicy"]["enabled"] is True
    assert blob["containerDeleteRetentionPolicy"]["enabled"] is True
    assert blob["changeFeed"]["enabled"] is True


def test_single_incoming_container_with_time_based_retention():
    rel = "modules/storage.bicep"
    tree = parse(rel)
    assert "incomingContainerName" in tree["variables"]  # = containers.incoming (tests/infra/test_containers.py)
    assert "forces" not in tree["parameters"]  # forces are folders, not containers
    raw = tree["resources"]["incoming"]["config"]
    assert "loop_type" not in raw, "one incoming container, not one per force"
    incoming = resource(rel, "incoming")
    assert incoming["name"] == "incomingContainerName"
    assert incoming["properties"]["immutableStorageWithVersioning"]["enabled"] is True
    assert incoming["properties"]["publicAccess"] == "None"
    policy = resource(rel, "incomingRetention")
    assert policy["parent"] == "incoming"
    assert policy["name"] == "default"
    assert policy["properties"]["immutabilityPeriodSinceCreationInDays"] == "retentionDays"
    assert policy["properties"]["allowProtectedAppendWrites"] is False
    assert "incomingContainerName" in dump(tree["outputs"])
    assert "incoming-" not in (MODULES / "storage.bicep").read_text()


def test_work_containers_exist_and_are_private():
    rel = "modules/storage.bicep"
    from shared.services import CONTAINERS

    assert set(CONTAINERS["appCreated"]) == {"chunks", "work", "outputs", "deadletter", "models"}
    for symbol in ("work", "incoming"):
        assert resource(rel, symbol)["properties"]["publicAccess"] == "None"


def test_lifecycle_deletes_chunks_quickly_and_outputs_after_retention():
    rel = "modules/storage.bicep"
    rules = {r["name"]: r for r in resource(rel, "lifecycle")["properties"]["policy"]["rules"]}
    chunks = rules["delete-chunks"]["definition"]
    assert chunks["filters"]["prefixMatch"]["config"] == "${c}/"  # [for c in containers.chunkRetention: ...]
    assert chunks["actions"]["baseBlob"]["delete"]["daysAfterCreationGreaterThan"] == "chunkRetentionDays"
    assert chunks["actions"]["version"]["delete"]["daysAfterCreationGreaterThan"] == "chunkRetentionDays"
    assert param_default(rel, "chunkRetentionDays") <= 7
    outputs = rules["delete-outputs-after-retention"]["definition"]
    assert "evidenceRetention" in dump(outputs["filters"]["prefixMatch"])  # outputs/ and work/
    assert outputs["actions"]["baseBlob"]["delete"]["daysAfterCreationGreaterThan"] == "retentionDays"
    assert all(r["enabled"] is True for r in rules.values())
    # originals are never lifecycle-deleted: WORM + records management decide
    assert not any("incoming" in dump(r) for r in rules.values())


def test_storage_private_endpoints():
    modules = parse("modules/storage.bicep")["modules"]
    groups = {m["config"]["config"]["params"]["groupId"] for m in modules.values()}
    assert {"blob", "queue"} <= groups
    host = parse("modules/hoststorage.bicep")["variables"]["endpoints"]["value"]
    assert {e["groupId"] for e in host} == {"blob", "queue", "table"}


def test_defender_malware_scanning_on_upload_to_event_grid():
    rel = "modules/defender.bicep"
    d = resource(rel, "defender")
    assert d["name"] == "current"
    assert d["scope"] == "account"
    props = d["properties"]
    assert props["isEnabled"] is True
    assert props["overrideSubscriptionLevelSettings"] is True
    assert props["malwareScanning"]["onUpload"]["isEnabled"] is True
    assert props["malwareScanning"]["scanResultsEventGridTopicResourceId"] == "scanResultsTopicId"
    params = parse("main.bicep")["modules"]["defender"]["config"]["params"]
    assert "malwareScanTopicId" in dump(params["scanResultsTopicId"])


# --------------------------------------------------------------------------- cosmos


def test_cosmos_hardening_and_backup():
    rel = "modules/cosmos.bicep"
    acct = resource(rel, "account")
    props = acct["properties"]
    assert acct["kind"] == "GlobalDocumentDB"
    assert props["disableLocalAuth"] is True
    assert props["disableKeyBasedMetadataWriteAccess"] is True
    assert props["minimalTlsVersion"] == "Tls12"
    assert resolve(rel, props["publicNetworkAccess"]) == "Disabled"
    assert props["backupPolicy"]["type"] == "Continuous"
    groups = {m["config"]["config"]["params"]["groupId"] for m in parse(rel)["modules"].values()}
    assert groups == {"Sql"}


def test_cosmos_database_and_partition_keys():
    rel = "modules/cosmos.bicep"
    assert param_default(rel, "databaseName") == "toex"
    jobs = resource(rel, "jobs")["properties"]["resource"]
    assert jobs["id"] == "jobs"
    assert jobs["partitionKey"] == {"paths": ["/forceId", "/jobId"], "kind": "MultiHash", "version": 2}
    notes = resource(rel, "notifications")["properties"]["resource"]
    assert notes["id"] == "notifications"
    assert notes["partitionKey"]["paths"] == ["/forceId"]
    access = resource(rel, "access")["properties"]["resource"]
    assert access["id"] == "access"
    assert access["partitionKey"] == {"paths": ["/forceId", "/jobId"], "kind": "MultiHash", "version": 2}
    assert "defaultTtl" in access


# --------------------------------------------------------------------------- function app

CONTRACT_SETTINGS = {
    "AzureWebJobsStorage__accountName",
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    "EvidenceStorage__blobServiceUri",
    "EvidenceStorage__queueServiceUri",
    "TOEX_MODE",
    "TOEX_BLOB_ACCOUNT_URL",
    "TOEX_COSMOS_ENDPOINT",
    "TOEX_COSMOS_DATABASE",
    "TOEX_EVENTGRID_TOPIC_ENDPOINT",
    "TOEX_WHISPER_URL",
    "TOEX_TRANSLATION_URL",
    "TOEX_SPEAKER_URL",
    "TOEX_SPEAKER_MODEL_DIGEST",
    "TOEX_DEFAULT_SPEAKERS",
    "TOEX_FORCES",
    "TOEX_MAX_UPLOAD_BYTES",
    "TOEX_CHUNK_MINUTES",
    "TOEX_TASK_HUB",
    "TOEX_FORCE_SOURCES",
    "EvidenceStorage__credential",
    "EvidenceStorage__clientId",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "AZURE_CLIENT_ID",
}


def _function_settings() -> dict:
    platform = parse("modules/functionapp.bicep")["variables"]["platformSettings"]["value"]
    app = parse("main.bicep")["modules"]["functionApp"]["config"]["params"]["appSettings"]
    return {**platform, **app}


def test_function_app_settings_cover_the_contract():
    settings = _function_settings()
    missing = CONTRACT_SETTINGS - set(settings)
    assert not missing, missing
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["EvidenceStorage__credential"] == "managedidentity"
    assert settings["TOEX_MODE"] == "azure"
    assert settings["TOEX_CHUNK_MINUTES"] == "5"
    assert "blobServiceUri" in dump(settings["EvidenceStorage__blobServiceUri"])
    assert "queueServiceUri" in dump(settings["EvidenceStorage__queueServiceUri"])
    assert "whisperUrl" in dump(settings["TOEX_WHISPER_URL"])
    assert "translationUrl" in dump(settings["TOEX_TRANSLATION_URL"])
    # the EvidenceStorage connection (blob trigger) and the app client use the same evidence account
    assert settings["EvidenceStorage__blobServiceUri"] == settings["TOEX_BLOB_ACCOUNT_URL"]
    assert "storage" in dump(settings["EvidenceStorage__queueServiceUri"])
    assert "functionClientId" in dump(settings["EvidenceStorage__clientId"])
    assert settings["TOEX_TASK_HUB"] == "taskHubName"
    assert param_default("main.bicep", "taskHubName") == "toex"
    assert settings["TOEX_FORCE_SOURCES"] == "forceSources"
    assert param_default("main.bicep", "forceSources") == ""
    assert "TOEX_CONTAINER_INCOMING" not in settings  # fixed name
    # all settings reach the site
    site_settings = parse("modules/functionapp.bicep")["variables"]["siteAppSettings"]
    assert "allSettings" in dump(site_settings)


def test_no_keys_or_connection_strings_anywhere():
    for path in bicep_files():
        text = path.read_text()
        for bad in ("AccountKey=", "SharedAccessKey", "listConnectionStrings", "primaryMasterKey",
                    "sharedKey", "connectionString:"):
            assert bad not in text, f"{path.name} contains {bad}"
    # identity-based host storage: no AzureWebJobsStorage connection-string setting
    assert "AzureWebJobsStorage" not in _function_settings()
    # the only listKeys() calls read the Functions system keys for the Event Grid webhooks
    for path in bicep_files():
        text = path.read_text()
        if "listKeys" in text:
            assert path.name in {"blobtrigger.bicep", "forcesource.bicep"}, path
            assert re.findall(r"listKeys\(\)\.(\w+)\.", text) == ["systemKeys"], path


def test_function_app_flex_consumption_python_311():
    rel = "modules/functionapp.bicep"
    plan = resource(rel, "plan")
    assert plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}
    assert resolve(rel, plan["properties"]["zoneRedundant"]) is True
    site = resource(rel, "site")
    assert site["kind"] == "functionapp,linux"
    assert site["identity"]["type"] == "UserAssigned"
    cfg = site["properties"]["functionAppConfig"]
    assert cfg["runtime"] == {"name": "python", "version": "3.11"}
    assert cfg["deployment"]["storage"]["authentication"]["type"] == "UserAssignedIdentity"


def test_function_app_hardening():
    rel = "modules/functionapp.bicep"
    props = resource(rel, "site")["properties"]
    assert props["httpsOnly"] is True
    assert props["virtualNetworkSubnetId"] == "subnetId"
    sc = props["siteConfig"]
    assert sc["minTlsVersion"] == "1.2"
    assert sc["ftpsState"] == "Disabled"
    assert sc["remoteDebuggingEnabled"] is False
    assert sc["ipSecurityRestrictionsDefaultAction"] == "Deny"
    assert sc["scmIpSecurityRestrictionsDefaultAction"] == "Deny"
    # inbound: the AzureEventGrid tag, and API Management's subnet when there is one (test_gateway.py)
    rules = sc["ipSecurityRestrictions"]["function"]
    assert rules["type"] == "concat"
    assert [r["ipAddress"] for r in rules["parameters"]["arg_1"]] == ["AzureEventGrid"]
    gateway = rules["parameters"]["arg_2"]["operator"]["operands"]
    assert gateway["true_value"] == [] and [r["vnetSubnetResourceId"] for r in gateway["false_value"]] == [
        "gatewaySubnetId"]
    for symbol in ("ftpPolicy", "scmPolicy"):
        assert resource(rel, symbol)["properties"]["allow"] is False


def test_function_app_easy_auth_entra_only():
    rel = "modules/functionapp.bicep"
    auth = resource(rel, "auth")
    assert auth["parent"] == "site"
    assert auth["name"] == "authsettingsV2"
    props = auth["properties"]
    assert props["platform"]["enabled"] is True
    gv = props["globalValidation"]
    assert gv["requireAuthentication"] is True
    assert gv["unauthenticatedClientAction"] == "Return401"
    # Event Grid's webhooks (system key) and the page's static files (functions/azure/page.py); never the API
    assert set(resolve(rel, gv["excludedPaths"])) == {"/runtime/webhooks/blobs", "/runtime/webhooks/EventGrid",
                                                      "/api/page", "/api/page/*"}
    aad = props["identityProviders"]["azureActiveDirectory"]
    assert aad["enabled"] is True
    assert aad["registration"]["clientId"] == "authClientId"
    issuer = aad["registration"]["openIdIssuer"]
    assert "subscription().tenantId" in issuer and issuer.endswith("/v2.0")
    assert "authClientId" in dump(aad["validation"]["allowedAudiences"])
    assert props["login"]["tokenStore"]["enabled"] is False
    assert props["httpSettings"]["requireHttps"] is True
    # no other identity provider is configured
    assert set(props["identityProviders"]) == {"azureActiveDirectory"}
    # the client id is mandatory (a GUID) and comes from main.bicep
    decos = {d["type"]: d["argument"] for d in parse(rel)["parameters"]["authClientId"]["decorators"]}
    assert decos.get("min_length") == 36 or decos.get("minLength") == 36, decos
    assert parse("main.bicep")["modules"]["functionApp"]["config"]["params"]["authClientId"] == "apiClientId"
    assert param_default("main.bicep", "apiClientId") is None


# --------------------------------------------------------------------------- container apps


def test_container_apps_environment_internal_with_gpu_profile():
    rel = "modules/containerapps.bicep"
    env = resource(rel, "managedEnvironment")["properties"]
    assert env["vnetConfiguration"]["internal"] is True
    profiles = {p["name"]: p["workloadProfileType"] for p in env["workloadProfiles"]}
    gpu_name = parse(rel)["variables"]["gpuProfileName"]["value"]
    assert gpu_name == "gpu"
    assert resolve(rel, profiles["gpuProfileName"]) == "Consumption-GPU-NC8as-T4"
    assert "Consumption-GPU-NC24-A100" in allowed(rel, "gpuWorkloadProfileType")
    assert env["appLogsConfiguration"]["destination"] == "azure-monitor"


def test_container_apps_scale_to_zero_probes_and_ingress():
    rel = "modules/containerapps.bicep"
    apps = [a["name"] for a in parse(rel)["variables"]["apps"]["value"]]
    assert apps == ["whisper", "translation"]
    app = resource(rel, "containerApps")
    props = app["properties"]
    assert props["workloadProfileName"] == "gpuProfileName"
    assert app["identity"]["type"] == "UserAssigned"
    ingress = props["configuration"]["ingress"]
    assert ingress["targetPort"] == 8000
    assert ingress["allowInsecure"] is False
    # VNet-only: environment is internal and callers are limited to the Function subnet
    assert [r["action"] for r in ingress["ipSecurityRestrictions"]] == ["Allow"]
    assert ingress["ipSecurityRestrictions"][0]["ipAddressRange"] == "callerSubnetPrefix"
    assert props["configuration"]["registries"][0]["identity"] == "identityId"
    template = props["template"]
    assert template["scale"]["minReplicas"] == 0
    assert "http" in template["scale"]["rules"][0]
    container = template["containers"][0]
    probes = {p["type"]: p["httpGet"] for p in container["probes"]}
    assert probes["Liveness"] == {"path": "/healthz", "port": 8000}
    assert probes["Readiness"] == {"path": "/readyz", "port": 8000}
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["TOEX_PROVIDERS"] == "CUDAExecutionProvider,CPUExecutionProvider"
    assert "TOEX_MODEL_DIR" in env


def test_speaker_embeddings_served_by_the_whisper_app_and_pinned():
    """Issue 13: the whisper app serves speaker embeddings from models/speaker, pinned by
    modelDigests.speaker; the Function App calls it there, checks the same digest, and diarizes by default."""
    rel = "modules/containerapps.bicep"
    whisper_only = '"operand_1": "name", "operand_2": "whisper"'  # app.name == 'whisper'
    container = resource(rel, "containerApps")["properties"]["template"]["containers"][0]
    env = {e["name"]: e["value"]["operator"]["operands"] for e in container["env"] if "SPEAKER" in e["name"]}
    assert set(env) == {"TOEX_SPEAKER_MODEL_DIR", "TOEX_SPEAKER_MODEL_BLOB_URL", "TOEX_SPEAKER_MODEL_DIGEST"}
    for name in ("TOEX_SPEAKER_MODEL_DIR", "TOEX_SPEAKER_MODEL_BLOB_URL"):  # the whisper app only
        assert whisper_only in dump(env[name]["condition"]) and env[name]["false_value"] == ""
    assert env["TOEX_SPEAKER_MODEL_DIR"]["true_value"] == "/models/speaker"
    assert env["TOEX_SPEAKER_MODEL_BLOB_URL"]["true_value"] == "${modelsContainerUrl}/speaker"
    digest = env["TOEX_SPEAKER_MODEL_DIGEST"]
    assert whisper_only in dump(digest["condition"]) and '"item_to_find": "speaker"' in dump(digest)
    assert digest["true_value"]["operator"]["operands"] == {"operand_1": "modelDigests", "operand_2": "speaker"}
    outputs = parse(rel)["outputs"]
    assert outputs["speakerUrl"]["value"] == outputs["whisperUrl"]["value"]
    settings = _function_settings()
    assert "speakerUrl" in dump(settings["TOEX_SPEAKER_URL"])
    function_digest = settings["TOEX_SPEAKER_MODEL_DIGEST"]["operator"]["operands"]
    assert function_digest["true_value"] == digest["true_value"] and function_digest["false_value"] == ""
    assert settings["TOEX_DEFAULT_SPEAKERS"] == "auto"


# --------------------------------------------------------------------------- event grid


def test_event_grid_topics():
    rel = "modules/eventgrid.bicep"
    system = resource(rel, "systemTopic")
    assert system["properties"]["topicType"] == "Microsoft.Storage.StorageAccounts"
    jobs = resource(rel, "jobEvents")["properties"]
    assert jobs["inputSchema"] == "CloudEventSchemaV1_0"
    assert jobs["disableLocalAuth"] is True
    assert resolve(rel, jobs["publicNetworkAccess"]) == "Disabled"
    assert resource(rel, "malwareScan")["properties"]["disableLocalAuth"] is True
    assert "toex-job-events" in dump(parse("main.bicep")["modules"]["eventGrid"]["config"]["params"])


def test_blob_created_subscription_to_function_webhook():
    rel = "modules/blobtrigger.bicep"
    sub = resource(rel, "blobCreated")["properties"]
    assert sub["filter"]["includedEventTypes"] == ["Microsoft.Storage.BlobCreated"]
    subject = sub["filter"]["subjectBeginsWith"].replace(
        "${incomingContainerName}", param_default(rel, "incomingContainerName"))
    assert subject == "/blobServices/default/containers/incoming/blobs/"
    main_params = parse("main.bicep")["modules"]["blobTrigger"]["config"]["config"]["params"]
    assert "incomingContainerName" in dump(main_params["incomingContainerName"])
    dest = sub["destination"]
    assert dest["endpointType"] == "WebHook"
    url = dest["properties"]["endpointUrl"]
    assert "/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}" in url
    assert "blobs_extension" in url
    assert param_default(rel, "functionName") == "blob_uploaded"
    assert resolve(rel, sub["retryPolicy"]["maxDeliveryAttempts"]) == 30
    assert resolve(rel, sub["retryPolicy"]["eventTimeToLiveInMinutes"]) == 1440
    dl = sub["deadLetterWithResourceIdentity"]["deadLetterDestination"]["properties"]
    assert resolve(rel, dl["blobContainerName"]) == "deadletter"


def test_force_owned_accounts_subscribe_to_force_blob_created():
    rel = "modules/forcesource.bicep"
    sub = resource(rel, "forceBlobCreated")
    assert sub["scope"] == "account"  # extension subscription on the force's own account
    props = sub["properties"]
    assert props["filter"]["includedEventTypes"] == ["Microsoft.Storage.BlobCreated"]
    url = props["destination"]["properties"]["endpointUrl"]
    assert "/runtime/webhooks/EventGrid?functionName=${functionName}" in url
    assert "systemKeys.eventgrid_extension" in url
    assert param_default(rel, "functionName") == "force_blob_created"
    assert resolve(rel, props["retryPolicy"]["maxDeliveryAttempts"]) == 30
    reader = resource(rel, "fnForceSourceReader")
    assert reader["scope"] == "account"
    assert parse(rel)["variables"]["storageBlobDataReader"]["value"] == "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
    assert reader["properties"]["principalType"] == "ServicePrincipal"
    # main.bicep: one module per force account id, only with wireBlobTrigger, in that account's group
    mod = parse("main.bicep")["modules"]["forceSourceAccounts"]["config"]
    assert mod["loop_type"]["detail"]["array_name"] == "forceStorageAccountIds"
    assert mod["condition"] == "wireBlobTrigger"
    assert "resource_group" in dump(mod["config"]["scope"])
    assert param_default("main.bicep", "forceStorageAccountIds") == []


# --------------------------------------------------------------------------- key vault & registry


def test_key_vault_rbac_and_purge_protection():
    rel = "modules/keyvault.bicep"
    props = resource(rel, "vault")["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enablePurgeProtection"] is True
    assert props["enableSoftDelete"] is True
    assert resolve(rel, props["publicNetworkAccess"]) == "Disabled"
    assert props["networkAcls"]["defaultAction"] == "Deny"


def test_registry_identity_only():
    props = resource("modules/registry.bicep", "registry")["properties"]
    assert props["adminUserEnabled"] is False
    assert props["anonymousPullEnabled"] is False
    assert props["networkRuleSet"]["defaultAction"] == "Deny"


def test_monitoring_entra_only():
    rel = "modules/monitoring.bicep"
    assert resource(rel, "appInsights")["properties"]["DisableLocalAuth"] is True
    assert resource(rel, "workspace")["properties"]["features"]["disableLocalAuth"] is True


# --------------------------------------------------------------------------- diagnostics

DIAG_TYPES = {
    "microsoft.storage/storageaccounts",
    "microsoft.storage/storageaccounts/blobservices",
    "microsoft.storage/storageaccounts/queueservices",
    "microsoft.documentdb/databaseaccounts",
    "microsoft.keyvault/vaults",
    "microsoft.eventgrid/topics",
    "microsoft.eventgrid/systemtopics",
    "microsoft.web/sites",
    "microsoft.app/managedenvironments",
    "microsoft.containerregistry/registries",
    "microsoft.network/virtualnetworks",
    "microsoft.network/networksecuritygroups",
    "microsoft.operationalinsights/workspaces",
    "microsoft.apimanagement/service",
}


@pytest.mark.parametrize("path", sorted(MODULES.glob("*.bicep")), ids=lambda p: p.name)
def test_diagnostic_settings_on_every_resource(path):
    rel = f"modules/{path.name}"
    tree = parse(rel)
    scopes = set()
    for r in tree["resources"].values():
        if r["type"] == "Microsoft.Insights/diagnosticSettings":
            cfg = unwrap(r["config"])
            scope = cfg["scope"]
            scopes.add(scope if isinstance(scope, str) else scope["operator"]["operands"]["operand_1"])
            assert cfg["properties"]["workspaceId"] == "logAnalyticsWorkspaceId" or "workspace" in dump(cfg)
    for name, r in tree["resources"].items():
        if r["type"].lower() in DIAG_TYPES and not r.get("existing"):
            assert name in scopes, f"{rel}: {name} has no diagnostic setting"


# --------------------------------------------------------------------------- roles

ROLE_IDS = {
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b",  # Storage Blob Data Owner (host storage)
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe",  # Storage Blob Data Contributor
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",  # Storage Blob Data Reader (models)
    "db58b8e5-c6ad-4a2a-8342-4190687cbf4a",  # Storage Blob Delegator
    "974c5e8b-45b9-4653-ba55-5f855dd0fb88",  # Storage Queue Data Contributor
    "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",  # Storage Table Data Contributor (Durable)
    "d5a91429-5739-47e2-a06b-3470a27159e7",  # EventGrid Data Sender
    "4633458b-17de-408a-b874-0445c86b69e6",  # Key Vault Secrets User
    "7f951dda-4ed3-4680-a7ca-43fe172d538d",  # AcrPull
    "3913510d-42f4-4e42-8a64-420c390055eb",  # Monitoring Metrics Publisher
}
BROAD_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",  # Owner
    "b24988ac-6180-42a0-ab88-20f7382dd24c",  # Contributor
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",  # User Access Administrator
}


def test_roles_least_privilege():
    rel = "modules/roles.bicep"
    roles = parse(rel)["variables"]["roles"]["value"]
    assert set(roles.values()) == ROLE_IDS
    text = (MODULES / "roles.bicep").read_text()
    for broad in BROAD_ROLES:
        assert broad not in text
    assignments = resources_of_type(rel, "Microsoft.Authorization/roleAssignments")
    assert len(assignments) >= 13
    for name, r in assignments.items():
        cfg = unwrap(r["config"])
        if name != "forceUploads":  # officers' groups; see test_force_uploads_limited_to_their_folder
            assert cfg["properties"]["principalType"] == "ServicePrincipal", name
        assert "scope" in cfg, f"{name} must be scoped to a resource, not the resource group"
    cosmos = resource(rel, "fnCosmos")
    assert parse(rel)["variables"]["cosmosDataContributor"]["value"] == "00000000-0000-0000-0000-000000000002"
    assert "sqlRoleDefinitions" in dump(cosmos["properties"]["roleDefinitionId"])
    # models container: read-only for the apps; the Function identity gets no access to it
    assert resource(rel, "appsModels")["scope"] == "modelsContainer"
    fn_containers = parse("main.bicep")["modules"]["roles"]["config"]["params"]["functionContainers"]
    assert "functionAppReadWrite" in dump(fn_containers)  # shared/containers.json (test_containers.py)
    from shared.services import CONTAINERS

    assert CONTAINERS["functionAppReadWrite"] == ["incoming", "chunks", "work", "outputs"]


def _render_upload_condition(force: str) -> str:
    """Evaluate roles.bicep's replace(replace(uploadCondition, '__FORCE__', ...), '__CONTAINER__', ...)."""
    rel = "modules/roles.bicep"
    template = parse(rel)["variables"]["uploadCondition"]["value"]
    outer = resource(rel, "forceUploads")["properties"]["condition"]["function"]
    assert outer["type"] == "replace" and outer["parameters"]["old_string"] == "__CONTAINER__"
    inner = outer["parameters"]["original_string"]["function"]
    assert inner["type"] == "replace" and inner["parameters"]["old_string"] == "__FORCE__"
    assert inner["parameters"]["original_string"] == "uploadCondition"
    assert "uploader" in dump(inner["parameters"]["new_string"])
    container = resolve(rel, outer["parameters"]["new_string"])
    return template.replace("__FORCE__", force).replace("__CONTAINER__", container)


def test_force_uploads_limited_to_their_folder():
    rel = "modules/roles.bicep"
    assert param_default(rel, "forceUploaders") == []
    assert param_default("main.bicep", "forceUploaders") == []
    ra = resource(rel, "forceUploads")
    assert parse(rel)["resources"]["forceUploads"]["config"]["loop_type"]["detail"]["array_name"] == "forceUploaders"
    assert ra["scope"] == "incomingContainer"
    props = ra["properties"]
    assert "storageBlobDataContributor" in dump(props["roleDefinitionId"])
    assert props["conditionVersion"] == "2.0"
    assert props["principalType"]["operator"]["operands"]["false_value"] == "Group"
    cond = _render_upload_condition("met")
    assert cond.count("(") == cond.count(")")
    blob = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
    # every data action of the role is constrained: read (not list), write, create, delete ...
    for action in ("read'} AND NOT SubOperationMatches{'Blob.List'}", "write'}", "add/action'}", "delete'}"):
        assert f"!(ActionMatches{{'{blob}/{action})" in cond, action
    # ... to the force's folder of the incoming container, and listing to the force's prefix
    assert f"@Resource[{blob}:path] StringStartsWith 'met/'" in cond
    assert f"@Request[{blob}:prefix] StringStartsWith 'met/'" in cond
    container_attr = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"
    assert cond.count(f"{container_attr} StringEquals 'incoming'") == 2
    assert "__" not in cond
    # another force renders a different folder, never a shared one
    assert "StringStartsWith 'met/'" not in _render_upload_condition("kent")


def test_every_role_assignment_is_documented():
    doc = (REPO / "docs" / "deploy.md").read_text()
    names: list[str] = []
    for rel in ("modules/roles.bicep", "modules/forcesource.bicep", "modules/apim.bicep"):
        names += list(resources_of_type(rel, "Microsoft.Authorization/roleAssignments"))
        names += list(resources_of_type(rel, "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments"))
    assert "forceUploads" in names and "fnForceSourceReader" in names and "gatewaySecrets" in names
    for name in names:
        assert re.search(rf"^\|.*`{name}`.*\|", doc, re.M), f"{name} missing from docs/deploy.md role table"


# --------------------------------------------------------------------------- checkov skips


def test_checkov_skips_are_inline_and_justified():
    pattern = re.compile(r"checkov:skip=(CKV2?_AZURE_\d+)(.*)")
    found = 0
    for path in bicep_files():
        for line in path.read_text().splitlines():
            m = pattern.search(line)
            if m:
                found += 1
                assert line.strip().startswith("//"), line
                reason = m.group(2).lstrip(":").strip()
                assert len(reason) >= 40, f"{path.name}: {m.group(1)} needs a written reason"
    assert found >= 1
    iac = (REPO / ".ci" / "iac.sh").read_text()
    assert "--skip-check" not in iac and "--soft-fail" not in iac
    assert not (REPO / ".checkov.yaml").exists() and not (REPO / ".checkov.yml").exists()


# --------------------------------------------------------------------------- azd + docs


def test_azure_yaml_services():
    import yaml

    doc = yaml.safe_load((REPO / "azure.yaml").read_text())
    assert doc["infra"]["path"] == "infra/bicep"
    api = doc["services"]["api"]
    assert (api["host"], api["language"], api["project"]) == ("function", "python", ".")
    serve = [s for s in doc["services"].values() if s["host"] == "containerapp"]
    assert serve and all(s["project"] == "functions/gpu" for s in serve)
    assert {"whisper", "translation"} <= set(doc["services"])


def test_parameters_file_matches_main():
    import json

    params = set(parse("main.bicep")["parameters"])
    for name in ("main.parameters.json", "main.az.parameters.json"):
        data = json.loads((BICEP_DIR / name).read_text())
        assert set(data["parameters"]) <= params, name
    azd = json.loads((BICEP_DIR / "main.parameters.json").read_text())
    assert azd["parameters"]["environmentName"]["value"] == "${AZURE_ENV_NAME}"


def test_deploy_doc_sections():
    doc = (REPO / "docs" / "deploy.md").read_text().lower()
    for needle in ("prerequisites", "gpu quota", "azd up", "az deployment sub create",
                   "add a force", "rotat", "end of retention", "role assignments",
                   "incoming/<force>/", "force_blob_created", "authsettingsv2", "toex_force_sources",
                   "validate-jwt", "storage blob delegator", "50,000", "publishgateway", "toex-function-key"):
        assert needle in doc, needle
