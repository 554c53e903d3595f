// Cosmos DB (NoSQL): database toex with jobs, notifications and access; Entra-only data plane,
// continuous backup, private endpoint, diagnostics.
@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Cosmos DB account name.')
param name string

@description('Database name the application reads from TOEX_COSMOS_DATABASE.')
param databaseName string = 'toex'

@description('Items expire (TTL) after this many days, matching blob retention.')
@minValue(1)
@maxValue(24000)
param retentionDays int

@allowed([
  'Disabled'
  'Enabled'
])
param publicNetworkAccess string = 'Disabled'

param enablePrivateEndpoints bool = true
param privateEndpointSubnetId string = ''
param cosmosDnsZoneId string = ''

@description('Log Analytics workspace receiving diagnostics.')
param logAnalyticsWorkspaceId string

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    capabilities: [
      {
        name: 'EnableServerless'
      }
    ]
    enableMultipleWriteLocations: false
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: publicNetworkAccess
    isVirtualNetworkFilterEnabled: false
    ipRules: []
    networkAclBypass: 'None'
    backupPolicy: {
      type: 'Continuous'
      continuousModeProperties: {
        tier: 'Continuous30Days'
      }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

// Hierarchical partition key /forceId -> /jobId (MultiHash, version 2).
resource jobs 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = {
  parent: database
  name: 'jobs'
  properties: {
    resource: {
      id: 'jobs'
      partitionKey: {
        paths: [
          '/forceId'
          '/jobId'
        ]
        kind: 'MultiHash'
        version: 2
      }
      defaultTtl: retentionDays * 86400
    }
  }
}

resource notifications 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = {
  parent: database
  name: 'notifications'
  properties: {
    resource: {
      id: 'notifications'
      partitionKey: {
        paths: [
          '/forceId'
        ]
        kind: 'Hash'
        version: 2
      }
      defaultTtl: retentionDays * 86400
    }
  }
}

// The jobs' access audit trails: one item per view, download, rename, retry or cancel, written
// with create only (the code never replaces one), partitioned like the jobs.
resource access 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = {
  parent: database
  name: 'access'
  properties: {
    resource: {
      id: 'access'
      partitionKey: {
        paths: [
          '/forceId'
          '/jobId'
        ]
        kind: 'MultiHash'
        version: 2
      }
      defaultTtl: retentionDays * 86400
    }
  }
}

module endpoint 'private-endpoint.bicep' = if (enablePrivateEndpoints) {
  name: 'pe-${name}-sql'
  params: {
    location: location
    tags: tags
    name: 'pe-${name}-sql'
    serviceId: account.id
    groupId: 'Sql'
    subnetId: privateEndpointSubnetId
    privateDnsZoneId: cosmosDnsZoneId
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: account
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'Requests'
        enabled: true
      }
    ]
  }
}

output id string = account.id
output name string = account.name
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
