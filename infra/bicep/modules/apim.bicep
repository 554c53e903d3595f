// The officers' gateway: API Management in internal VNet mode, reachable only over the force network
// (a private IP in snet-apim, resolved through the private zone below). It publishes two APIs on one origin:
//   /api/v1/*  -> the Function App's HTTP API, after validate-jwt against Entra ID (audience = the API app
//                 registration, the page's delegated scope, a force in the token), with the function key
//                 added from Key Vault on the way in; the officer's bearer token is forwarded unchanged and
//                 its validated claims go with it as X-MS-CLIENT-PRINCIPAL;
//   /*         -> the page's static files (functions/azure/page.py), no token needed, key added.
// Phase 2 (publishApis): the named value needs the Key Vault secret to exist (docs/deploy.md).
@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('API Management service name (also the gateway\'s host name, <name>.azure-api.net).')
param name string

@description('Developer (no SLA: test estates) or Premium (production: SLA, zones, scale units). Both support internal VNet mode.')
@allowed([
  'Developer'
  'Premium'
])
param gatewayTier string = 'Premium'

@minValue(1)
@maxValue(10)
param gatewayUnits int = 1

@description('Publisher e-mail shown by API Management (the service owner\'s mailbox).')
@minLength(3)
param publisherEmail string

param publisherName string = 'TOEX Transcribe & Translate'

@description('Subnet for the gateway (snet-apim, with its NSG).')
param subnetId string

@description('Virtual network the gateway\'s private DNS zone is linked to.')
param vnetId string

@description('Function App host name (the backend).')
param functionHostName string

@description('Entra ID tenant officers sign in to.')
param tenantId string

@description('Client ID of the API app registration: the audience every token must carry.')
@minLength(36)
@maxLength(36)
param apiClientId string

@description('Delegated scope the page requests (scp claim), e.g. Jobs.ReadWrite.')
param apiScope string

@description('Key Vault holding the function key secret (RBAC).')
param keyVaultName string

@description('Key Vault URI, e.g. https://kv-x.vault.azure.net/.')
param keyVaultUri string

@description('Name of the Key Vault secret holding the Function App key the gateway adds.')
param functionKeySecretName string = 'toex-function-key'

@description('Create the named value, APIs and policies: true once the function key secret exists (docs/deploy.md).')
param publishApis bool = false

@description('Custom gateway host name officers use (e.g. toex.force.police.uk); empty: <name>.azure-api.net.')
param gatewayHostName string = ''

@description('Key Vault secret ID of the TLS certificate for gatewayHostName (phase 2: the gateway\'s identity must already read the vault).')
param gatewayCertificateSecretId string = ''

@description('Calls per minute per officer (token oid) before 429.')
param callsPerMinute int = 300

@description('Log Analytics workspace receiving diagnostics.')
param logAnalyticsWorkspaceId string

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var customHost = !empty(gatewayHostName) && !empty(gatewayCertificateSecretId)

// API Management in VNet mode needs a Standard public IP for its control plane (3443 from the
// ApiManagement tag only); in internal mode the gateway itself has no public endpoint.
resource managementIp 'Microsoft.Network/publicIPAddresses@2023-11-01' = {
  name: 'pip-${name}'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    dnsSettings: {
      domainNameLabel: name
    }
  }
}

resource service 'Microsoft.ApiManagement/service@2023-05-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: gatewayTier
    capacity: gatewayUnits
  }
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    // checkov:skip=CKV_AZURE_174: internal VNet mode: the gateway listens only on a private IP in snet-apim (NSG: 443 from the force networks); publicNetworkAccess Disabled is refused at creation and applies to private-endpoint mode, and the public IP carries only the control plane (3443, ApiManagement tag).
    // checkov:skip=CKV_AZURE_173: every legacy protocol below is set to 'False' (TLS 1.2+ only, front and back); checkov 3.3.30 fails the check for any value present, including 'False'.
    publisherEmail: publisherEmail
    publisherName: publisherName
    virtualNetworkType: 'Internal'
    virtualNetworkConfiguration: {
      subnetResourceId: subnetId
    }
    publicIpAddressId: managementIp.id
    publicNetworkAccess: 'Enabled'
    customProperties: {
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Ssl30': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls10': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Ssl30': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Ciphers.TripleDes168': 'False'
      'Microsoft.WindowsAzure.ApiManagement.Gateway.Protocols.Server.Http2': 'True'
    }
    hostnameConfigurations: customHost ? [
      {
        type: 'Proxy'
        hostName: gatewayHostName
        certificateSource: 'KeyVault'
        keyVaultId: gatewayCertificateSecretId
        defaultSslBinding: true
        negotiateClientCertificate: false
      }
    ] : []
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// The gateway reads the function key (and its TLS certificate) from Key Vault: secrets, read only.
resource gatewaySecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, service.id, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: service.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource functionKey 'Microsoft.ApiManagement/service/namedValues@2023-05-01-preview' = if (publishApis) {
  parent: service
  name: 'function-key'
  properties: {
    displayName: 'function-key'
    secret: true
    keyVault: {
      secretIdentifier: '${keyVaultUri}secrets/${functionKeySecretName}'
    }
  }
  dependsOn: [
    gatewaySecrets
  ]
}

// Every API call: a valid Entra token of this tenant for the API app registration, with the page's scope
// and a force (extension_forceId claim or a Force.<id> role, as functions/auth.py reads them); then the
// key, never from the browser. The validated token's claims become X-MS-CLIENT-PRINCIPAL (the shape App
// Service authentication forwards, functions/auth.py), replacing whatever a client sent: with App Service
// authentication on, it validates the forwarded token again and sets the header itself; where it is not
// enforced (the Flex Consumption caveat in docs/deploy.md), only the gateway, holder of the key, sets it.
// Attributes holding expressions are single-quoted so the document is well-formed XML (tests parse it).
var apiPolicy = '''
<policies>
  <inbound>
    <base />
    <validate-jwt header-name="Authorization" require-scheme="Bearer" failed-validation-httpcode="401" failed-validation-error-message="Unauthenticated" require-expiration-time="true" require-signed-tokens="true" clock-skew="60" output-token-variable-name="officer">
      <openid-config url="https://login.microsoftonline.com/__TENANT__/v2.0/.well-known/openid-configuration" />
      <audiences>
        <audience>__CLIENT__</audience>
        <audience>api://__CLIENT__</audience>
      </audiences>
      <issuers>
        <issuer>https://login.microsoftonline.com/__TENANT__/v2.0</issuer>
      </issuers>
      <required-claims>
        <claim name="tid" match="all">
          <value>__TENANT__</value>
        </claim>
        <claim name="scp" match="any" separator=" ">
          <value>__SCOPE__</value>
        </claim>
      </required-claims>
    </validate-jwt>
    <choose>
      <when condition='@(!(((Jwt)context.Variables["officer"]).Claims.ContainsKey("extension_forceId") || ((Jwt)context.Variables["officer"]).Claims.GetValueOrDefault("roles", "").Split(new[] { "," }, StringSplitOptions.None).Any(r => r.StartsWith("Force."))))'>
        <return-response>
          <set-status code="403" reason="Forbidden" />
        </return-response>
      </when>
    </choose>
    <rate-limit-by-key calls="__CALLS__" renewal-period="60" counter-key='@(((Jwt)context.Variables["officer"]).Claims.GetValueOrDefault("oid", "none"))' />
    <set-header name="X-MS-CLIENT-PRINCIPAL" exists-action="override">
      <value>@{
        var officer = (Jwt)context.Variables["officer"];
        var claims = new JArray();
        foreach (var claim in officer.Claims) {
          foreach (var value in claim.Value) {
            claims.Add(new JObject(new JProperty("typ", claim.Key), new JProperty("val", value)));
          }
        }
        var principal = new JObject(new JProperty("auth_typ", "aad"), new JProperty("name_typ", "name"),
                                    new JProperty("role_typ", "roles"), new JProperty("claims", claims));
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(principal.ToString(Newtonsoft.Json.Formatting.None)));
      }</value>
    </set-header>
    <set-header name="X-MS-CLIENT-PRINCIPAL-ID" exists-action="delete" />
    <set-header name="X-MS-CLIENT-PRINCIPAL-NAME" exists-action="delete" />
    <set-header name="x-functions-key" exists-action="override">
      <value>{{function-key}}</value>
    </set-header>
  </inbound>
  <backend><base /></backend>
  <outbound>
    <base />
    <set-header name="Cache-Control" exists-action="skip">
      <value>no-store</value>
    </set-header>
  </outbound>
  <on-error><base /></on-error>
</policies>
'''

// The page's files: code, never evidence; no token is asked for or forwarded; the key is added.
var pagePolicy = '''
<policies>
  <inbound>
    <base />
    <set-header name="Authorization" exists-action="delete" />
    <set-header name="x-functions-key" exists-action="override">
      <value>{{function-key}}</value>
    </set-header>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>
'''

resource api 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = if (publishApis) {
  parent: service
  name: 'toex-api'
  properties: {
    displayName: 'TOEX API'
    path: 'api'
    protocols: [
      'https'
    ]
    serviceUrl: 'https://${functionHostName}/api'
    subscriptionRequired: false
  }
}

// Wildcard operations: every /api/v1 route of functions/api.py passes, so the gateway never drifts from it.
var apiMethods = [
  'GET'
  'POST'
]

resource apiOperations 'Microsoft.ApiManagement/service/apis/operations@2023-05-01-preview' = [for method in apiMethods: if(publishApis) {
  parent: api
  name: 'v1-${toLower(method)}'
  properties: {
    displayName: '${method} /v1/*'
    method: method
    urlTemplate: '/v1/*'
  }
}]

resource apiPolicies 'Microsoft.ApiManagement/service/apis/policies@2023-05-01-preview' = if (publishApis) {
  parent: api
  name: 'policy'
  properties: {
    format: 'rawxml'
    value: replace(replace(replace(replace(apiPolicy, '__TENANT__', tenantId), '__CLIENT__', apiClientId), '__SCOPE__', apiScope), '__CALLS__', string(callsPerMinute))
  }
  dependsOn: [
    functionKey
  ]
}

resource page 'Microsoft.ApiManagement/service/apis@2023-05-01-preview' = if (publishApis) {
  parent: service
  name: 'toex-page'
  properties: {
    displayName: 'TOEX page'
    path: ''
    protocols: [
      'https'
    ]
    serviceUrl: 'https://${functionHostName}/api/page'
    subscriptionRequired: false
  }
}

var pageTemplates = [
  '/'
  '/*'
]

resource pageOperations 'Microsoft.ApiManagement/service/apis/operations@2023-05-01-preview' = [for (template, i) in pageTemplates: if(publishApis) {
  parent: page
  name: 'page-get-${i}'
  properties: {
    displayName: 'GET ${template}'
    method: 'GET'
    urlTemplate: template
  }
}]

resource pagePolicies 'Microsoft.ApiManagement/service/apis/policies@2023-05-01-preview' = if (publishApis) {
  parent: page
  name: 'policy'
  properties: {
    format: 'rawxml'
    value: pagePolicy
  }
  dependsOn: [
    functionKey
  ]
}

// <name>.azure-api.net resolves to the gateway's private IP inside the VNet and, through the DNS
// resolver's inbound endpoint, on the force network.
resource gatewayZone 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: '${name}.azure-api.net'
  location: 'global'
  tags: tags
}

resource gatewayRecord 'Microsoft.Network/privateDnsZones/A@2020-06-01' = {
  parent: gatewayZone
  name: '@'
  properties: {
    ttl: 300
    aRecords: [
      {
        ipv4Address: service.properties.privateIPAddresses[0]
      }
    ]
  }
}

resource gatewayZoneLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  parent: gatewayZone
  name: 'link-${name}'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnetId
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: service
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output name string = service.name
output principalId string = service.identity.principalId
output gatewayUrl string = customHost ? 'https://${gatewayHostName}' : 'https://${name}.azure-api.net'
output privateIp string = service.properties.privateIPAddresses[0]
