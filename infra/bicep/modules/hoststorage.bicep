// Functions host storage (AzureWebJobsStorage: Durable Functions task hub, blob-trigger receipts,
// Flex Consumption deployment package). Kept apart from evidence so the Function identity needs
// Blob Data Owner here only, never on the evidence account.
@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Blob container holding the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Geo-redundant replication inside the UK pair.')
@allowed([
  'Standard_GZRS'
  'Standard_RAGZRS'
  'Standard_GRS'
  'Standard_RAGRS'
])
param skuName string = 'Standard_GZRS'

@allowed([
  'Disabled'
  'Enabled'
])
param publicNetworkAccess string = 'Disabled'

param enablePrivateEndpoints bool = true
param privateEndpointSubnetId string = ''
param blobDnsZoneId string = ''
param queueDnsZoneId string = ''
param tableDnsZoneId string = ''

@description('Log Analytics workspace receiving diagnostics.')
param logAnalyticsWorkspaceId string

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    isLocalUserEnabled: false
    isSftpEnabled: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

var endpoints = [
  {
    groupId: 'blob'
    zone: blobDnsZoneId
  }
  {
    groupId: 'queue'
    zone: queueDnsZoneId
  }
  {
    groupId: 'table'
    zone: tableDnsZoneId
  }
]

module privateEndpoints 'private-endpoint.bicep' = [for endpoint in endpoints: if(enablePrivateEndpoints) {
  name: 'pe-${name}-${endpoint.groupId}'
  params: {
    location: location
    tags: tags
    name: 'pe-${name}-${endpoint.groupId}'
    serviceId: account.id
    groupId: endpoint.groupId
    subnetId: privateEndpointSubnetId
    privateDnsZoneId: endpoint.zone
  }
}]

resource accountDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobService
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
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

output id string = account.id
output name string = account.name
output blobContainerUrl string = 'https://${account.name}.blob.${environment().suffixes.storage}/${deploymentContainerName}'
