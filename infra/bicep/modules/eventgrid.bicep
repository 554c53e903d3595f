// Event Grid: system topic on the evidence account (BlobCreated source), the CloudEvents custom
// topic for job events that force IT subscribe to, and the topic receiving malware-scan results.
@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('System topic name.')
param systemTopicName string

@description('Evidence storage account the system topic sources events from.')
param storageAccountId string

@description('Job events custom topic (CloudEvents 1.0).')
param jobEventsTopicName string

@description('Custom topic that Defender for Storage publishes malware-scan results to.')
param malwareScanTopicName string

@allowed([
  'Disabled'
  'Enabled'
])
param publicNetworkAccess string = 'Disabled'

param enablePrivateEndpoints bool = true
param privateEndpointSubnetId string = ''
param eventGridDnsZoneId string = ''

@description('Log Analytics workspace receiving diagnostics.')
param logAnalyticsWorkspaceId string

resource systemTopic 'Microsoft.EventGrid/systemTopics@2023-12-15-preview' = {
  name: systemTopicName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource jobEvents 'Microsoft.EventGrid/topics@2023-12-15-preview' = {
  name: jobEventsTopicName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: publicNetworkAccess
    minimumTlsVersionAllowed: '1.2'
    inboundIpRules: []
  }
}

resource malwareScan 'Microsoft.EventGrid/topics@2023-12-15-preview' = {
  name: malwareScanTopicName
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    // checkov:skip=CKV_AZURE_193: Defender for Storage publishes scan results from Microsoft's service network and cannot deliver over a private endpoint; the topic accepts Entra-authenticated publishers only (local auth disabled).
    inputSchema: 'EventGridSchema'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
    minimumTlsVersionAllowed: '1.2'
  }
}

module jobEventsEndpoint 'private-endpoint.bicep' = if (enablePrivateEndpoints) {
  name: 'pe-${jobEventsTopicName}'
  params: {
    location: location
    tags: tags
    name: 'pe-${jobEventsTopicName}'
    serviceId: jobEvents.id
    groupId: 'topic'
    subnetId: privateEndpointSubnetId
    privateDnsZoneId: eventGridDnsZoneId
  }
}

resource systemTopicDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: systemTopic
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

resource jobEventsDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: jobEvents
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

resource malwareScanDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: malwareScan
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

output systemTopicName string = systemTopic.name
output systemTopicPrincipalId string = systemTopic.identity.principalId
output jobEventsTopicId string = jobEvents.id
output jobEventsTopicName string = jobEvents.name
output jobEventsTopicEndpoint string = jobEvents.properties.endpoint
output malwareScanTopicId string = malwareScan.id
