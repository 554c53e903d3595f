// Private DNS zone with a wildcard A record, linked to the VNet (Container Apps internal environment).
@description('Tags applied to every resource.')
param tags object = {}

@description('Zone name (the environment default domain).')
param zoneName string

@description('Internal load balancer IP of the environment.')
param ipv4Address string

@description('VNet the zone is linked to.')
param vnetId string

resource zone 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: zoneName
  location: 'global'
  tags: tags
}

resource wildcard 'Microsoft.Network/privateDnsZones/A@2020-06-01' = {
  parent: zone
  name: '*'
  properties: {
    ttl: 300
    aRecords: [
      {
        ipv4Address: ipv4Address
      }
    ]
  }
}

resource link 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  parent: zone
  name: 'vnet-link'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnetId
    }
  }
}

output id string = zone.id
