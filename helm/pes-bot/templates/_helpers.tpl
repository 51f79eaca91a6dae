{{/* The chart's name, or nameOverride (a DNS-1123 label, at most 63 characters). */}}
{{- define "pes-bot.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The objects' name: fullnameOverride, else the release name with the chart's name. */}}
{{- define "pes-bot.fullname" -}}
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

{{- define "pes-bot.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pes-bot.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "pes-bot.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "pes-bot.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "pes-bot.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pes-bot.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "pes-bot.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* Where the keys of existingSecret are mounted: {file: secrets/<key>} in the configuration. */}}
{{- define "pes-bot.secretDir" -}}/etc/pes-bot/secrets{{- end }}

{{/*
The bot's configuration file: .Values.config with what the chart decides itself. The HTTP
server listens on every address of the pod (probes, Service); the state database lives on
the volume; the metrics token, when metrics are on, is read from existingSecret's key.
*/}}
{{- define "pes-bot.config" -}}
{{- $config := deepCopy (.Values.config | default dict) }}
{{- $server := deepCopy (get $config "server" | default dict) }}
{{- $_ := set $server "host" "0.0.0.0" }}
{{- $_ := set $server "port" (int .Values.service.targetPort) }}
{{- if .Values.metrics.enabled }}
{{- $_ := set $server "metricsToken" (dict "file" (printf "secrets/%s" .Values.metrics.tokenKey)) }}
{{- end }}
{{- $_ := set $config "server" $server }}
{{- $state := deepCopy (get $config "state" | default dict) }}
{{- $_ := set $state "path" "state/pes.db" }}
{{- $_ := set $config "state" $state }}
{{- toYaml $config }}
{{- end }}

{{/*
The pod's grace period: the bot's stop waits server.stopGraceSeconds (60 by default) for
cancelled jobs, then up to 10 s for its outbox (README, "How it behaves").
*/}}
{{- define "pes-bot.terminationGracePeriodSeconds" -}}
{{- $server := get (.Values.config | default dict) "server" | default dict }}
{{- add (get $server "stopGraceSeconds" | default 60 | int) 15 }}
{{- end }}
