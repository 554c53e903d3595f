// Virtual network, subnets (Function App integration, private endpoints, Container Apps environment,
// API Management, DNS resolver inbound), NSGs, the private DNS zones the private endpoints register in,
// and the DNS private resolver that lets the force network resolve those zones (docs/deploy.md).
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

@description('Subnet for API Management in internal VNet mode (the officers\' gateway).')
param apimSubnetPrefix string = '10.60.6.0/27'

@description('Subnet for the DNS private resolver\'s inbound endpoint (the force network\'s DNS forwards to it).')
param dnsResolverSubnetPrefix string = '10.60.7.0/28'

@description('Address prefixes of the force networks whose browsers reach the gateway on 443 (empty: the VirtualNetwork tag, i.e. peered or VPN-connected networks).')
param forceNetworkPrefixes array = []

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
  'snet-apim'
  'snet-dns'
]

// API Management in internal mode: its control plane on 3443 (ApiManagement tag), the load balancer's
// probe on 6390, officers' browsers on 443 from the force networks only; the rest of the internet is denied.
var apimRules = [
  {
    name: 'apim-management'
    properties: {
      priority: 100
      direction: 'Inbound'
      access: 'Allow'
      protocol: 'Tcp'
      sourceAddressPrefix: 'ApiManagement'
      sourcePortRange: '*'
      destinationAddressPrefix: 'VirtualNetwork'
      destinationPortRange: '3443'
    }
  }
  {
    name: 'azure-load-balancer'
    properties: {
      priority: 110
      direction: 'Inbound'
      access: 'Allow'
      protocol: 'Tcp'
      sourceAddressPrefix: 'AzureLoadBalancer'
      sourcePortRange: '*'
      destinationAddressPrefix: 'VirtualNetwork'
      destinationPortRange: '6390'
    }
  }
  {
    name: 'force-network-https'
    properties: {
      priority: 120
      direction: 'Inbound'
      access: 'Allow'
      protocol: 'Tcp'
      sourceAddressPrefix: empty(forceNetworkPrefixes) ? 'VirtualNetwork' : null
      sourceAddressPrefixes: empty(forceNetworkPrefixes) ? [] : forceNetworkPrefixes
      sourcePortRange: '*'
      destinationAddressPrefix: 'VirtualNetwork'
      destinationPortRange: '443'
    }
  }
  {
    name: 'deny-internet'
    properties: {
      priority: 4000
      direction: 'Inbound'
      access: 'Deny'
      protocol: '*'
      sourceAddressPrefix: 'Internet'
      sourcePortRange: '*'
      destinationAddressPrefix: '*'
      destinationPortRange: '*'
    }
  }
]

// One NSG per subnet; the platform default rules (no inbound from the internet), and the gateway's own.
resource nsgs 'Microsoft.Network/networkSecurityGroups@2023-11-01' = [for subnetName in subnetNames: {
  name: 'nsg-${namePrefix}-${subnetName}'
  location: location
  tags: tags
  properties: {
    securityRules: subnetName == 'snet-apim' ? apimRules : []
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
      {
        // the Function App admits this subnet (Microsoft.Web service endpoint + access restriction)
        name: 'snet-apim'
        properties: {
          addressPrefix: apimSubnetPrefix
          networkSecurityGroup: {
            id: nsgs[3].id
          }
          serviceEndpoints: [
            {
              service: 'Microsoft.Web'
            }
          ]
        }
      }
      {
        name: 'snet-dns'
        properties: {
          addressPrefix: dnsResolverSubnetPrefix
          networkSecurityGroup: {
            id: nsgs[4].id
          }
          delegations: [
            {
              name: 'dns-resolver'
              properties: {
                serviceName: 'Microsoft.Network/dnsResolvers'
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

// The force network's DNS forwards privatelink zones (blob, the gateway) to this inbound endpoint, so an
// officer's browser resolves the evidence account and the gateway to their private addresses.
resource dnsResolver 'Microsoft.Network/dnsResolvers@2022-07-01' = if (enablePrivateEndpoints) {
  name: 'dnspr-${namePrefix}'
  location: location
  tags: tags
  properties: {
    virtualNetwork: {
      id: vnet.id
    }
  }
}

resource dnsInbound 'Microsoft.Network/dnsResolvers/inboundEndpoints@2022-07-01' = if (enablePrivateEndpoints) {
  parent: dnsResolver
  name: 'inbound'
  location: location
  tags: tags
  properties: {
    ipConfigurations: [
      {
        privateIpAllocationMethod: 'Dynamic'
        subnet: {
          id: '${vnet.id}/subnets/snet-dns'
        }
      }
    ]
  }
}

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
output apimSubnetId string = '${vnet.id}/subnets/snet-apim'
output dnsResolverInboundIp string = enablePrivateEndpoints ? dnsInbound.properties.ipConfigurations[0].privateIpAddress : ''
output blobDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[0].id : ''
output queueDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[1].id : ''
output tableDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[2].id : ''
output cosmosDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[3].id : ''
output keyVaultDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[4].id : ''
output eventGridDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[5].id : ''
output registryDnsZoneId string = enablePrivateEndpoints ? privateDnsZones[6].id : ''
