#!/usr/bin/env bash
# A large access history is a job (AU-04), through the gateway: started at once (202), polled
# until ready, downloaded once (a second download answers 410 EXPORT_GONE). Needs curl, jq and a
# stack started by `make up`; run it from the repository (the file is saved in a scratch folder).
set -euo pipefail
. "${INFRA_RUN:-.cache/run}/stack.env"   # what make up wrote: the addresses, the demo organisation
cd "$(mktemp -d)"
ID=$IDENTITY_URL/v1/realms/demo; GW=$GATEWAY_URL/v1/realms/demo/orgs/$DEMO_ORG_ID/access-history
CA=$GATEWAY_CA; J='content-type: application/json'
token() { sed -n 's/^set-cookie: __Host-session=\([^;]*\).*/\1/p' "$1"; }   # from saved headers
# the demo admin's session: the password a walk set last, or the initial one make up printed;
# a first login must change it, and the walk keeps the new one where make status shows it
PW=$(jq -r '.password // .initial_password' "$DEMO_ADMIN_FILE")
curl -sS --fail-with-body -D login.txt -o login.json -X POST "$ID/login" -H "$J" \
  -d "{\"login_id\": \"$DEMO_ADMIN_LOGIN_ID\", \"password\": \"$PW\"}" || {
  cat login.json >&2; echo "changed it yourself? put it in $DEMO_ADMIN_FILE as \"password\"" >&2; exit 1; }
TOKEN=$(token login.txt)
if jq -e .password_change_required login.json > /dev/null; then
  NEW=Demo-Pass-$RANDOM$RANDOM
  curl -sS --fail-with-body -D changed.txt -X POST "$ID/password" -H "Authorization: Bearer $TOKEN" \
    -H "$J" -d "{\"current_password\": \"$PW\", \"new_password\": \"$NEW\"}"
  TOKEN=$(token changed.txt)
  jq --arg p "$NEW" '.password = $p' "$DEMO_ADMIN_FILE" > admin.json && cat admin.json > "$DEMO_ADMIN_FILE"
fi
AUTH="Authorization: Bearer $TOKEN"
# 1. start the job: answered at once
curl -sS --fail-with-body --cacert "$CA" -X POST -H "$AUTH" -o job.json -w '%{http_code}\n' \
  "$GW/exports?order=time&encoding=cp932"
JOB=$(jq -r .export_id job.json)
# 2. its progress, until it is ready (or failed): {"state": "running", "rows_read": …} first
for _ in $(seq 120); do
  curl -sS --fail-with-body --cacert "$CA" -H "$AUTH" "$GW/exports/$JOB" > state.json
  STATE=$(jq -r .state state.json); [ "$STATE" = ready ] || [ "$STATE" = failed ] && break; sleep 1
done
jq -c '{state, rows}' state.json; [ "$STATE" = ready ] || exit 1
# 3. the file, once; a second download answers 410 EXPORT_GONE
curl -sS --fail-with-body --cacert "$CA" -H "$AUTH" -o access-history.csv "$GW/exports/$JOB/file"
echo "saved $PWD/access-history.csv, $(wc -l < access-history.csv) lines"
curl -sS --cacert "$CA" -H "$AUTH" -o again.json -w '%{http_code} ' "$GW/exports/$JOB/file"
jq -r .code again.json
