#!/usr/bin/env bash
# Integration tests start real servers from Debian packages (they never skip under CI=true). Install the
# ones that are missing when we can (root with apt-get, as on CI and the project's machines); otherwise
# say what to install and stop.
set -euo pipefail
needed=()
[ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ] || needed+=(prometheus)
[ -x /usr/bin/prometheus-alertmanager ] || needed+=(prometheus-alertmanager)
[ -x /usr/bin/redis-server ] || needed+=(redis-server)
[ -x /usr/bin/chromium ] || needed+=(chromium fonts-liberation)
[ -x /usr/bin/docker-compose ] || needed+=(docker-compose)
[ -x /usr/bin/hey ] || needed+=(hey)
[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing test servers: ${needed[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
else
  echo "the tests need: sudo apt-get install -y ${needed[*]}" >&2
  exit 1
fi
