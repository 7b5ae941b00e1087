#!/bin/bash
# The compose stack's one-shot setup: the broker's users, one per role with least privilege, as
# scripts/rabbitmq.sh users makes them (here 'definitions', since the broker loads them at its first
# boot and never creates guest). Each role's URI goes into its own volume, mounted only by that role:
#   /var/lib/kcrypt-push-setup/ROLE/broker.uri   ROLE = registrar, verifier, agent, operator (0600)
#   /var/lib/kcrypt-push-setup/rabbitmq/definitions.json   what the broker loads (password hashes)
#   /var/lib/kcrypt-push-setup/rabbitmq/admin.uri          kcrypt-admin, for the management UI (0600)
# Made once: on a later `up` the users and passwords stay.
set -euo pipefail
out=/var/lib/kcrypt-push-setup
broker=${KCRYPT_BROKER_ADDRESS:-rabbitmq:5672}
if [ -s "$out/rabbitmq/definitions.json" ]; then
  echo "setup: broker users made already"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/lib/kcrypt-push/scripts/rabbitmq.sh definitions "$work" "$broker"
for role in registrar verifier agent operator; do
  install -m 0600 "$work/users/$role.uri" "$out/$role/broker.uri"
done
install -m 0600 "$work/admin.uri" "$out/rabbitmq/admin.uri"
# Last, so that an interrupted setup is done again: the broker reads it (another UID), so 0644;
# it holds salted SHA-256 hashes of random 18-byte passwords, not the passwords.
install -m 0644 "$work/definitions.json" "$out/rabbitmq/definitions.json.new"
mv "$out/rabbitmq/definitions.json.new" "$out/rabbitmq/definitions.json"
echo "setup: made the broker users kcrypt-registrar, kcrypt-verifier, kcrypt-agent, kcrypt-operator and kcrypt-admin"
