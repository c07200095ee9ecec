#!/usr/bin/env bash
# Installs the Debian packages docctl's tests and benchmarks use, when they are missing.
# nats-server: the JetStream server; qpdf + poppler-utils: independent PDF checks; chromium: the HTML
# engine and dashboard tests; wkhtmltopdf + pdftk-java: the old pipeline the render benchmark compares
# against; redis-server: BullMQ in the peers benchmark; openssl: TLS certificates for the NATS security
# tests; systemd: systemd-analyze checks the units in systemd/.
set -euo pipefail
want=(nats-server qpdf poppler-utils chromium wkhtmltopdf pdftk-java redis-server fonts-dejavu-core openssl systemd)
bins=(nats-server qpdf pdftotext chromium wkhtmltopdf pdftk redis-server "" openssl systemd-analyze)
missing=()
for i in "${!want[@]}"; do
  b=${bins[$i]}
  if [ -n "$b" ] && command -v "$b" >/dev/null 2>&1; then continue; fi
  if [ -z "$b" ] && dpkg -s "${want[$i]}" >/dev/null 2>&1; then continue; fi
  missing+=("${want[$i]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "docctl: missing Debian packages: ${missing[*]}" >&2
  echo "  install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "docctl: installing ${missing[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
