// Virtual network, subnets (Function App integration, Container Apps environment, private endpoints),
// NSGs and the private DNS zones the private endpoints register in.
@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Name stem used for the network resources.')
param namePrefix string

@description('Address space of the virtual network.')
param addressPrefix string = '10.60.0.0/16'

@description('Subnet the Function App (Flex Consumption) integrates with.')
param functionSubnetPrefix string = '10.60.1.0/24'

@description('Subnet for private endpoints.')
param privateEndpointSubnetPrefix string = '10.60.2.0/24'

@description('Subnet for the Container Apps environment (workload profiles need at least a /27).')
param containerAppsSubnetPrefix string = '10.60.4.0/23'

@description('Create the private DNS zones used by private endpoints.')
param enablePrivateEndpoints bool = true

@description('Log Analytics workspace receiving diagnostics.')
param logAnalyticsWorkspaceId string

var privateDnsZoneNames = [
  'privatelink.blob.core.windows.net'
  'privatelink.queue.core.windows.net'
  'privatelink.table.core.windows.net'
  'privatelink.documents.azure.com'
  'privatelink.vaultcore.azure.net'
  'privatelink.eventgrid.azure.net'
  'privatelink.azurecr.io'
]

var subnetNames = [
  'snet-func'
  'snet-pe'
  'snet-cae'
]

// One NSG per subnet; only the platform default rules (no inbound from the internet).
resource nsgs 'Microsoft.Network/networkSecurityGroups@2023-11-01' = [for subnetName in subnetNames: {
  name: 'nsg-${namePrefix}-${subnetName}'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}]

resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' = {
  name: 'vnet-${namePrefix}'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'snet-func'
        properties: {
          addressPrefix: functionSubnetPrefix
          networkSecurityGroup: {
            id: nsgs[0].id
          }
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'snet-pe'
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          networkSecurityGroup: {
            id: nsgs[1].id
          }
          privateEndpointNetworkPolicies: 'Enabled'
        }
      }
      {
        name: 'snet-cae'
        properties: {
          addressPrefix: containerAppsSubnetPrefix
          networkSecurityGroup: {
            id: nsgs[2].id
          }
          delegations: [
            {
              name: 'container-apps'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
    ]
  }
}

resource privateDnsZones 'Microsoft.Network/privateDnsZones@2020-06-01' = [for zoneName in privateDnsZoneNames: if(enablePrivateEndpoints) {
  name: zoneName
  location: 'global'
  tags: tags
}]

resource privateDnsZoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [for (zoneName, i) in privateDnsZoneNames: if(enablePrivateEndpoints) {
  parent: privateDnsZones[i]
  name: 'link-${namePrefix}'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}]

resource vnetDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vnet
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

resource nsgDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [for (subnetName, i) in subnetNames: {
  name: 'to-log-analytics'
  scope: nsgs[i]
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}]

output vnetId string = vnet.id
output vnetName string = vnet.name
output functionSubnetId string = '${vnet.id}/subnets/snet-func'
output privateEndpointSubnetId string = '${vnet.id}/subnets/snet-pe'
output containerAppsSubnetId string = '${vnet.id}/subnets/snet-cae'
output blobDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[0].id : ''
output queueDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[1].id : ''
output tableDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[2].id : ''
output cosmosDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[3].id : ''
output keyVaultDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[4].id : ''
output eventGridDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[5].id : ''
output registryDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[6].id : ''
