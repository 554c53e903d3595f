"""The officers' route in Azure (issue 14): API Management in internal VNet mode with validate-jwt and the
function key from Key Vault, the Function App admitting the gateway's subnet, the page at the gateway's
root, the evidence account's CORS for block uploads and the DNS path from the force network."""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bicep_helpers import allowed, dump, param_default, parse, resolve, resource

APIM = "modules/apim.bicep"
TENANT, CLIENT, SCOPE = "11111111-2222-3333-4444-555555555555", "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "Jobs.ReadWrite"


def _policy(var: str) -> ET.Element:
    """A policy document as the module renders it (its placeholders replaced), parsed as XML."""
    text = parse(APIM)["variables"][var]["value"]
    for old, new in (("__TENANT__", TENANT), ("__CLIENT__", CLIENT), ("__SCOPE__", SCOPE), ("__CALLS__", "300")):
        text = text.replace(old, new)
    return ET.fromstring(text.strip())


def test_gateway_is_internal_vnet_tls12_with_its_own_identity() -> None:
    service = resource(APIM, "service")
    props = service["properties"]
    assert props["virtualNetworkType"] == "Internal"
    assert props["virtualNetworkConfiguration"]["subnetResourceId"] == "subnetId"
    assert service["identity"]["type"] == "SystemAssigned"
    assert set(allowed(APIM, "gatewayTier")) == {"Developer", "Premium"}  # the tiers with internal VNet mode
    assert param_default(APIM, "gatewayTier") == "Premium"
    legacy = {k.strip("'"): v for k, v in props["customProperties"].items() if "Protocols.Server.Http2" not in k}
    assert len(legacy) == 7 and set(legacy.values()) == {"False"}
    assert {k.rsplit(".", 1)[-1] for k in legacy} == {"Tls10", "Tls11", "Ssl30", "TripleDes168"}
    assert resource(APIM, "managementIp")["sku"]["name"] == "Standard"
    main = parse("main.bicep")["modules"]["gateway"]["config"]["params"]
    assert main["subnetId"] == "network.outputs.apimSubnetId" or "apimSubnetId" in dump(main["subnetId"])
    assert "defaultHostName" in dump(main["functionHostName"])
    assert main["tenantId"] == "entraTenantId" and main["apiClientId"] == "apiClientId"
    assert main["publishApis"] == "publishGateway" and param_default("main.bicep", "publishGateway") is False
    assert "tenant()" in dump(param_default("main.bicep", "entraTenantId")) or param_default(
        "main.bicep", "entraTenantId") is not None


def test_every_api_call_needs_a_valid_entra_token_before_the_key_is_added() -> None:
    policy = _policy("apiPolicy")
    inbound = list(policy.find("inbound"))  # type: ignore[arg-type]
    tags = [e.tag for e in inbound]
    assert tags[0] == "base" and tags[1] == "validate-jwt"
    jwt = inbound[1]
    assert jwt.get("header-name") == "Authorization" and jwt.get("require-scheme") == "Bearer"
    assert jwt.get("require-signed-tokens") == "true" and jwt.get("require-expiration-time") == "true"
    assert jwt.get("failed-validation-httpcode") == "401"
    assert jwt.find("openid-config").get("url") == (  # type: ignore[union-attr]
        f"https://login.microsoftonline.com/{TENANT}/v2.0/.well-known/openid-configuration")
    assert {a.text for a in jwt.iter("audience")} == {CLIENT, f"api://{CLIENT}"}
    assert [i.text for i in jwt.iter("issuer")] == [f"https://login.microsoftonline.com/{TENANT}/v2.0"]
    claims = {c.get("name"): [v.text for v in c.iter("value")] for c in jwt.iter("claim")}
    assert claims == {"tid": [TENANT], "scp": [SCOPE]}
    # a token without a force (extension_forceId or a Force.<id> role) is refused at the gateway
    when = policy.find("inbound/choose/when")
    assert when is not None and "extension_forceId" in when.get("condition", "")
    assert '"Force."' in when.get("condition", "")
    assert when.find("return-response/set-status").get("code") == "403"  # type: ignore[union-attr]
    # the key comes from the Key Vault named value, after validation; client-sent principals are dropped
    headers = {e.get("name"): e for e in inbound if e.tag == "set-header"}
    assert headers["x-functions-key"].get("exists-action") == "override"
    assert headers["x-functions-key"].find("value").text == "{{function-key}}"  # type: ignore[union-attr]
    assert tags.index("set-header") > tags.index("validate-jwt")
    for name in ("X-MS-CLIENT-PRINCIPAL-ID", "X-MS-CLIENT-PRINCIPAL-NAME"):
        assert headers[name].get("exists-action") == "delete"
    # the principal the code reads is built from the validated token only, replacing any client's header
    principal = headers["X-MS-CLIENT-PRINCIPAL"]
    assert principal.get("exists-action") == "override"
    expression = principal.find("value").text or ""  # type: ignore[union-attr]
    assert 'context.Variables["officer"]' in expression and "Request.Headers" not in expression
    for shape in ('"auth_typ"', '"role_typ", "roles"', '"claims"', '"typ"', '"val"', "ToBase64String"):
        assert shape in expression, shape  # the shape functions/auth.py decodes
    assert "Authorization" not in headers  # the officer's token goes on: App Service validates it again
    assert policy.find("inbound/rate-limit-by-key") is not None
    render = resource(APIM, "apiPolicies")["properties"]
    assert render["format"] == "rawxml" and {"__TENANT__", "__CLIENT__", "__SCOPE__", "__CALLS__"} <= set(
        dump(render["value"]).replace('"', " ").split())


def test_the_page_needs_no_token_and_gets_the_key() -> None:
    policy = _policy("pagePolicy")
    assert policy.find(".//validate-jwt") is None
    headers = {e.get("name"): e for e in policy.find("inbound").iter("set-header")}  # type: ignore[union-attr]
    assert headers["Authorization"].get("exists-action") == "delete"  # never forwarded to the page's route
    assert headers["x-functions-key"].find("value").text == "{{function-key}}"  # type: ignore[union-attr]


def test_apis_publish_the_function_routes_at_one_origin() -> None:
    api, page = resource(APIM, "api")["properties"], resource(APIM, "page")["properties"]
    assert (api["path"], api["serviceUrl"], api["protocols"]) == ("api", "https://${functionHostName}/api", ["https"])
    assert (page["path"], page["serviceUrl"]) == ("", "https://${functionHostName}/api/page")
    assert api["subscriptionRequired"] is False and page["subscriptionRequired"] is False  # the token is the credential
    assert parse(APIM)["variables"]["apiMethods"]["value"] == ["GET", "POST"]
    assert resource(APIM, "apiOperations")["properties"]["urlTemplate"] == "/v1/*"
    assert parse(APIM)["variables"]["pageTemplates"]["value"] == ["/", "/*"]
    for symbol in ("api", "page", "apiOperations", "pageOperations", "apiPolicies", "pagePolicies", "functionKey"):
        assert "publishApis" in dump(parse(APIM)["resources"][symbol]["config"]), symbol


def test_function_key_comes_from_key_vault_read_by_the_gateway_identity() -> None:
    named = resource(APIM, "functionKey")
    assert named["name"] == "function-key" and named["properties"]["secret"] is True
    assert named["properties"]["keyVault"]["secretIdentifier"] == "${keyVaultUri}secrets/${functionKeySecretName}"
    assert param_default(APIM, "functionKeySecretName") == "toex-function-key"
    assert named["dependsOn"] == ["gatewaySecrets"]
    role = resource(APIM, "gatewaySecrets")
    assert role["scope"] == "vault"
    assert parse(APIM)["variables"]["keyVaultSecretsUser"]["value"] == "4633458b-17de-408a-b874-0445c86b69e6"
    principal = dump(role["properties"]["principalId"])
    assert all(f'"{part}"' in principal for part in ("service", "identity", "principalId"))
    assert role["properties"]["principalType"] == "ServicePrincipal"


def test_gateway_name_resolves_privately_and_only_the_force_network_reaches_it() -> None:
    zone = resource(APIM, "gatewayZone")
    assert zone["name"] == "${name}.azure-api.net"
    record = resource(APIM, "gatewayRecord")
    assert record["name"] == "@" and "privateIPAddresses" in dump(record["properties"]["aRecords"])
    assert resource(APIM, "gatewayZoneLink")["properties"]["virtualNetwork"]["id"] == "vnetId"
    net = "modules/network.bicep"
    rules = {r["name"]: r["properties"] for r in parse(net)["variables"]["apimRules"]["value"]}
    assert rules["apim-management"]["sourceAddressPrefix"] == "ApiManagement"
    assert rules["apim-management"]["destinationPortRange"] == "3443"
    assert rules["force-network-https"]["destinationPortRange"] == "443"
    assert "forceNetworkPrefixes" in dump(rules["force-network-https"]["sourceAddressPrefixes"])
    assert (rules["deny-internet"]["access"], rules["deny-internet"]["sourceAddressPrefix"]) == ("Deny", "Internet")
    subnets = {s["name"]: s["properties"] for s in resource(net, "vnet")["properties"]["subnets"]}
    assert subnets["snet-apim"]["serviceEndpoints"] == [{"service": "Microsoft.Web"}]
    assert subnets["snet-dns"]["delegations"][0]["properties"]["serviceName"] == "Microsoft.Network/dnsResolvers"
    inbound = resource(net, "dnsInbound")["properties"]["ipConfigurations"][0]
    assert inbound["subnet"]["id"] == "${vnet.id}/subnets/snet-dns"
    nsg = resource(net, "nsgs")["properties"]["securityRules"]
    assert "apimRules" in dump(nsg) and "snet-apim" in dump(nsg)


def test_function_app_admits_the_gateway_subnet() -> None:
    params = parse("main.bicep")["modules"]["functionApp"]["config"]["params"]
    assert "apimSubnetId" in dump(params["gatewaySubnetId"])
    assert param_default("modules/functionapp.bicep", "gatewaySubnetId") == ""


def test_blob_cors_admits_exactly_the_page_origin_for_block_puts() -> None:
    rel = "modules/storage.bicep"
    cors = parse(rel)["variables"]["uploadCors"]["value"]
    assert cors["allowedOrigins"] == "corsOrigins"
    assert cors["allowedMethods"] == ["PUT", "OPTIONS"]  # no GET: no page reads evidence cross-origin
    assert {"x-ms-blob-type", "x-ms-version", "x-ms-meta-*", "if-none-match", "content-type"} <= set(
        cors["allowedHeaders"])
    assert "*" not in cors["allowedHeaders"] and "etag" in cors["exposedHeaders"]
    rules = resource(rel, "blobService")["properties"]["cors"]["corsRules"]["operator"]["operands"]
    assert rules["true_value"] == [] and rules["false_value"] == ["uploadCors"]
    assert param_default(rel, "corsOrigins") == []
    assert parse("main.bicep")["modules"]["storage"]["config"]["params"]["corsOrigins"] == ["pageUrl"]
    page_url = dump(parse("main.bicep")["variables"]["pageUrl"]["value"])
    assert "pageOrigin" in page_url and "gatewayHostName" in page_url and ".azure-api.net" in page_url
    # the account stays private: public network access follows networkMode (Disabled by default)
    assert resolve(rel, resource(rel, "account")["properties"]["publicNetworkAccess"]) == "Disabled"
    assert resource(rel, "account")["properties"]["allowSharedKeyAccess"] is False  # SAS by delegation key only


def test_the_api_identity_can_sign_delegation_keys_and_write_incoming() -> None:
    rel = "modules/roles.bicep"
    assert resource(rel, "fnEvidenceDelegator")["scope"] == "evidence"
    assert "storageBlobDelegator" in dump(resource(rel, "fnEvidenceDelegator")["properties"]["roleDefinitionId"])
    assert "storageBlobDataContributor" in dump(
        resource(rel, "fnEvidenceContainers")["properties"]["roleDefinitionId"])
    from shared.services import CONTAINERS

    assert {"incoming", "work"} <= set(CONTAINERS["functionAppReadWrite"])  # the blob and its slot record
