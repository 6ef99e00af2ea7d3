#!/usr/bin/env bash
# The identity service with curl: an organisation, its admin's first login, a business user
# locked by three wrong passwords and unlocked by the admin, and the audit trail of it all.
# Needs curl, jq and a stack started by `make up`; run it from the repository.
set -euo pipefail
. "${INFRA_RUN:-.cache/run}/stack.env"   # what make up wrote: the addresses, the tokens' files
cd "$(mktemp -d)"                        # a scratch folder: nothing lands in the repository
ID=$IDENTITY_URL/v1/realms/demo; ADMIN=XA3$RANDOM$RANDOM; BIZ=XA5$RANDOM$RANDOM
J='content-type: application/json'; PROV="Authorization: Bearer $(cat "$PROVISIONING_TOKEN_FILE")"
token() { sed -n 's/^set-cookie: __Host-session=\([^;]*\).*/\1/p' "$1"; }   # from saved headers
# an organisation with its admin; the initial password is in this answer only
curl -sS --fail-with-body -X POST "$ID/orgs" -H "$PROV" -H "$J" \
  -d "{\"name\": \"サンプル健康保険組合\", \"admin\": {\"login_id\": \"$ADMIN\"}}" > org.json
ORG_ID=$(jq -r .org_id org.json); PW=$(jq -r .initial_password org.json); echo "organisation $ORG_ID"
# log in; the first session may only change the initial password (the change answers a new one)
curl -sS --fail-with-body -D login.txt -X POST "$ID/login" -H "$J" \
  -d "{\"login_id\": \"$ADMIN\", \"password\": \"$PW\"}" | jq -c .pending_steps
curl -sS --fail-with-body -D changed.txt -X POST "$ID/password" -H "$J" \
  -H "Authorization: Bearer $(token login.txt)" \
  -d "{\"current_password\": \"$PW\", \"new_password\": \"Kaisha-Pass-2026\"}"
ADMIN_AUTH="Authorization: Bearer $(token changed.txt)"
# a business user, then three wrong passwords lock it (the third answers ACCOUNT_LOCKED)
USER_ID=$(curl -sS --fail-with-body -X POST "$ID/orgs/$ORG_ID/users" -H "$ADMIN_AUTH" -H "$J" \
  -d "{\"login_id\": \"$BIZ\"}" | jq -r .user_id)
for _ in 1 2 3; do curl -sS -X POST "$ID/login" -H "$J" \
  -d "{\"login_id\": \"$BIZ\", \"password\": \"wrong\"}" | jq -r .code; done
# the admin initialises its password, which unlocks it
curl -sS --fail-with-body -o /dev/null -w '%{http_code}\n' -X POST -H "$ADMIN_AUTH" \
  "$ID/orgs/$ORG_ID/users/$USER_ID/initialise"
# the audit trail, for the admin (or support), once audit has read the unlock from Kafka
for _ in $(seq 30); do
  curl -sS --fail-with-body "$AUDIT_URL/v1/realms/demo/orgs/$ORG_ID/access-records" \
    -H "$ADMIN_AUTH" > records.json
  jq -e '.items | any(.operation_code == "10-3")' records.json > /dev/null && break; sleep 1
done
jq -r '.items | reverse[] | "[\(.operation_code)]\(.operation_label) \(.login_id // "")"' records.json
