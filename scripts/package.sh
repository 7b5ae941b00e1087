#!/usr/bin/env bash
# Builds the Debian packages from self-contained, trimmed, ReadyToRun publishes:
#
#   scripts/package.sh [VERSION]
#
#   dist/kcrypt-push-agent_VERSION_amd64.deb      dist/kcrypt-push-agent_VERSION_arm64.deb
#   dist/kcrypt-push-registrar_VERSION_amd64.deb  dist/kcrypt-push-verifier_VERSION_amd64.deb
#
# VERSION defaults to 0.0.0~gitSHORTHASH. KCRYPT_PACKAGES="agent:amd64 registrar:amd64 ..." builds
# a subset; KCRYPT_DIST=DIR writes there instead of dist/. Needs the .NET SDK (runtime packs and
# the ILLink/crossgen2 packs come from NuGet) and dpkg-deb. Publish logs and each build's trim
# warnings: dist/logs/. Prints the path of each package made on stdout.
#
# Each package: the publish under /usr/lib/kcrypt-push/ROLE/, a link /usr/bin/kcrypt-push-ROLE, the
# unit in /lib/systemd/system, /etc/kcrypt-push/ROLE.env (conffile, 0600, every option commented
# out), maintainer scripts from packaging/maintscripts/. The agent adds the kcrypt discovery
# plugin: /system/discovery/kcrypt-discovery-kcrypt-push -> /usr/lib/kcrypt-push/agent/kcrypt-discovery-kcrypt-push
# (a wrapper that reads /etc/kcrypt-push/agent.env, since kcrypt does not run it under systemd),
# and its state directory /var/lib/kcrypt-push-agent. The registrar's and verifier's state
# directories are made by systemd (StateDirectory= with DynamicUser=: a link to /var/lib/private/).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -le 1 ] || usage
case "${1:-}" in -h | --help) usage ;; esac

version=${1:-0.0.0~git$(git rev-parse --short HEAD 2> /dev/null || echo unknown)}
if ! [[ $version =~ ^[0-9][A-Za-z0-9.+~]*(-[A-Za-z0-9.+~]+)?$ ]]; then
  echo "package: '$version' is not a Debian version (digits first, then letters, digits, . + ~, one optional -revision)" >&2
  exit 2
fi
command -v dpkg-deb > /dev/null || { echo "package: dpkg-deb is missing (apt-get install dpkg-dev)" >&2; exit 1; }
command -v dotnet > /dev/null || { echo "package: the .NET SDK (dotnet) is missing" >&2; exit 1; }

packages=${KCRYPT_PACKAGES:-agent:amd64 agent:arm64 registrar:amd64 verifier:amd64}
dist=${KCRYPT_DIST:-$repo/dist}
mkdir -p "$dist/logs"
work=$(mktemp -d /tmp/kcrypt-push-package.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Publish from a copy of the sources: the checkout's bin/ and obj/ (and whoever builds in them at
# the same time) are left alone.
mkdir -p "$work/src"
tar -C "$repo" -c --exclude=./.git --exclude=./dist --exclude=bin --exclude=obj --exclude=TestResults \
  --exclude=BenchmarkDotNet.Artifacts . | tar -C "$work/src" -x

rid_of() { case $1 in amd64) echo linux-x64 ;; arm64) echo linux-arm64 ;; *) echo "package: unknown architecture $1" >&2; exit 2 ;; esac; }
project_of() {
  case $1 in
    agent) echo agent/KcryptPush.Agent.csproj ;;
    registrar) echo registrar/KcryptPush.Registrar.csproj ;;
    verifier) echo verifier/KcryptPush.Verifier.csproj ;;
    *) echo "package: unknown role $1" >&2; exit 2 ;;
  esac
}

# Self-contained (no dotnet on the node), trimmed, ReadyToRun (less JIT at start and in memory).
# TrimMode=partial: only the assemblies that declare themselves trimmable (the framework) are
# trimmed; ours, MassTransit, RabbitMQ.Client, LiteDB and System.CommandLine are kept whole.
# MassTransit builds types and serializers by reflection (ILLink reports ~100 warnings in it,
# listed in dist/logs/ROLE-ARCH.trim-warnings.txt) and LiteDB maps documents by reflection: a
# full trim compiles but would remove what they look up at run time. Reflection-based
# System.Text.Json stays on (PublishTrimmed turns it off by default), since MassTransit's
# serializer uses it.
#
# The amd64 agent is compiled ahead of time instead (NativeAOT: one native executable, no JIT, no
# runtime images to map): it runs on every node, and that is what brings its steady resident set
# from ~65 MB (ReadyToRun) to ~23 MB (README "Install on a node"). It has no MassTransit (agent/Bus),
# JSON and configuration binding are source-generated, and the project builds with the AOT
# analyzers on (IsAotCompatible), so a publish with warnings is refused rather than shipped. NativeAOT
# links with clang (Debian's clang; scripts/install-deps.sh --packaging installs it). The arm64
# agent stays ReadyToRun: NativeAOT does not cross-compile without an arm64 sysroot and linker.
aot() { [ "$1" = agent ] && [ "$2" = amd64 ] && [ "${KCRYPT_AGENT_AOT:-1}" = 1 ]; }

publish() { # role arch dir
  local role=$1 arch=$2 out=$3 log="$dist/logs/$1-$2.publish.log" how
  if aot "$role" "$arch"; then
    command -v clang > /dev/null || { echo "package: NativeAOT needs clang (apt-get install clang, or scripts/install-deps.sh --packaging)" >&2; exit 1; }
    how=(-p:PublishAot=true -p:StripSymbols=true)
  else
    how=(-p:PublishTrimmed=true -p:TrimMode=partial -p:TrimmerSingleWarn=false
      -p:PublishReadyToRun=true
      -p:JsonSerializerIsReflectionEnabledByDefault=true
      -p:TreatWarningsAsErrors=false)
  fi
  echo "package: publishing $role for $(rid_of "$arch")$(aot "$role" "$arch" && echo ' (NativeAOT)')" >&2
  if ! dotnet publish "$work/src/$(project_of "$role")" -c Release -r "$(rid_of "$arch")" --self-contained \
      "${how[@]}" \
      -p:DebugType=none -p:GenerateDocumentationFile=false \
      -o "$out" -nologo > "$log" 2>&1; then
    tail -30 "$log" >&2
    echo "package: publishing $role for $arch failed (whole log: $log)" >&2
    exit 1
  fi
  grep -oE 'warning IL[0-9]+: [^[]*' "$log" | sort -u > "$dist/logs/$role-$arch.trim-warnings.txt" || true
  echo "package: $role $arch: $(wc -l < "$dist/logs/$role-$arch.trim-warnings.txt") distinct trim warnings ($dist/logs/$role-$arch.trim-warnings.txt)" >&2
}

control() { # role arch installed-size-kB
  local role=$1 arch=$2 size=$3 what
  case $role in
    agent) what="node agent: enrols the TPM, pushes quotes, kcrypt discovery plugin
 Runs on every attested node (kcrypt-push-agent.service, Type=notify with a
 watchdog): enrols the node's TPM with the registrar, then pushes a TPM2_Quote
 and the measured-boot event log to the verifier every interval. Also kcrypt's
 discovery plugin /system/discovery/kcrypt-discovery-kcrypt-push, which asks the
 verifier for a partition's passphrase at boot." ;;
    registrar) what="registrar: EK certificate checks, credential activation, enrolment
 Checks a node's EK certificate against the trusted manufacturer CAs in
 /etc/kcrypt-push/ek-ca, proves the attestation key lives in that TPM
 (TPM2_MakeCredential / ActivateCredential) and enrols the node with the
 verifier. Runs as a dynamic user with its database in its state directory." ;;
    verifier) what="verifier: checks quotes and event logs, releases passphrases
 Issues challenges, verifies quotes, replays measured-boot event logs against
 policies, quarantines nodes that fail, reports silent ones, and releases disk
 passphrases (sealed to the node's TPM) to nodes that pass. Runs as a dynamic
 user with its database and sealing key in its state directory." ;;
  esac
  cat << EOF
Package: kcrypt-push-$role
Version: $version
Architecture: $arch
Maintainer: KcryptPush maintainers <kcrypt-push@localhost>
Installed-Size: $size
Depends: libc6 (>= 2.27), libgcc-s1, libstdc++6, libssl3 | libssl1.1
Recommends: systemd, ca-certificates
Section: admin
Priority: optional
Description: KcryptPush push-model TPM 2.0 attestation - $what
 Self-contained .NET build: no .NET runtime needed on the machine.
EOF
}

build_deb() { # role arch
  local role=$1 arch=$2 root="$work/root-$1-$2" lib
  lib=$root/usr/lib/kcrypt-push/$role
  rm -rf "$root"
  publish "$role" "$arch" "$lib"
  rm -f "$lib"/*.pdb "$lib"/*.dbg

  install -d -m 0755 "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/kcrypt-push" "$root/DEBIAN"
  ln -s "../lib/kcrypt-push/$role/kcrypt-push-$role" "$root/usr/bin/kcrypt-push-$role"
  install -m 0644 "systemd/kcrypt-push-$role.service" "$root/lib/systemd/system/"
  install -m 0600 "packaging/$role.env" "$root/etc/kcrypt-push/$role.env"
  echo "/etc/kcrypt-push/$role.env" > "$root/DEBIAN/conffiles"
  if [ "$role" = agent ]; then
    install -m 0755 packaging/kcrypt-discovery-kcrypt-push "$lib/kcrypt-discovery-kcrypt-push"
    install -d -m 0755 "$root/system/discovery" "$root/var/lib/kcrypt-push-agent"
    # Relative, so that a root mounted at /sysroot (kcrypt in the initramfs) resolves its own copy.
    ln -s ../../usr/lib/kcrypt-push/agent/kcrypt-discovery-kcrypt-push "$root/system/discovery/kcrypt-discovery-kcrypt-push"
  fi
  for s in postinst prerm postrm; do
    sed "s/@ROLE@/$role/g" "packaging/maintscripts/$s" > "$root/DEBIAN/$s"
    chmod 0755 "$root/DEBIAN/$s"
  done
  find "$root" -path "$root/DEBIAN" -prune -o -type d -exec chmod 0755 {} +
  (cd "$root" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
  control "$role" "$arch" "$(du -sk --exclude=DEBIAN "$root" | cut -f1)" > "$root/DEBIAN/control"

  local deb="$dist/kcrypt-push-${role}_${version}_${arch}.deb"
  dpkg-deb --root-owner-group -Zxz -z6 --build "$root" "$deb" > /dev/null
  echo "$deb"
}

for p in $packages; do
  build_deb "${p%%:*}" "${p##*:}"
done
