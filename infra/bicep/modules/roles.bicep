// Every role assignment of the estate, least privilege, scoped as narrowly as the data plane allows.
// Each one is listed (who, what, why) in docs/deploy.md.
@description('Principal ID of the Function App identity.')
param functionPrincipalId string

@description('Principal ID of the container apps identity.')
param containerAppsPrincipalId string

@description('Principal ID of the Event Grid system topic (dead-lettering).')
param systemTopicPrincipalId string

param evidenceStorageName string
param hostStorageName string
param cosmosAccountName string
param jobEventsTopicName string
param keyVaultName string
param registryName string
param appInsightsName string

@description('Containers the Function App reads and writes (shared/containers.json: incoming, chunks, work, outputs).')
param functionContainers array

@description('Officers\' drop zone: one container, a folder per force (incoming/<force>/...).')
param incomingContainerName string = 'incoming'

@description('Force upload principals: [{ force, principalId, principalType (Group|User|ServicePrincipal, default Group) }].')
param forceUploaders array = []

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  storageBlobDelegator: 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// Azure ABAC (conditionVersion 2.0): a force's uploaders may read, list, create, write and delete
// only blobs under incoming/<force>/ (blob path for blob operations, list prefix for List Blobs).
var uploadCondition = '''
(
 (
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND NOT SubOperationMatches{'Blob.List'})
  AND
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write'})
  AND
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action'})
  AND
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete'})
 )
 OR
 (
  @Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals '__CONTAINER__'
  AND
  @Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringStartsWith '__FORCE__/'
 )
)
AND
(
 (
  !(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND SubOperationMatches{'Blob.List'})
 )
 OR
 (
  @Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals '__CONTAINER__'
  AND
  @Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:prefix] StringStartsWith '__FORCE__/'
 )
)
'''

// Cosmos DB Built-in Data Contributor (data plane, not an Azure RBAC role).
var cosmosDataContributor = '00000000-0000-0000-0000-000000000002'

resource evidence 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: evidenceStorageName
}

resource evidenceContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = [for containerName in functionContainers: {
  name: '${evidenceStorageName}/default/${containerName}'
}]

resource incomingContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  name: '${evidenceStorageName}/default/${incomingContainerName}'
}

resource modelsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  name: '${evidenceStorageName}/default/models'
}

resource deadletterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  name: '${evidenceStorageName}/default/deadletter'
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' existing = {
  name: cosmosAccountName
}

resource jobEvents 'Microsoft.EventGrid/topics@2023-12-15-preview' existing = {
  name: jobEventsTopicName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// ---- Function App identity ----

resource fnHostBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, functionPrincipalId, roles.storageBlobDataOwner)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource fnHostQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, functionPrincipalId, roles.storageQueueDataContributor)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource fnHostTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, functionPrincipalId, roles.storageTableDataContributor)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource fnEvidenceContainers 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (containerName, i) in functionContainers: {
  name: guid(evidenceContainers[i].id, functionPrincipalId, roles.storageBlobDataContributor)
  scope: evidenceContainers[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource fnEvidenceQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(evidence.id, functionPrincipalId, roles.storageQueueDataContributor)
  scope: evidence
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource fnEvidenceDelegator 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(evidence.id, functionPrincipalId, roles.storageBlobDelegator)
  scope: evidence
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDelegator)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource fnCosmos 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: cosmos
  name: guid(cosmos.id, functionPrincipalId, cosmosDataContributor)
  properties: {
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataContributor}'
    principalId: functionPrincipalId
    scope: cosmos.id
  }
}

resource fnEventSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(jobEvents.id, functionPrincipalId, roles.eventGridDataSender)
  scope: jobEvents
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventGridDataSender)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource fnSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, functionPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource fnTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionPrincipalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: functionPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---- Container apps identity ----

resource appsAcrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, containerAppsPrincipalId, roles.acrPull)
  scope: registry
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
    principalId: containerAppsPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appsModels 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(modelsContainer.id, containerAppsPrincipalId, roles.storageBlobDataReader)
  scope: modelsContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
    principalId: containerAppsPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// ---- Force upload principals (officers / force systems) ----

resource forceUploads 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for uploader in forceUploaders: {
  name: guid(incomingContainer.id, uploader.principalId, toLower(uploader.force), roles.storageBlobDataContributor)
  scope: incomingContainer
  properties: {
    description: 'TOEX uploads for force ${toLower(uploader.force)}: incoming/${toLower(uploader.force)}/ only (ABAC).'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: uploader.principalId
    principalType: contains(uploader, 'principalType') ? uploader.principalType : 'Group'
    condition: replace(replace(uploadCondition, '__FORCE__', toLower(uploader.force)), '__CONTAINER__', incomingContainerName)
    conditionVersion: '2.0'
  }
}]

// ---- Event Grid system topic identity ----

resource topicDeadletter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadletterContainer.id, systemTopicPrincipalId, roles.storageBlobDataContributor)
  scope: deadletterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: systemTopicPrincipalId
    principalType: 'ServicePrincipal'
  }
}
