// Evidence storage account: one incoming container (a folder per force, incoming/<force>/...) under
// version-level WORM, chunks, work, outputs, dead letters and models (shared/containers.json); Entra-only access; lifecycle rules;
// private endpoints; diagnostics.
@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Days originals stay immutable (WORM) and outputs are kept before lifecycle deletion.')
@minValue(1)
@maxValue(24000)
param retentionDays int

@description('Days intermediate audio chunks are kept.')
@minValue(1)
@maxValue(30)
param chunkRetentionDays int = 3

@description('Days soft-deleted blobs and containers can be restored.')
@minValue(7)
@maxValue(365)
param softDeleteDays int = 30

@description('Geo-redundant replication inside the UK pair (uksouth/ukwest).')
@allowed([
  'Standard_GZRS'
  'Standard_RAGZRS'
  'Standard_GRS'
  'Standard_RAGRS'
])
param skuName string = 'Standard_GZRS'

@description('Disabled when the estate uses private endpoints (networkMode private).')
@allowed([
  'Disabled'
  'Enabled'
])
param publicNetworkAccess string = 'Disabled'

@description('Create private endpoints for blob and queue.')
param enablePrivateEndpoints bool = true

@description('Subnet for private endpoints.')
param privateEndpointSubnetId string = ''

@description('privatelink.blob DNS zone.')
param blobDnsZoneId string = ''

@description('privatelink.queue DNS zone.')
param queueDnsZoneId string = ''

@description('Origins allowed to write blocks from a browser (the officer\'s page, e.g. https://toex.force.police.uk): CORS for PUT with the headers Put Block and Put Block List send. Empty: no CORS.')
param corsOrigins array = []

@description('Log Analytics workspace receiving diagnostics.')
param logAnalyticsWorkspaceId string

// Container names come from the one list the code reads too (shared/containers.json).
var containers = loadJsonContent('../../../shared/containers.json')

// Officers' drop zone watched by the blob trigger; forces are folders inside it.
var incomingContainerName = containers.incoming

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
    isHnsEnabled: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
      ipRules: []
      virtualNetworkRules: []
    }
    // Version-level immutability can only be switched on when the account is created.
    immutableStorageWithVersioning: {
      enabled: true
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
      }
    }
  }
}

// Browser uploads (functions/upload_sas.py): the page's origin only, PUT (Put Block, Put Block List) and
// its preflight; no GET, so no page can read evidence cross-origin even with a read link in hand.
var uploadCors = {
  allowedOrigins: corsOrigins
  allowedMethods: [
    'PUT'
    'OPTIONS'
  ]
  allowedHeaders: [
    'content-type'
    'content-md5'
    'if-none-match'
    'x-ms-blob-type'
    'x-ms-blob-content-type'
    'x-ms-blob-content-md5'
    'x-ms-client-request-id'
    'x-ms-content-crc64'
    'x-ms-date'
    'x-ms-version'
    'x-ms-meta-*'
  ]
  exposedHeaders: [
    'etag'
    'x-ms-request-id'
    'x-ms-version'
    'x-ms-error-code'
    'x-ms-content-crc64'
    'content-md5'
  ]
  maxAgeInSeconds: 3600
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    cors: {
      corsRules: empty(corsOrigins) ? [] : [
        uploadCors
      ]
    }
    isVersioningEnabled: true
    changeFeed: {
      enabled: true
      retentionInDays: 365
    }
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
  }
}

// Officers' drop zone (incoming/<force>/...): version-level WORM with a default time-based retention
// policy; per-force isolation is an ABAC condition on the uploaders' role assignments (roles.bicep).
resource incoming 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: incomingContainerName
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: {
      enabled: true
    }
  }
}

resource incomingRetention 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: incoming
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: retentionDays
    allowProtectedAppendWrites: false
  }
}

// chunks, work (intermediate transcripts: evidence text), outputs, deadletter, models
var workContainers = containers.appCreated

resource work 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for containerName in workContainers: {
  parent: blobService
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'delete-chunks'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [for c in containers.chunkRetention: '${c}/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterCreationGreaterThan: chunkRetentionDays
                }
              }
              version: {
                delete: {
                  daysAfterCreationGreaterThan: chunkRetentionDays
                }
              }
            }
          }
        }
        {
          name: 'delete-outputs-after-retention'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              // work/ holds transcript text: kept and deleted exactly as outputs are
              prefixMatch: [for c in containers.evidenceRetention: '${c}/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterCreationGreaterThan: retentionDays
                }
              }
              version: {
                delete: {
                  daysAfterCreationGreaterThan: retentionDays
                }
              }
            }
          }
        }
        {
          name: 'delete-deadletters'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [for c in containers.deadletterRetention: '${c}/']
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterCreationGreaterThan: 30
                }
              }
            }
          }
        }
      ]
    }
  }
  dependsOn: [
    work
  ]
}

module blobEndpoint 'private-endpoint.bicep' = if (enablePrivateEndpoints) {
  name: 'pe-${name}-blob'
  params: {
    location: location
    tags: tags
    name: 'pe-${name}-blob'
    serviceId: account.id
    groupId: 'blob'
    subnetId: privateEndpointSubnetId
    privateDnsZoneId: blobDnsZoneId
  }
}

module queueEndpoint 'private-endpoint.bicep' = if (enablePrivateEndpoints) {
  name: 'pe-${name}-queue'
  params: {
    location: location
    tags: tags
    name: 'pe-${name}-queue'
    serviceId: account.id
    groupId: 'queue'
    subnetId: privateEndpointSubnetId
    privateDnsZoneId: queueDnsZoneId
  }
}

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

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: queueService
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
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output incomingContainerName string = incoming.name
output blobServiceUri string = 'https://${account.name}.blob.${environment().suffixes.storage}'
output queueServiceUri string = 'https://${account.name}.queue.${environment().suffixes.storage}'
