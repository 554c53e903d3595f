// TOEX Transcribe & Translate: the complete, secure estate for one force or the national tenant.
//   azd up                                   (uses main.parameters.json and azure.yaml)
//   az deployment sub create -l uksouth -f infra/bicep/main.bicep -p infra/bicep/main.parameters.json
targetScope = 'subscription'

@description('Environment name (azd AZURE_ENV_NAME), e.g. toex-national-prod; names the resource group.')
@minLength(1)
@maxLength(40)
param environmentName string

@description('Azure region; UK South keeps evidence in the UK.')
param location string = 'uksouth'

@description('Force identifiers (lowercase letters, digits, hyphens); each is a folder incoming/<force>/ (TOEX_FORCES).')
@minLength(1)
param forces array = [
  'national'
]

@description('Serverless GPU workload profile for the Whisper and translation apps.')
@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
param gpuWorkloadProfileType string = 'Consumption-GPU-NC8as-T4'

// Days originals are WORM-protected and outputs/job records are kept (7 years): the one figure, in the list
// the code reads too (shared/containers.json, evidenceRetentionDays; tests/infra/test_containers.py).
var retentionDays = loadJsonContent('../../shared/containers.json').evidenceRetentionDays

@description('private: data services reachable only through private endpoints. public: public endpoints (development only).')
@allowed([
  'private'
  'public'
])
param networkMode string = 'private'

@description('Largest upload the Function App accepts (bytes).')
param maxUploadBytes int = 10737418240

@description('Comma-separated public IPs/CIDRs allowed to push images and deploy code (admin workstation, CI).')
param deployerIpRanges string = ''

@description('Whisper server image (azd sets it on deploy).')
param whisperImage string = 'mcr.microsoft.com/k8se/quickstart:latest'

@description('Translation server image (azd sets it on deploy).')
param translationImage string = 'mcr.microsoft.com/k8se/quickstart:latest'

@description('Create the BlobCreated -> Function subscription; true only once the function code is deployed.')
param wireBlobTrigger bool = false

@description('Client ID of the Entra app registration for the API (App Service authentication audience).')
@minLength(36)
@maxLength(36)
param apiClientId string

@description('Force upload principals (object IDs), each limited by ABAC to incoming/<force>/: [{ force, principalId, principalType? (default Group) }].')
param forceUploaders array = []

@description('Force-owned storage accounts as sources, TOEX_FORCE_SOURCES format: account=force,account=force (empty: none).')
param forceSources string = ''

@description('Application ID URI of the inference services\' Entra app registration (token audience, e.g. api://toex-inference). Empty: the GPU services refuse every call (docs/deploy.md).')
param inferenceAudience string = ''

@description('Manifest digest of each deployed model package by app name, e.g. { whisper: \'<64 hex>\', speaker: \'<64 hex>\' } (printed by toex setup / the export): the GPU apps refuse any other package, the Function App any other speaker model.')
param modelDigests object = {}

@description('Resource IDs of force-owned storage accounts to wire to force_blob_created (with wireBlobTrigger).')
param forceStorageAccountIds array = []

@description('Durable Functions task hub name (TOEX_TASK_HUB).')
param taskHubName string = 'toex'

@description('Address space of the virtual network and its subnets (must not overlap force networks).')
param vnetAddressPrefix string = '10.60.0.0/16'
param functionSubnetPrefix string = '10.60.1.0/24'
param privateEndpointSubnetPrefix string = '10.60.2.0/24'
param containerAppsSubnetPrefix string = '10.60.4.0/23'
param apimSubnetPrefix string = '10.60.6.0/27'
param dnsResolverSubnetPrefix string = '10.60.7.0/28'

// ---- the officers' page and its gateway (docs/deploy.md, "The officer's page in Azure") ----
@description('Entra ID tenant officers sign in to (the token issuer the gateway checks).')
param entraTenantId string = tenant().tenantId
@description('Delegated scope of the API app registration that the page requests (the gateway requires it in scp).')
param apiScope string = 'Jobs.ReadWrite'
@description('Origin officers open the page at (CORS on the evidence blob service). Empty: https://<gatewayHostName>, else https://<gateway>.azure-api.net.')
param pageOrigin string = ''
@description('Custom host name of the gateway (e.g. toex.force.police.uk) and its certificate\'s Key Vault secret ID (phase 2).')
param gatewayHostName string = ''
param gatewayCertificateSecretId string = ''
@description('Publish the gateway\'s APIs and policies: true once the function key is in Key Vault (docs/deploy.md).')
param publishGateway bool = false
@description('API Management tier: Premium for production (SLA, zones), Developer for test estates.')
@allowed([
  'Developer'
  'Premium'
])
param apimSkuName string = 'Premium'
@description('Publisher e-mail of the API Management service (the service owner\'s mailbox).')
@minLength(3)
param apimPublisherEmail string
@description('Force network prefixes allowed to reach the gateway on 443 (empty: the VirtualNetwork tag: peered/VPN networks).')
param forceNetworkPrefixes array = []

var token = toLower(uniqueString(subscription().id, environmentName, location))
var privateNetworking = networkMode == 'private'
var dataPublicNetworkAccess = privateNetworking ? 'Disabled' : 'Enabled'
var deployerIps = empty(deployerIpRanges) ? [] : split(deployerIpRanges, ',')
var tags = {
  'azd-env-name': environmentName
  application: 'toex-transcribe-translate'
  'data-classification': 'official-sensitive'
}
var functionAppName = 'func-toex-${token}'
var gatewayName = 'apim-toex-${token}'
var pageUrl = !empty(pageOrigin) ? pageOrigin : (!empty(gatewayHostName) ? 'https://${gatewayHostName}' : 'https://${gatewayName}.azure-api.net')
var deploymentContainerName = 'app-package-${token}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-toex-${token}'
    appInsightsName: 'appi-toex-${token}'
  }
}

module network 'modules/network.bicep' = {
  name: 'network'
  scope: rg
  params: {
    location: location
    tags: tags
    namePrefix: 'toex-${token}'
    addressPrefix: vnetAddressPrefix
    functionSubnetPrefix: functionSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
    containerAppsSubnetPrefix: containerAppsSubnetPrefix
    apimSubnetPrefix: apimSubnetPrefix
    dnsResolverSubnetPrefix: dnsResolverSubnetPrefix
    forceNetworkPrefixes: forceNetworkPrefixes
    enablePrivateEndpoints: privateNetworking
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    location: location
    tags: tags
    functionIdentityName: 'id-func-toex-${token}'
    containerAppsIdentityName: 'id-apps-toex-${token}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'stev${token}'
    retentionDays: retentionDays
    publicNetworkAccess: dataPublicNetworkAccess
    enablePrivateEndpoints: privateNetworking
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    blobDnsZoneId: network.outputs.blobDnsZoneId
    queueDnsZoneId: network.outputs.queueDnsZoneId
    corsOrigins: [
      pageUrl // browsers put blocks with the upload SAS from the page's origin only (functions/upload_sas.py)
    ]
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module hostStorage 'modules/hoststorage.bicep' = {
  name: 'host-storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'stfn${token}'
    deploymentContainerName: deploymentContainerName
    publicNetworkAccess: dataPublicNetworkAccess
    enablePrivateEndpoints: privateNetworking
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    blobDnsZoneId: network.outputs.blobDnsZoneId
    queueDnsZoneId: network.outputs.queueDnsZoneId
    tableDnsZoneId: network.outputs.tableDnsZoneId
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'cosmos-toex-${token}'
    retentionDays: retentionDays
    publicNetworkAccess: dataPublicNetworkAccess
    enablePrivateEndpoints: privateNetworking
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    cosmosDnsZoneId: network.outputs.cosmosDnsZoneId
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'kv-toex-${token}'
    publicNetworkAccess: dataPublicNetworkAccess
    enablePrivateEndpoints: privateNetworking
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    keyVaultDnsZoneId: network.outputs.keyVaultDnsZoneId
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module registry 'modules/registry.bicep' = {
  name: 'registry'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'crtoex${token}'
    deployerIpRanges: deployerIps
    enablePrivateEndpoints: privateNetworking
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    registryDnsZoneId: network.outputs.registryDnsZoneId
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module eventGrid 'modules/eventgrid.bicep' = {
  name: 'eventgrid'
  scope: rg
  params: {
    location: location
    tags: tags
    systemTopicName: 'evgt-toex-${token}'
    storageAccountId: storage.outputs.id
    jobEventsTopicName: 'toex-job-events-${token}'
    malwareScanTopicName: 'toex-malware-scan-${token}'
    publicNetworkAccess: dataPublicNetworkAccess
    enablePrivateEndpoints: privateNetworking
    privateEndpointSubnetId: network.outputs.privateEndpointSubnetId
    eventGridDnsZoneId: network.outputs.eventGridDnsZoneId
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module defender 'modules/defender.bicep' = {
  name: 'defender'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    scanResultsTopicId: eventGrid.outputs.malwareScanTopicId
    systemTopicName: eventGrid.outputs.systemTopicName
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  scope: rg
  params: {
    functionPrincipalId: identity.outputs.functionPrincipalId
    containerAppsPrincipalId: identity.outputs.containerAppsPrincipalId
    systemTopicPrincipalId: eventGrid.outputs.systemTopicPrincipalId
    evidenceStorageName: storage.outputs.name
    hostStorageName: hostStorage.outputs.name
    cosmosAccountName: cosmos.outputs.name
    jobEventsTopicName: eventGrid.outputs.jobEventsTopicName
    keyVaultName: keyVault.outputs.name
    registryName: registry.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    incomingContainerName: storage.outputs.incomingContainerName
    // every container the app reads or writes (incoming, chunks, work, outputs): shared/containers.json
    functionContainers: loadJsonContent('../../shared/containers.json').functionAppReadWrite
    forceUploaders: forceUploaders
  }
}

module containerApps 'modules/containerapps.bicep' = {
  name: 'containerapps'
  scope: rg
  params: {
    location: location
    tags: tags
    environmentName: 'cae-toex-${token}'
    infrastructureSubnetId: network.outputs.containerAppsSubnetId
    vnetId: network.outputs.vnetId
    callerSubnetPrefix: functionSubnetPrefix
    gpuWorkloadProfileType: gpuWorkloadProfileType
    whisperImage: whisperImage
    translationImage: translationImage
    registryLoginServer: registry.outputs.loginServer
    identityId: identity.outputs.containerAppsIdentityId
    identityClientId: identity.outputs.containerAppsClientId
    inferenceAudience: inferenceAudience
    modelDigests: modelDigests
    allowedCallerIds: [
      identity.outputs.functionPrincipalId
      identity.outputs.functionClientId
    ]
    modelsContainerUrl: '${storage.outputs.blobServiceUri}/models'
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
  dependsOn: [
    roles
  ]
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    location: location
    tags: tags
    name: functionAppName
    planName: 'plan-toex-${token}'
    identityId: identity.outputs.functionIdentityId
    identityClientId: identity.outputs.functionClientId
    hostStorageName: hostStorage.outputs.name
    deploymentContainerUrl: hostStorage.outputs.blobContainerUrl
    subnetId: network.outputs.functionSubnetId
    deployerIpRanges: deployerIps
    gatewaySubnetId: network.outputs.apimSubnetId
    authClientId: apiClientId
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    appSettings: {
      EvidenceStorage__blobServiceUri: storage.outputs.blobServiceUri
      EvidenceStorage__queueServiceUri: storage.outputs.queueServiceUri
      EvidenceStorage__credential: 'managedidentity'
      EvidenceStorage__clientId: identity.outputs.functionClientId
      TOEX_MODE: 'azure'
      TOEX_BLOB_ACCOUNT_URL: storage.outputs.blobServiceUri
      TOEX_COSMOS_ENDPOINT: cosmos.outputs.endpoint
      TOEX_COSMOS_DATABASE: cosmos.outputs.databaseName
      TOEX_EVENTGRID_TOPIC_ENDPOINT: eventGrid.outputs.jobEventsTopicEndpoint
      TOEX_WHISPER_URL: containerApps.outputs.whisperUrl
      TOEX_TRANSLATION_URL: containerApps.outputs.translationUrl
      TOEX_SPEAKER_URL: containerApps.outputs.speakerUrl
      TOEX_SPEAKER_MODEL_DIGEST: contains(modelDigests, 'speaker') ? modelDigests.speaker : ''
      TOEX_DEFAULT_SPEAKERS: 'auto'
      TOEX_FORCES: join(forces, ',')
      TOEX_FORCE_SOURCES: forceSources
      TOEX_INFERENCE_AUDIENCE: inferenceAudience
      TOEX_TASK_HUB: taskHubName
      AZURE_FUNCTIONS_DURABLE_STRICT_TYPING: '1'
      TOEX_MAX_UPLOAD_BYTES: string(maxUploadBytes)
      TOEX_CHUNK_MINUTES: '5'
      TOEX_KEY_VAULT_URI: keyVault.outputs.uri
      // the page's sign-in (functions/azure/page.py config.json): code flow with PKCE for the API's scope
      TOEX_PAGE_TENANT_ID: entraTenantId
      TOEX_PAGE_CLIENT_ID: apiClientId
      TOEX_PAGE_API_SCOPE: 'api://${apiClientId}/${apiScope}'
    }
  }
  dependsOn: [
    roles
  ]
}

// Officers' browsers on the force network -> the gateway (private IP) -> the Function App (admitted from
// snet-apim only); blocks go straight to the evidence account's blob private endpoint with the SAS.
module gateway 'modules/apim.bicep' = {
  name: 'gateway'
  scope: rg
  params: {
    location: location
    tags: tags
    name: gatewayName
    gatewayTier: apimSkuName
    publisherEmail: apimPublisherEmail
    subnetId: network.outputs.apimSubnetId
    vnetId: network.outputs.vnetId
    functionHostName: functionApp.outputs.defaultHostName
    tenantId: entraTenantId
    apiClientId: apiClientId
    apiScope: apiScope
    keyVaultName: keyVault.outputs.name
    keyVaultUri: keyVault.outputs.uri
    publishApis: publishGateway
    gatewayHostName: gatewayHostName
    gatewayCertificateSecretId: gatewayCertificateSecretId
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module blobTrigger 'modules/blobtrigger.bicep' = if (wireBlobTrigger) {
  name: 'blobtrigger'
  scope: rg
  params: {
    systemTopicName: eventGrid.outputs.systemTopicName
    functionAppName: functionApp.outputs.name
    functionHostName: functionApp.outputs.defaultHostName
    storageAccountId: storage.outputs.id
    incomingContainerName: storage.outputs.incomingContainerName
  }
  dependsOn: [
    roles
  ]
}

// Force-owned accounts (any subscription the deployer can write role assignments in).
module forceSourceAccounts 'modules/forcesource.bicep' = [for (accountId, i) in forceStorageAccountIds: if(wireBlobTrigger) {
  name: 'force-source-${i}'
  scope: resourceGroup(split(accountId, '/')[2], split(accountId, '/')[4])
  params: {
    storageAccountName: last(split(accountId, '/'))
    functionPrincipalId: identity.outputs.functionPrincipalId
    functionAppName: functionApp.outputs.name
    functionAppSubscriptionId: subscription().subscriptionId
    functionAppResourceGroup: rg.name
    functionHostName: functionApp.outputs.defaultHostName
  }
}]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.outputs.loginServer
output AZURE_CONTAINER_REGISTRY_NAME string = registry.outputs.name
output AZURE_CONTAINER_ENVIRONMENT_NAME string = containerApps.outputs.environmentName
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output TOEX_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output TOEX_BLOB_ACCOUNT_URL string = storage.outputs.blobServiceUri
output TOEX_COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output TOEX_EVENTGRID_TOPIC_ENDPOINT string = eventGrid.outputs.jobEventsTopicEndpoint
output TOEX_WHISPER_URL string = containerApps.outputs.whisperUrl
output TOEX_TRANSLATION_URL string = containerApps.outputs.translationUrl
output TOEX_PAGE_URL string = pageUrl
output TOEX_GATEWAY_NAME string = gateway.outputs.name
output TOEX_GATEWAY_PRIVATE_IP string = gateway.outputs.privateIp
output TOEX_DNS_RESOLVER_INBOUND_IP string = network.outputs.dnsResolverInboundIp
