// Function App on Flex Consumption (Python 3.11): user-assigned identity, identity-based host and
// evidence storage connections, VNet integration, Entra-only Application Insights, App Service
// authentication (Entra ID, 401 for unauthenticated callers; Event Grid webhooks use system keys).
// Inbound: the AzureEventGrid service tag (blob events) and API Management's subnet (officers' page and
// API, docs/deploy.md); everything else is denied.
@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Function App name.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Zone-redundant Flex Consumption plan.')
param zoneRedundant bool = true

@description('User-assigned identity resource ID.')
param identityId string

@description('Client ID of the user-assigned identity.')
param identityClientId string

@description('Host storage account (AzureWebJobsStorage).')
param hostStorageName string

@description('Deployment package container URL on the host storage account.')
param deploymentContainerUrl string

@description('Subnet for VNet integration (delegated to Microsoft.App/environments).')
param subnetId string

@description('Public IPs/CIDRs allowed to reach the deployment (SCM) endpoint.')
param deployerIpRanges array = []

@description('App settings read by the application code (name -> value).')
param appSettings object

@description('Client ID of the Entra app registration callers present tokens for (App Service authentication).')
@minLength(36)
@maxLength(36)
param authClientId string

@description('Paths App Service authentication lets through: Event Grid deliveries authenticate with the system key; the page\'s static files (functions/azure/page.py) are code, never evidence, and need the function key the gateway adds.')
param authExcludedPaths array = [
  '/runtime/webhooks/blobs'
  '/runtime/webhooks/EventGrid'
  '/api/page'
  '/api/page/*'
]

@description('API Management\'s subnet (Microsoft.Web service endpoint): the only caller admitted besides Event Grid. Empty: none.')
param gatewaySubnetId string = ''

@description('Application Insights connection string.')
param appInsightsConnectionString string

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Log Analytics workspace receiving diagnostics.')
param logAnalyticsWorkspaceId string

var platformSettings = {
  AzureWebJobsStorage__accountName: hostStorageName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AZURE_CLIENT_ID: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

var allSettings = union(platformSettings, appSettings)

var siteAppSettings = [for setting in items(allSettings): {
  name: setting.key
  value: setting.value
}]

var scmIpRules = [for (ip, i) in deployerIpRanges: {
  name: 'deployer-${i}'
  action: 'Allow'
  ipAddress: ip
  priority: 100 + i
}]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
    zoneRedundant: zoneRedundant
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    // checkov:skip=CKV_AZURE_222: Event Grid delivers BlobCreated to the blobs_extension webhook and cannot reach a private endpoint; inbound is default-deny and allows only the AzureEventGrid service tag and API Management's subnet (SCM: deployerIpRanges); webhook calls need the system key, all other paths a function key and (except the page's static files) an Entra token (authsettingsV2).
    // checkov:skip=CKV_AZURE_17: Event Grid webhook delivery cannot present a client certificate; callers are limited to the AzureEventGrid service tag and authenticated by the blobs_extension system key.
    // checkov:skip=CKV_AZURE_212: Flex Consumption has no worker count; the platform scales instances per function (maximumInstanceCount) across zones.
    // checkov:skip=CKV_AZURE_213: Flex Consumption scales to zero and has no fixed instance pool for App Service health-check eviction; availability is monitored through Application Insights.
    // checkov:skip=CKV_AZURE_82: Flex Consumption sets the language in functionAppConfig.runtime (python 3.11); siteConfig.pythonVersion/linuxFxVersion are rejected on this plan.
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    virtualNetworkSubnetId: subnetId
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      remoteDebuggingEnabled: false
      ipSecurityRestrictionsDefaultAction: 'Deny'
      ipSecurityRestrictions: concat([
        {
          name: 'event-grid'
          action: 'Allow'
          tag: 'ServiceTag'
          ipAddress: 'AzureEventGrid'
          priority: 100
        }
      ], empty(gatewaySubnetId) ? [] : [
        {
          name: 'api-management'
          action: 'Allow'
          vnetSubnetResourceId: gatewaySubnetId
          priority: 110
        }
      ])
      scmIpSecurityRestrictionsUseMain: false
      scmIpSecurityRestrictionsDefaultAction: 'Deny'
      scmIpSecurityRestrictions: scmIpRules
      appSettings: siteAppSettings
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// No basic-auth (publishing profile) deployments: azd/CI deploy with Entra tokens.
resource ftpPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPolicy 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// Easy Auth: every request needs an Entra token for authClientId (tenant of this subscription),
// except the Event Grid webhooks; nothing is stored server-side (token store off).
resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    // checkov 3.3.30 runs its web-config (sites/config 'web') checks and the V1 'authsettings' check on every Microsoft.Web/sites/config; none of them fits this authsettingsV2 resource:
    // checkov:skip=CKV_AZURE_13: this IS App Service authentication in the V2 schema (platform.enabled, requireAuthentication, Return401); the check only reads the V1 authsettings properties.enabled.
    // checkov:skip=CKV_AZURE_63: HTTP logging is a web config (siteConfig) property, not part of authsettingsV2; the site sends allLogs (HTTP and function logs) to Log Analytics.
    // checkov:skip=CKV_AZURE_65: detailed error messages are a web config (siteConfig) property of App Service, not part of authsettingsV2; Flex Consumption function apps have no IIS error pages.
    // checkov:skip=CKV_AZURE_66: failed request tracing is a web config (siteConfig) property of App Service, not part of authsettingsV2; Flex Consumption has no IIS request tracing.
    // checkov:skip=CKV_AZURE_80: .NET Framework version is a web config property and does not apply: this resource is authsettingsV2 and the app runs Python 3.11 on Linux.
    // checkov:skip=CKV_AZURE_88: Azure Files mounts are a web config property and do not apply: this resource is authsettingsV2; the app keeps no files (state is in blob, queue and Cosmos DB).
    // checkov:skip=CKV_AZURE_222: public network access is a site property, not part of authsettingsV2; the site is default-deny inbound except the AzureEventGrid service tag (see the site resource).
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: authExcludedPaths
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${subscription().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            authClientId
            'api://${authClientId}'
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: site
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

output id string = site.id
output name string = site.name
output defaultHostName string = site.properties.defaultHostName
