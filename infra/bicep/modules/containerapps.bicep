// Container Apps environment (internal, VNet-only) with a serverless GPU workload profile, and the
// whisper + translation apps: scale to zero, HTTP scaling, health probes, ACR pull by identity.
@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Container Apps environment name.')
param environmentName string

@description('Subnet delegated to Microsoft.App/environments.')
param infrastructureSubnetId string

@description('VNet the environment private DNS zone links to (so the Function App resolves the apps).')
param vnetId string

@description('Only this CIDR (the Function App integration subnet) may call the apps.')
param callerSubnetPrefix string

@description('Serverless GPU profile: T4 by default, A100 for heavy load (needs quota).')
@allowed([
  'Consumption-GPU-NC8as-T4'
  'Consumption-GPU-NC24-A100'
])
param gpuWorkloadProfileType string = 'Consumption-GPU-NC8as-T4'

@description('Image of the Whisper transcription server.')
param whisperImage string

@description('Image of the translation server.')
param translationImage string

@description('ACR login server the images are pulled from.')
param registryLoginServer string

@description('User-assigned identity (AcrPull + Storage Blob Data Reader on models).')
param identityId string

@description('Client ID of that identity (DefaultAzureCredential in the apps).')
param identityClientId string

@description('Application ID URI the callers\' tokens must be issued for (empty: the apps refuse every call).')
param inferenceAudience string = ''

@description('Object or client IDs allowed to call the apps (the Function App\'s identity).')
param allowedCallerIds array = []

@description('Manifest digest each app\'s model package must have, by app name (whisper, translation), and speaker for the speaker-embedding package the whisper app also serves: the digest toex setup / the export prints. An app without one loads any verified package.')
param modelDigests object = {}

@description('URL of the models blob container (https://<acct>.blob.core.windows.net/models).')
param modelsContainerUrl string

@description('Most replicas per app (each holds one GPU; keep within quota).')
@minValue(1)
@maxValue(30)
param maxReplicas int = 4

@description('Concurrent HTTP requests per replica before scaling out.')
param concurrentRequests int = 4

@description('Log Analytics workspace receiving diagnostics.')
param logAnalyticsWorkspaceId string

var gpuProfileName = 'gpu'
var gpuCpu = gpuWorkloadProfileType == 'Consumption-GPU-NC24-A100' ? 24 : 8
var gpuMemory = gpuWorkloadProfileType == 'Consumption-GPU-NC24-A100' ? '220Gi' : '56Gi'

var apps = [
  {
    name: 'whisper'
    image: whisperImage
  }
  {
    name: 'translation'
    image: translationImage
  }
]

resource managedEnvironment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    vnetConfiguration: {
      infrastructureSubnetId: infrastructureSubnetId
      internal: true
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      {
        name: gpuProfileName
        workloadProfileType: gpuWorkloadProfileType
      }
    ]
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
    peerTrafficConfiguration: {
      encryption: {
        enabled: true
      }
    }
    zoneRedundant: false
  }
}

resource containerApps 'Microsoft.App/containerApps@2024-03-01' = [for app in apps: {
  name: app.name
  location: location
  tags: union(tags, {
    'azd-service-name': app.name
  })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: managedEnvironment.id
    workloadProfileName: gpuProfileName
    configuration: {
      activeRevisionsMode: 'Single'
      // The environment is internal (no public IP): "external" here means reachable from the VNet,
      // and the IP restriction narrows that to the Function App subnet. external: false would confine
      // the app to the environment and the Function App could not call it.
      ingress: {
        external: true
        targetPort: 8000
        transport: 'http'
        allowInsecure: false
        ipSecurityRestrictions: [
          {
            name: 'function-app-subnet'
            action: 'Allow'
            ipAddressRange: callerSubnetPrefix
          }
        ]
      }
      registries: [
        {
          server: registryLoginServer
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: app.name
          image: app.image
          resources: {
            cpu: gpuCpu
            memory: gpuMemory
          }
          env: [
            {
              name: 'TOEX_MODEL_DIR'
              value: '/models/${app.name}'
            }
            {
              name: 'TOEX_MODEL_BLOB_URL'
              value: '${modelsContainerUrl}/${app.name}'
            }
            {
              name: 'TOEX_PROVIDERS'
              value: 'CUDAExecutionProvider,CPUExecutionProvider'
            }
            {
              name: 'AZURE_CLIENT_ID'
              value: identityClientId
            }
            // the one package this app may load (shared/inference/package.py: pin_package)
            {
              name: 'TOEX_MODEL_DIGEST'
              value: contains(modelDigests, app.name) ? modelDigests[app.name] : ''
            }
            // the whisper app also serves speaker embeddings (models/speaker, pinned like its Whisper package)
            {
              name: 'TOEX_SPEAKER_MODEL_DIR'
              value: (app.name == 'whisper') ? '/models/speaker' : ''
            }
            {
              name: 'TOEX_SPEAKER_MODEL_BLOB_URL'
              value: (app.name == 'whisper') ? '${modelsContainerUrl}/speaker' : ''
            }
            {
              name: 'TOEX_SPEAKER_MODEL_DIGEST'
              value: ((app.name == 'whisper') && contains(modelDigests, 'speaker')) ? modelDigests.speaker : ''
            }
            // callers: an Entra token for the inference app registration, from the Function App only
            {
              name: 'TOEX_SERVE_AUTH'
              value: empty(inferenceAudience) ? 'deny' : 'entra'
            }
            {
              name: 'TOEX_SERVE_TENANT_ID'
              value: tenant().tenantId
            }
            {
              name: 'TOEX_SERVE_AUDIENCE'
              value: inferenceAudience
            }
            {
              name: 'TOEX_SERVE_ALLOWED_CALLERS'
              value: join(allowedCallerIds, ',')
            }
          ]
          volumeMounts: [
            {
              volumeName: 'models'
              mountPath: '/models'
            }
          ]
          probes: [
            {
              type: 'Startup'
              httpGet: {
                path: '/healthz'
                port: 8000
              }
              initialDelaySeconds: 10
              periodSeconds: 30
              failureThreshold: 10
            }
            {
              type: 'Liveness'
              httpGet: {
                path: '/healthz'
                port: 8000
              }
              periodSeconds: 30
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/readyz'
                port: 8000
              }
              periodSeconds: 10
              failureThreshold: 3
            }
          ]
        }
      ]
      volumes: [
        {
          name: 'models'
          storageType: 'EmptyDir'
        }
      ]
      scale: {
        minReplicas: 0
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'http'
            http: {
              metadata: {
                concurrentRequests: string(concurrentRequests)
              }
            }
          }
        ]
      }
    }
  }
}]

// Internal environments publish no public DNS; this zone lets the Function App resolve
// <app>.<defaultDomain> to the environment's internal load balancer. A module because the zone
// name is only known once the environment exists.
module environmentDns 'private-dns-wildcard.bicep' = {
  name: 'dns-${environmentName}'
  params: {
    tags: tags
    zoneName: managedEnvironment.properties.defaultDomain
    ipv4Address: managedEnvironment.properties.staticIp
    vnetId: vnetId
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: managedEnvironment
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

output environmentId string = managedEnvironment.id
output environmentName string = managedEnvironment.name
output defaultDomain string = managedEnvironment.properties.defaultDomain
output whisperUrl string = 'https://whisper.${managedEnvironment.properties.defaultDomain}'
output speakerUrl string = 'https://whisper.${managedEnvironment.properties.defaultDomain}'
output translationUrl string = 'https://translation.${managedEnvironment.properties.defaultDomain}'
