#!/usr/bin/env bash
# Creates a read-only service principal for scheduled nhiscan scans of an Azure tenant.
# Run by someone who may create app registrations, grant admin consent and assign roles.
# Usage: bash setup-reader.sh <subscription-id-or-management-group-scope> [name]
#   scope examples: /subscriptions/<id>  or  /providers/Microsoft.Management/managementGroups/<root-id>
set -euo pipefail
scope=${1:?give the scope to read, e.g. /subscriptions/<id>}
name=${2:-nhiscan-reader}
here=$(cd "$(dirname "$0")" && pwd)

app_id=$(az ad app create --display-name "$name" --query appId -o tsv)
az ad sp create --id "$app_id" >/dev/null
graph=00000003-0000-0000-c000-000000000000
for role in 9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30 498476ce-e0fe-48b0-b801-37ba7e2685c6 b0afded3-3588-46d8-8b3d-9842eff778da; do
  az ad app permission add --id "$app_id" --api "$graph" --api-permissions "$role=Role"
done
az ad app permission admin-consent --id "$app_id"

# The custom role: ARM reads plus Key Vault metadata, no secret values.
role_file=$(mktemp)
sed "s#/subscriptions/00000000-0000-0000-0000-000000000000#$scope#" "$here/nhiscan-reader.role.json" >"$role_file"
az role definition create --role-definition "@$role_file" >/dev/null || az role definition update --role-definition "@$role_file" >/dev/null
az role assignment create --assignee "$app_id" --role "nhiscan reader" --scope "$scope" >/dev/null

echo "Created $name (appId $app_id). Give the scan a federated credential (preferred) or a short-lived secret:"
echo "  az ad app federated-credential create --id $app_id --parameters <github-or-gitlab-oidc.json>"
echo "  az ad app credential reset --id $app_id --end-date \$(date -d '+30 days' +%F)"
