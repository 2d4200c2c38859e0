#!/usr/bin/env bash
# Headless Chromium for the report test (Debian's chromium package). Installs it when missing and this machine
# can (root with apt-get); otherwise says so, and the test that needs it skips with that reason.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the report test (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
    exit 0
fi
echo "chromium is not installed and cannot be installed here (needs root and apt-get): the report's browser test will skip" >&2
