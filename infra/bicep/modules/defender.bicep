// Defender for Storage on the evidence account: activity monitoring, on-upload malware scanning
// (results to an Event Grid custom topic and blob index tags), sensitive data discovery.
// Deployed after the Event Grid system topic: Defender reuses the account's one system topic.
@description('Evidence storage account name.')
param storageAccountName string

@description('Custom topic receiving the scan results.')
param scanResultsTopicId string

@description('Event Grid system topic name (dependency only: it must exist first).')
param systemTopicName string

@description('Most GB scanned per month (cost cap); -1 for no cap.')
param malwareScanCapGBPerMonth int = 5000

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource defender 'Microsoft.Security/defenderForStorageSettings@2022-12-01-preview' = {
  name: 'current'
  scope: account
  properties: {
    isEnabled: true
    overrideSubscriptionLevelSettings: true
    malwareScanning: {
      onUpload: {
        isEnabled: true
        capGBPerMonth: malwareScanCapGBPerMonth
      }
      scanResultsEventGridTopicResourceId: scanResultsTopicId
    }
    sensitiveDataDiscovery: {
      isEnabled: true
    }
  }
}

output systemTopic string = systemTopicName
