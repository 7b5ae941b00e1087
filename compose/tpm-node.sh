#!/bin/bash
# A node's TPM in the compose stack: scripts/swtpm.sh provisions a swtpm once (EK certificates from
# its own private CA; the state is a volume, so the node keeps its EK across restarts as a real
# TPM does) and starts it on 127.0.0.1:2321 of this container's network namespace, which the node's
# agent shares (network_mode: service:tpmN). The CA's certificates go to the registrar's trust
# directory (a shared volume) as NAME-root.pem and NAME-intermediate.pem; then scripts/seed-pcrs.sh
# extends the PCRs with the event log the agent sends, as on a machine that booted with it.
# Healthy (/tmp/kcrypt-push-tpm.ready) once seeded; PCRs reset when swtpm restarts, so every start
# seeds again.
#   env KCRYPT_TPM_NAME (default tpm), KCRYPT_EVENT_LOG (default /etc/kcrypt-push/eventlog.bin)
set -euo pipefail
name=${KCRYPT_TPM_NAME:-tpm}
log=${KCRYPT_EVENT_LOG:-/etc/kcrypt-push/eventlog.bin}
dir=/var/lib/kcrypt-push-tpm
scripts=/usr/lib/kcrypt-push/scripts
ready=/tmp/kcrypt-push-tpm.ready
rm -f "$ready"
[ -f "$log" ] || { echo "tpm-node: no event log at $log" >&2; exit 1; }

stop() { "$scripts/swtpm.sh" stop "$dir"; exit 0; }
trap stop TERM INT

# A stale PID file from a container that was killed names nobody here.
rm -f "$dir/swtpm.pid"
"$scripts/swtpm.sh" start "$dir" 2321 > /dev/null
cp "$dir/ek-ca/root.pem" "/etc/kcrypt-push/ek-ca/$name-root.pem"
cp "$dir/ek-ca/intermediate.pem" "/etc/kcrypt-push/ek-ca/$name-intermediate.pem"
"$scripts/seed-pcrs.sh" 2321 "$log" /usr/lib/kcrypt-push/verifier/kcrypt-push-verifier
touch "$ready"
echo "tpm-node: $name on 127.0.0.1:2321, EK CA in the registrar's trust directory, PCRs seeded from $(basename "$log")"
while kill -0 "$(cat "$dir/swtpm.pid")" 2> /dev/null; do
  sleep 2 &
  wait $! || true
done
echo "tpm-node: swtpm exited (see $dir/swtpm.log)" >&2
exit 1
