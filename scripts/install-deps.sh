#!/usr/bin/env bash
# Installs the Debian packages Rebind needs, skipping those already present.
#   install-deps.sh            what building and running the service needs
#   install-deps.sh --test     also what the test suite needs (Chromium and its WebDriver for
#                              the key form's browser test, driven by Selenium, a CJK font
#                              so its Chinese screenshots show Chinese, and Prometheus for
#                              promtool, which checks the alert rules and the dashboard's
#                              queries; on a systemd machine the package also starts a
#                              Prometheus server on :9090 that the tests do not need)
set -euo pipefail

packages=(libcurl4-openssl-dev libsqlite3-dev)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(python3 python3-venv sqlite3 chromium chromium-driver fonts-wqy-microhei prometheus)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "Installing Debian packages: ${missing[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "Run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
