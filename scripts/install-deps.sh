#!/usr/bin/env bash
# Installs what the tests and the local system need, only where it is missing:
# swtpm (+ swtpm_setup/swtpm_localca), tpm2-tools, RabbitMQ, openssl, jq, PostgreSQL, Prometheus (for promtool) and Chromium from Debian's packages.
# --packaging adds what scripts/package.sh and the packaging tests need: dpkg-dev, debootstrap,
# docker.io (dockerd is not started here), qemu-user-static and an arm64 C/C++ runtime for it,
# clang and zlib1g-dev (the agent's NativeAOT publish).
set -euo pipefail

need=()
command -v swtpm >/dev/null 2>&1 || need+=(swtpm)
command -v swtpm_setup >/dev/null 2>&1 || need+=(swtpm-tools)
command -v tpm2_quote >/dev/null 2>&1 || need+=(tpm2-tools)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v jq >/dev/null 2>&1 || need+=(jq)
# PostgreSQL server binaries (/usr/lib/postgresql/*/bin) for the store tests' private server (tests/Shared/PrivatePostgres.cs).
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || need+=(postgresql)
# promtool checks and unit-tests the alert rules in observability/.
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
# Headless Chromium opens the verifier's status page in its tests (tests/Shared/HeadlessChromium.cs).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "${1:-}" = --packaging ]; then
  command -v dpkg-deb >/dev/null 2>&1 || need+=(dpkg-dev)
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  command -v qemu-aarch64-static >/dev/null 2>&1 || need+=(qemu-user-static)
  command -v file >/dev/null 2>&1 || need+=(file)
  [ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || need+=(libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)
  # The amd64 agent is published with NativeAOT (scripts/package.sh), which links with clang.
  command -v clang >/dev/null 2>&1 || need+=(clang)
  [ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)
fi

# compose/ and the tests' container broker (compose-images.sh, tests/Shared/BrokerContainer.cs):
# Debian's docker-compose (1.29; the compose plugin is not packaged for bookworm), with --packaging
# (which brings the engine and debootstrap) or --containers.
containers_deps() { command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose); }
case " $* " in *" --packaging "* | *" --containers "*) containers_deps ;; esac

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing ${need[*]}; run as root or install them with apt-get" >&2
  exit 1
fi
echo "install-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
