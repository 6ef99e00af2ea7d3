#!/usr/bin/env bash
# The demo organisation's access history (アクセス履歴出力): its admin's session, the preview,
# and the CSV as Excel in Japan opens it (cp932). Needs curl, jq, iconv and a stack started by
# `make up`; run it from the repository (the CSV is saved in a scratch folder).
set -euo pipefail
. "${INFRA_RUN:-.cache/run}/stack.env"   # what make up wrote: the addresses, the demo organisation
cd "$(mktemp -d)"
ID=$IDENTITY_URL/v1/realms/demo; AU=$AUDIT_URL/v1/realms/demo/orgs/$DEMO_ORG_ID
J='content-type: application/json'
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
echo "logged in as $DEMO_ADMIN_LOGIN_ID of $DEMO_ORG_ID"
# how many rows, how large: the preview
curl -sS --fail-with-body "$AU/access-history/preview?order=time" -H "Authorization: Bearer $TOKEN" \
  | jq -c '{rows, approx_bytes, warning}'
# the file, in cp932 (opens in Excel as is); shown here in UTF-8
curl -sS --fail-with-body -o access-history.csv -H "Authorization: Bearer $TOKEN" \
  "$AU/access-history.csv?order=time&encoding=cp932"
iconv -f cp932 -t utf-8 access-history.csv | head -3
echo "saved $PWD/access-history.csv"
