// One private endpoint for one sub-resource (groupId) of a service, registered in a private DNS zone.
@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Private endpoint name.')
param name string

@description('Resource ID of the service the endpoint connects to.')
param serviceId string

@description('Sub-resource (group id): blob, queue, table, Sql, vault, topic, registry.')
param groupId string

@description('Subnet hosting the endpoint.')
param subnetId string

@description('Private DNS zone the endpoint registers its A record in.')
param privateDnsZoneId string

resource endpoint 'Microsoft.Network/privateEndpoints@2023-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    privateLinkServiceConnections: [
      {
        name: name
        properties: {
          privateLinkServiceId: serviceId
          groupIds: [
            groupId
          ]
        }
      }
    ]
  }
}

resource dnsZoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2023-11-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: groupId
        properties: {
          privateDnsZoneId: privateDnsZoneId
        }
      }
    ]
  }
}

output id string = endpoint.id
