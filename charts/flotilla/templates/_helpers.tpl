{{/* Chart name, truncated to 63 characters (DNS label). */}}
{{- define "flotilla.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart> unless the release name already contains the chart name. */}}
{{- define "flotilla.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "flotilla.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Namespace holding the fleet's leases. */}}
{{- define "flotilla.fleetNamespace" -}}
{{- default .Release.Namespace .Values.fleetNamespace }}
{{- end }}

{{/* Common labels. */}}
{{- define "flotilla.labels" -}}
helm.sh/chart: {{ include "flotilla.chart" . }}
app.kubernetes.io/name: {{ include "flotilla.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: flotilla
{{- end }}

{{/* Selector labels of one component: (dict "ctx" $ "component" "controller"). */}}
{{- define "flotilla.selectorLabels" -}}
app.kubernetes.io/name: {{ include "flotilla.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* All labels of one component. */}}
{{- define "flotilla.componentLabels" -}}
{{ include "flotilla.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "flotilla.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* ServiceAccount name of a component: `serviceAccount.name` (one account for every component), else <fullname>-<component>. */}}
{{- define "flotilla.serviceAccountName" -}}
{{- if .ctx.Values.serviceAccount.name }}
{{- .ctx.Values.serviceAccount.name }}
{{- else }}
{{- printf "%s-%s" (include "flotilla.fullname" .ctx) .component | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Address replicas use to reach the event sink. */}}
{{- define "flotilla.eventSinkAddress" -}}
{{- printf "%s-event-sink.%s.svc:%d" (include "flotilla.fullname" .) .Release.Namespace (int .Values.eventSink.port) }}
{{- end }}

{{/*
Restrictive securityContexts: non-root, read-only root filesystem, no privilege escalation, every
capability dropped, seccomp RuntimeDefault. Not configurable on purpose.
*/}}
{{- define "flotilla.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "flotilla.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The Service of the Redis the chart deploys (redis.deploy.enabled). */}}
{{- define "flotilla.redisDeployName" -}}
{{- printf "%s-redis" (include "flotilla.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Redis URL as an env var: the chart's own Redis, a Secret when one is named, else the (password-free) URL. */}}
{{- define "flotilla.redisEnv" -}}
- name: FLOTILLA_REDIS_URL
{{- if .Values.redis.deploy.enabled }}
  value: {{ printf "redis://%s.%s.svc:6379/0" (include "flotilla.redisDeployName" .) .Release.Namespace | quote }}
{{- else if .Values.redis.existingSecret.name }}
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret.name }}
      key: {{ .Values.redis.existingSecret.key }}
{{- else }}
  value: {{ .Values.redis.url | quote }}
{{- end }}
{{- end }}

{{/* The Redis secret-file flags: password, sentinel password and CA, each from a mounted Secret. */}}
{{- define "flotilla.redisArgs" -}}
{{- if .Values.redis.passwordSecret.name }}
- --redis-password-file=/etc/flotilla/redis-password/{{ .Values.redis.passwordSecret.key }}
{{- end }}
{{- if .Values.redis.sentinelPasswordSecret.name }}
- --redis-sentinel-password-file=/etc/flotilla/redis-sentinel-password/{{ .Values.redis.sentinelPasswordSecret.key }}
{{- end }}
{{- if .Values.redis.tls.caSecret }}
- --redis-ca-file=/etc/flotilla/redis-ca/{{ .Values.redis.tls.caKey }}
{{- end }}
{{- end }}

{{- define "flotilla.redisVolumeMounts" -}}
{{- if .Values.redis.passwordSecret.name }}
- name: redis-password
  mountPath: /etc/flotilla/redis-password
  readOnly: true
{{- end }}
{{- if .Values.redis.sentinelPasswordSecret.name }}
- name: redis-sentinel-password
  mountPath: /etc/flotilla/redis-sentinel-password
  readOnly: true
{{- end }}
{{- if .Values.redis.tls.caSecret }}
- name: redis-ca
  mountPath: /etc/flotilla/redis-ca
  readOnly: true
{{- end }}
{{- end }}

{{- define "flotilla.redisVolumes" -}}
{{- if .Values.redis.passwordSecret.name }}
- name: redis-password
  secret:
    secretName: {{ .Values.redis.passwordSecret.name }}
    items:
      - key: {{ .Values.redis.passwordSecret.key }}
        path: {{ .Values.redis.passwordSecret.key }}
{{- end }}
{{- if .Values.redis.sentinelPasswordSecret.name }}
- name: redis-sentinel-password
  secret:
    secretName: {{ .Values.redis.sentinelPasswordSecret.name }}
    items:
      - key: {{ .Values.redis.sentinelPasswordSecret.key }}
        path: {{ .Values.redis.sentinelPasswordSecret.key }}
{{- end }}
{{- if .Values.redis.tls.caSecret }}
- name: redis-ca
  secret:
    secretName: {{ .Values.redis.tls.caSecret }}
    items:
      - key: {{ .Values.redis.tls.caKey }}
        path: {{ .Values.redis.tls.caKey }}
{{- end }}
{{- end }}

{{/* POD_NAME and POD_NAMESPACE from the downward API. */}}
{{- define "flotilla.podEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- end }}

{{/* Topology spread for a component: (dict "ctx" $ "component" "controller"). */}}
{{- define "flotilla.topologySpread" -}}
{{- if .ctx.Values.topologySpread.enabled }}
topologySpreadConstraints:
{{- range .ctx.Values.topologySpread.topologyKeys }}
  - maxSkew: {{ $.ctx.Values.topologySpread.maxSkew }}
    topologyKey: {{ . }}
    whenUnsatisfiable: {{ $.ctx.Values.topologySpread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "flotilla.selectorLabels" (dict "ctx" $.ctx "component" $.component) | nindent 8 }}
    matchLabelKeys: ["pod-template-hash"]
{{- end }}
{{- end }}
{{- end }}

{{/* Probes on the metrics port. */}}
{{- define "flotilla.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: metrics}
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet: {path: /healthz, port: metrics}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: metrics}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end }}

{{/*
RBAC subjects: which ServiceAccount carries which components' rules (files/rbac.yaml, generated
from src/security/rbac.ts). Returns YAML: {controller: [controller, manager?], manager: [...], ...}.
*/}}
{{- define "flotilla.rbacSubjects" -}}
{{- $subjects := dict }}
{{- if eq .Values.manager.mode "embedded" }}
{{- $_ := set $subjects "controller" (list "controller" "manager") }}
{{- else }}
{{- $_ := set $subjects "controller" (list "controller") }}
{{- $_ := set $subjects "manager" (list "manager") }}
{{- end }}
{{- if and .Values.eventSink.enabled .Values.eventSink.signals }}
{{- $_ := set $subjects "event-sink" (list "eventSink") }}
{{- end }}
{{- if .Values.webhook.enabled }}
{{- if include "flotilla.fence" . }}
{{- $_ := set $subjects "webhook" (list "webhook" "webhookFence") }}
{{- $_ := set $subjects "init-certs" (list "initCerts" "initCertsFence") }}
{{- else }}
{{- $_ := set $subjects "webhook" (list "webhook") }}
{{- $_ := set $subjects "init-certs" (list "initCerts") }}
{{- end }}
{{- end }}
{{- toYaml $subjects }}
{{- end }}

{{/* Names of the webhook's objects. */}}
{{- define "flotilla.webhookService" -}}
{{- printf "%s-webhook" (include "flotilla.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- define "flotilla.webhookSecret" -}}
{{- printf "%s-webhook-tls" (include "flotilla.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{/* The Mutating and Validating configurations share one name (as in src/webhook/manifests.ts). */}}
{{- define "flotilla.webhookConfig" -}}
{{- printf "%s-workflows" (include "flotilla.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{/*
"true" when the shard-epoch fence runs: webhook.fence.enabled with the webhook and the hash
strategy. Under the namespace strategy a Workflow's shard label (the webhook's hash) does not name
the shard that runs it, so the fence would compare an epoch with another shard's lease.
*/}}
{{- define "flotilla.fence" -}}
{{- if and .Values.webhook.enabled .Values.webhook.fence.enabled (eq .Values.sharding.strategy "hash") }}true{{ end }}
{{- end }}

{{/* The fence's ValidatingWebhookConfiguration (`flotilla-fence` in src/webhook/manifests.ts). */}}
{{- define "flotilla.fenceConfig" -}}
{{- printf "%s-fence" (include "flotilla.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
