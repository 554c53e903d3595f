// Azure Container Registry: Entra-only (no admin user, no anonymous pull), Premium for private
// endpoint + zone redundancy; apps pull by managed identity (AcrPull).
@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Registry name (5-50 letters and digits).')
@minLength(5)
@maxLength(50)
param name string

@description('Public IPs/CIDRs (admin workstation, CI runner) allowed to push images; everything else is denied.')
param deployerIpRanges array = []

param enablePrivateEndpoints bool = true
param privateEndpointSubnetId string = ''
param registryDnsZoneId string = ''

@description('Log Analytics workspace receiving diagnostics.')
param logAnalyticsWorkspaceId string

var ipRules = [for ip in deployerIpRanges: {
  action: 'Allow'
  value: ip
}]

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Premium'
  }
  properties: {
    // checkov:skip=CKV_AZURE_139: azd/CI push images from outside the VNet; the public endpoint is default-deny (networkRuleSet) with only deployerIpRanges allowed, pulls use the private endpoint and Entra auth (no admin user, no anonymous pull).
    // checkov:skip=CKV_AZURE_166: quarantine needs an external scanner to release each image, otherwise every push stays unpullable; images come only from this project's azd/CI build (Defender for Containers vulnerability assessment is a prerequisite in docs/deploy.md).
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
    networkRuleBypassOptions: 'AzureServices'
    networkRuleSet: {
      defaultAction: 'Deny'
      ipRules: ipRules
    }
    zoneRedundancy: 'Enabled'
    dataEndpointEnabled: false
    policies: {
      retentionPolicy: {
        status: 'enabled'
        days: 30
      }
      exportPolicy: {
        status: 'enabled'
      }
    }
  }
}

module endpoint 'private-endpoint.bicep' = if (enablePrivateEndpoints) {
  name: 'pe-${name}-registry'
  params: {
    location: location
    tags: tags
    name: 'pe-${name}-registry'
    serviceId: registry.id
    groupId: 'registry'
    subnetId: privateEndpointSubnetId
    privateDnsZoneId: registryDnsZoneId
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: registry
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

output id string = registry.id
output name string = registry.name
output loginServer string = registry.properties.loginServer
