#!/usr/bin/env bash
# Builds Rebind and runs `rebind demo`: the real service against a simulated Telegram, Binance,
# OKX and platform, all on this computer. Open http://127.0.0.1:8081/demo and click through a
# recovery. Reads only REBIND_HTTP_PORT (8080) and REBIND_ADMIN_PORT (8081); Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
swift build -c release --product rebind
exec .build/release/rebind demo "$@"
