// User-assigned identities, created first so every role assignment exists before the apps start.
@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Identity of the Function App (orchestrator).')
param functionIdentityName string

@description('Identity of the Whisper and translation container apps.')
param containerAppsIdentityName string

resource functionIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: functionIdentityName
  location: location
  tags: tags
}

resource containerAppsIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: containerAppsIdentityName
  location: location
  tags: tags
}

output functionIdentityId string = functionIdentity.id
output functionPrincipalId string = functionIdentity.properties.principalId
output functionClientId string = functionIdentity.properties.clientId
output containerAppsIdentityId string = containerAppsIdentity.id
output containerAppsPrincipalId string = containerAppsIdentity.properties.principalId
output containerAppsClientId string = containerAppsIdentity.properties.clientId
