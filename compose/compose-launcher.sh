#!/bin/sh
# /usr/local/bin/kcrypt-push-ROLE in the compose images: runs /usr/lib/kcrypt-push/ROLE/kcrypt-push-ROLE
# with the broker URI read from the file KCRYPTPUSH_BROKER_FILE names (the role's own user, written by
# the setup service into a volume only this role mounts) unless KCRYPTPUSH_BROKER is set. A file,
# not a compose variable, so that the password is made on first start and is in no compose file,
# and `docker-compose exec SERVICE kcrypt-push-ROLE ...` finds the broker too.
set -eu
name=$(basename "$0")
role=${name#kcrypt-push-}
if [ -z "${KCRYPTPUSH_BROKER:-}" ] && [ -n "${KCRYPTPUSH_BROKER_FILE:-}" ]; then
  if [ ! -r "$KCRYPTPUSH_BROKER_FILE" ]; then
    echo "$name: no broker URI in $KCRYPTPUSH_BROKER_FILE (the setup service writes it)" >&2
    exit 1
  fi
  KCRYPTPUSH_BROKER=$(cat "$KCRYPTPUSH_BROKER_FILE")
  export KCRYPTPUSH_BROKER
fi
exec "/usr/lib/kcrypt-push/$role/$name" "$@"
