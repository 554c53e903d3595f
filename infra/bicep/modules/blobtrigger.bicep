// Event subscription: BlobCreated in the incoming container (incoming/<force>/...) -> Function App blob extension
// webhook (blob trigger with Source = EventGrid), with retries and dead-lettering by managed identity.
// Deploy only after the function code is published: the blobs_extension system key and the
// webhook validation handshake exist only once the blob_uploaded function is running.
@description('Event Grid system topic on the evidence account.')
param systemTopicName string

@description('Function App name.')
param functionAppName string

@description('Default host name of the Function App.')
param functionHostName string

@description('Function that owns the blob trigger.')
param functionName string = 'blob_uploaded'

@description('Container the blob trigger watches (path incoming/{name}); forces are folders inside it.')
param incomingContainerName string = 'incoming'

@description('Evidence storage account ID (dead-letter destination).')
param storageAccountId string

@description('Dead-letter container.')
param deadLetterContainerName string = 'deadletter'

@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

resource systemTopic 'Microsoft.EventGrid/systemTopics@2023-12-15-preview' existing = {
  name: systemTopicName
}

resource functionHost 'Microsoft.Web/sites/host@2024-04-01' existing = {
  name: '${functionAppName}/default'
}

resource blobCreated 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2023-12-15-preview' = {
  parent: systemTopic
  name: 'incoming-blob-created'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${functionHost.listKeys().systemKeys.blobs_extension}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${incomingContainerName}/blobs/'
      enableAdvancedFilteringOnArrays: true
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output subscriptionName string = blobCreated.name
