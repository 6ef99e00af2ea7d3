#!/usr/bin/env bash
# kihonet's client certificates (seed 001): record a notice, make a CSR, issue, call kihonet
# through the gateway with the certificate, revoke, refused. Needs curl, jq, openssl and a stack
# started by `make up`; run it from the repository: the key and the files it makes stay in a
# scratch folder.
set -euo pipefail
. "${INFRA_RUN:-.cache/run}/stack.env"   # what make up wrote: the addresses, the tokens' files
cd "$(mktemp -d)"
GW=$GATEWAY_URL; KGW=$KIHONET_URL; CA=$GATEWAY_CA; J='content-type: application/json'
PROV="Authorization: Bearer $(cat "$PROVISIONING_TOKEN_FILE")"
U=U$(printf '%06d' $((RANDOM * 30 + RANDOM % 30))); MG=AB$(printf '%08d' $((RANDOM * RANDOM % 100000000)))
# a call that must succeed: its answer, or its error answer on stderr and the walk stops
api() { local out; out=$(curl -sS --fail-with-body --cacert "$CA" "$@") || { echo "$out" >&2; return 1; }
  if [ -n "$out" ]; then printf '%s\n' "$out"; fi; }
# 1. the back office records the user's 「ユーザーIDのお知らせ」; the notice's 年 comes back
YEAR=$(api -X POST "$GW/v1/realms/kihonet/notices" -H "$PROV" -H "$J" \
  -d "{\"kihonet_code\": \"12345678\", \"management_number\": \"$MG\", \"user_id\": \"$U\"}" | jq -r .year)
# 2. the user makes a key pair and a CSR; the key never leaves this folder
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout my.key \
  -subj "/CN=my pc" -out my.csr 2>/dev/null
# 3. issue with the notice's fields (a wrong one answers INPUT_INFO_ERROR, status_code 3420)
jq -n --rawfile csr my.csr --arg u "$U" --arg m "$MG" --arg y "$YEAR" '{kihonet_code: "12345678",
  management_number: $m, user_id: $u, year: $y, branch_number: "001", email: "tanto@example.jp",
  csr: $csr}' > request.json
jq '.year = "2001"' request.json | curl -sS --cacert "$CA" -X POST \
  "$GW/v1/realms/kihonet/certificates" -H "$J" -d @- | jq -c '{code, status_code}'
api -X POST "$GW/v1/realms/kihonet/certificates" -H "$J" -d @request.json > issued.json
jq -r .certificate issued.json > my.pem; jq -r '.subject, .not_after' issued.json
# 4. kihonet through the gateway: with the certificate identity answers; without, the gateway refuses
LOGIN="{\"login_id\": \"$U\", \"password\": \"not-yet\"}"
kihonet_login() { curl -sS --cacert "$CA" "$@" -X POST "$KGW/v1/realms/kihonet/login" -H "$J" \
  -d "$LOGIN" | jq -r .code; }
kihonet_login --cert my.pem --key my.key
kihonet_login
# 5. the CA as any relying party sees it: its certificate, its OCSP responder, its CRL
api "$GW/v1/ca/certificate" > kihonet-ca.pem
OCSP=$(openssl x509 -in my.pem -noout -ocsp_uri); CRL=${OCSP%/ocsp}/crl
openssl ocsp -issuer kihonet-ca.pem -cert my.pem -CAfile kihonet-ca.pem -url "$OCSP" 2>&1 | grep my.pem
# 6. support or the back office revokes it
api -X POST "$GW/v1/realms/kihonet/certificates/$(jq -r .serial_number issued.json)/revoke" \
  -H "$PROV" -H "$J" -d '{"reason": "key_compromise"}' | jq -c .
# 7. refused: by OCSP at once, by the CRL within a second, by the gateway within 30 seconds
#    (its OCSP cache)
openssl ocsp -issuer kihonet-ca.pem -cert my.pem -CAfile kihonet-ca.pem -url "$OCSP" 2>&1 | grep my.pem
for _ in $(seq 10); do
  curl -sS --fail-with-body "$CRL" | openssl crl -inform DER -out kihonet-crl.pem
  openssl verify -crl_check -CAfile kihonet-ca.pem -CRLfile kihonet-crl.pem my.pem > verify.txt 2>&1 \
    || break
  sleep 1
done
tail -1 verify.txt
for _ in $(seq 45); do
  CODE=$(kihonet_login --cert my.pem --key my.key); [ "$CODE" = CLIENT_CERTIFICATE_REQUIRED ] && break
  sleep 2
done
echo "$CODE"
