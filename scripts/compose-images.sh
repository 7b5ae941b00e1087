#!/usr/bin/env bash
# Makes local stand-ins for the base images compose/ builds FROM, for machines that reach no
# container registry (these): a Debian base from debootstrap, and on it
#
#   .NET runtime-deps   libssl3, ca-certificates, tzdata and the non-root user 'app' (UID 1654), as
#                       mcr.microsoft.com/dotnet/runtime-deps:10.0 has them
#   .NET SDK            the runtime-deps stand-in plus this machine's .NET SDK (the folder 'dotnet'
#                       runs from) and the NuGet packages the services restore, as a local feed:
#                       a restore inside it needs no network
#   RabbitMQ            Debian's rabbitmq-server with the management plugin, logging to stdout,
#                       listening on all addresses, reading /etc/rabbitmq/conf.d/*.conf and creating
#                       RABBITMQ_DEFAULT_USER/_PASS, as rabbitmq:3-management does
#
# and writes compose/.env naming them, so `docker-compose -f compose/docker-compose.yml up --build`
# builds from them. Elsewhere, without compose/.env, compose/ builds from the official images.
#
#   scripts/compose-images.sh [--print]    make what is missing or stale; --print: only print the
#                                          KEY=IMAGE lines of compose/.env
#
#   env KCRYPT_DEBIAN_SUITE   bookworm (default) or trixie
#       KCRYPT_DEBIAN_IMAGE   the debootstrap base (default local/debian:SUITE; made if missing)
#
# Each stand-in is rebuilt only when what it is made from changed (a label holds a digest of it).
# Needs a Docker engine, debootstrap (only if the base is missing), and for the SDK stand-in the
# .NET SDK and NuGet on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

suite=${KCRYPT_DEBIAN_SUITE:-bookworm}
base=${KCRYPT_DEBIAN_IMAGE:-local/debian:$suite}
deps_image=kcrypt-push-local/dotnet-runtime-deps:10.0-$suite
sdk_image=kcrypt-push-local/dotnet-sdk:10.0-$suite
rabbit_image=kcrypt-push-local/rabbitmq:3-management-$suite

env_lines() {
  printf 'DOTNET_RUNTIME_DEPS_IMAGE=%s\nDOTNET_SDK_IMAGE=%s\nRABBITMQ_IMAGE=%s\n' "$deps_image" "$sdk_image" "$rabbit_image"
}

if [ "${1:-}" = --print ]; then env_lines; exit 0; fi

log() { echo "compose-images: $*" >&2; }

docker version --format '{{.Server.Version}}' > /dev/null 2>&1 \
  || { log "no Docker engine answers (start dockerd; see README 'Run the control plane (compose)')"; exit 1; }

work=$(mktemp -d /tmp/kcrypt-push-images.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The mirror this machine's apt already uses (the same one debootstrap and apt in the images use).
mirror() {
  local m
  m=$(awk '$1=="URIs:" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$m" ] || m=$(awk '$1=="deb" && $2 !~ /security/ && $2 !~ /^\[/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${m:-http://deb.debian.org/debian}"
}

# label_of IMAGE: the stand-in's digest label, empty when the image is missing.
label_of() { docker image inspect --format '{{index .Config.Labels "kcrypt-push.input"}}' "$1" 2>/dev/null || true; }

# build TAG DIGEST DIR: docker build DIR unless TAG already carries DIGEST.
build() {
  local tag=$1 digest=$2 dir=$3 started=$SECONDS
  if [ "$(label_of "$tag")" = "$digest" ]; then log "$tag is up to date"; return 0; fi
  log "building $tag"
  docker build -q --label "kcrypt-push.input=$digest" -t "$tag" "$dir" > "$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; log "building $tag failed"; exit 1; }
  log "built $tag in $((SECONDS - started)) s"
}

make_base() {
  if docker image inspect "$base" > /dev/null 2>&1; then return 0; fi
  command -v debootstrap > /dev/null || { log "no image $base and no debootstrap to make it (apt-get install debootstrap)"; exit 1; }
  local started=$SECONDS
  log "debootstrap $suite from $(mirror) into $base (a minute or more)"
  debootstrap --variant=minbase "$suite" "$work/root" "$(mirror)" > "$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; log "debootstrap failed"; exit 1; }
  tar -C "$work/root" -c . | docker import - "$base" > /dev/null
  rm -rf "$work/root"
  log "made $base in $((SECONDS - started)) s"
}

# Recipes are digested with the base's image ID, so a new base rebuilds what is on it.
digest() { (docker image inspect --format '{{.Id}}' "$1"; cat) | sha256sum | cut -c1-16; }

make_runtime_deps() {
  local d=$work/deps
  mkdir -p "$d"
  cat > "$d/Dockerfile" << EOF
FROM $base
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
      ca-certificates libssl3 tzdata > /dev/null \\
 && rm -rf /var/lib/apt/lists/* \\
 && groupadd --gid 1654 app && useradd --uid 1654 --gid 1654 --no-create-home --shell /bin/false app
ENV APP_UID=1654 DOTNET_RUNNING_IN_CONTAINER=true
EOF
  build "$deps_image" "$(digest "$base" < "$d/Dockerfile")" "$d"
}

# The services' packages for a self-contained linux-x64 publish, restored from the NuGet source this
# machine uses into a folder the stand-in takes as its only source: a restore in it is offline.
icu_package() { case $suite in bookworm) echo libicu72 ;; trixie) echo libicu76 ;; *) echo libicu-dev ;; esac; }

make_sdk() {
  local d=$work/sdk dotnet_root sdk_version p inputs
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  sdk_version=$(dotnet --version)
  inputs=$( { echo "$sdk_version self-contained trimmed ReadyToRun $(icu_package)"; cat Directory.Packages.props Directory.Build.props global.json \
    agent/*.csproj registrar/*.csproj verifier/*.csproj contracts/*/*.csproj tpm/*.csproj attestation/*.csproj; } \
    | sha256sum | cut -c1-16)
  local want
  want=$(echo "$inputs" | digest "$deps_image")
  if [ "$(label_of "$sdk_image")" = "$want" ]; then log "$sdk_image is up to date"; return 0; fi
  mkdir -p "$d/packages" "$work/src"
  log "restoring the services' packages for linux-x64 into the SDK stand-in's feed"
  # From a copy of the sources: the checkout's obj/ (and whoever builds in it) is left alone.
  tar -C "$repo" -c --exclude=./.git --exclude=./dist --exclude=./tests --exclude=./bench --exclude=bin --exclude=obj . \
    | tar -C "$work/src" -x
  for p in agent/KcryptPush.Agent.csproj registrar/KcryptPush.Registrar.csproj verifier/KcryptPush.Verifier.csproj; do
    # The properties of compose/Dockerfile's publish that change what is restored: the runtime pack
    # (self-contained), ILLink (trimmed), crossgen2 (ReadyToRun).
    dotnet restore "$work/src/$p" -r linux-x64 -p:SelfContained=true -p:PublishTrimmed=true -p:PublishReadyToRun=true \
      --packages "$d/packages" -nologo -v quiet \
      > "$work/restore.log" 2>&1 || { tail -20 "$work/restore.log" >&2; log "restore of $p failed"; exit 1; }
  done
  rm -rf "$work/src"
  cp -a "$dotnet_root" "$d/dotnet"
  cat > "$d/NuGet.Config" << 'EOF'
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="/usr/share/nuget-local" />
  </packageSources>
</configuration>
EOF
  cat > "$d/Dockerfile" << EOF
FROM $deps_image
# The SDK itself needs ICU, as the official SDK image has it (the services run invariant).
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(icu_package) > /dev/null \\
 && rm -rf /var/lib/apt/lists/*
COPY dotnet /usr/share/dotnet
COPY packages /usr/share/nuget-local
COPY NuGet.Config /root/.nuget/NuGet/NuGet.Config
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 NUGET_CERT_REVOCATION_MODE=offline
EOF
  build "$sdk_image" "$want" "$d"
}

make_rabbitmq() {
  local d=$work/rabbitmq
  mkdir -p "$d"
  # As the official image: listen on all addresses (the container's own network), guest usable
  # from other hosts only where a config says so, the management plugin on, logs on stdout (where
  # Testcontainers' wait strategy reads "Server startup complete").
  printf '%s\n' 'loopback_users.guest = false' 'listeners.tcp.default = 5672' 'management.tcp.port = 15672' > "$d/10-defaults.conf"
  cat > "$d/Dockerfile" << EOF
FROM $base
RUN apt-get update -qq \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rabbitmq-server > /dev/null \\
 && rm -rf /var/lib/apt/lists/* \\
 && mkdir -p /etc/rabbitmq/conf.d && chown -R rabbitmq:rabbitmq /etc/rabbitmq \\
 && rabbitmq-plugins enable --offline rabbitmq_management > /dev/null \\
 && chown rabbitmq:rabbitmq /etc/rabbitmq/enabled_plugins
COPY 10-defaults.conf /etc/rabbitmq/conf.d/10-defaults.conf
ENV HOME=/var/lib/rabbitmq RABBITMQ_LOGS=- PATH=/usr/lib/rabbitmq/bin:/usr/sbin:/usr/bin:/sbin:/bin
USER rabbitmq
EXPOSE 4369 5671 5672 15672 25672
CMD ["rabbitmq-server"]
EOF
  build "$rabbit_image" "$(cat "$d"/* | digest "$base")" "$d"
}

make_base
make_runtime_deps
make_sdk
make_rabbitmq
env_lines > compose/.env
log "wrote compose/.env: $(tr '\n' ' ' < compose/.env)"
