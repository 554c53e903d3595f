// A force's own storage account as an evidence source (force IT keeps the account): BlobCreated ->
// the force_blob_created Event Grid trigger, and read-only data access for the Function identity.
// Deployed into the force account's resource group (main.bicep forceStorageAccountIds) and, like
// blobtrigger.bicep, only once the code is published: the eventgrid_extension system key and the
// webhook validation handshake exist only while force_blob_created is running.
@description('Force storage account (in the resource group this module is deployed to).')
param storageAccountName string

@description('Principal ID of the Function App identity.')
param functionPrincipalId string

@description('Function App name, subscription and resource group (for the eventgrid_extension key).')
param functionAppName string
param functionAppSubscriptionId string
param functionAppResourceGroup string

@description('Default host name of the Function App.')
param functionHostName string

@description('Function that owns the Event Grid trigger.')
param functionName string = 'force_blob_created'

@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

// Storage Blob Data Reader
var storageBlobDataReader = '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource functionHost 'Microsoft.Web/sites/host@2024-04-01' existing = {
  name: '${functionAppName}/default'
  scope: resourceGroup(functionAppSubscriptionId, functionAppResourceGroup)
}

// Extension subscription on the account: Event Grid reuses the account's system topic or creates one.
resource forceBlobCreated 'Microsoft.EventGrid/eventSubscriptions@2023-12-15-preview' = {
  name: 'toex-force-blob-created'
  scope: account
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionHostName}/runtime/webhooks/EventGrid?functionName=${functionName}&code=${functionHost.listKeys().systemKeys.eventgrid_extension}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      enableAdvancedFilteringOnArrays: true
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
  }
}

// The function reads the new original from the force account (never writes there).
resource fnForceSourceReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, functionPrincipalId, storageBlobDataReader)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataReader)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output subscriptionName string = forceBlobCreated.name
