// Key Vault in RBAC mode with purge protection, private endpoint and audit logs.
@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Key Vault name (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@allowed([
  'Disabled'
  'Enabled'
])
param publicNetworkAccess string = 'Disabled'

param enablePrivateEndpoints bool = true
param privateEndpointSubnetId string = ''
param keyVaultDnsZoneId string = ''

@description('Log Analytics workspace receiving diagnostics.')
param logAnalyticsWorkspaceId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
      ipRules: []
      virtualNetworkRules: []
    }
  }
}

module endpoint 'private-endpoint.bicep' = if (enablePrivateEndpoints) {
  name: 'pe-${name}-vault'
  params: {
    location: location
    tags: tags
    name: 'pe-${name}-vault'
    serviceId: vault.id
    groupId: 'vault'
    subnetId: privateEndpointSubnetId
    privateDnsZoneId: keyVaultDnsZoneId
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
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

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
