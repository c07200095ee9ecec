#!/usr/bin/env bash
# Installs the Debian packages docctl's tests and benchmarks use, when they are missing.
# nats-server: the JetStream server, 2.10 or newer (see below); qpdf + poppler-utils: independent PDF
# checks; chromium: the HTML engine and dashboard tests; wkhtmltopdf + pdftk-java: the old pipeline the
# render benchmark compares against; redis-server: BullMQ in the peers benchmark; openssl: TLS
# certificates for the NATS security tests; systemd: systemd-analyze checks the units in systemd/.
#
# nats-server 2.9 (Debian 12's) loses acked jobs' deletes after a SIGKILL (acked jobs come back from
# the work queue) and has no `sync_interval: always`; docctl needs 2.10 or newer. Where the distribution
# only offers an older one, the script adds Debian 13 "trixie" as an apt source pinned at priority 1
# (nothing else is ever taken from it) and installs trixie's nats-server, a static Go binary that runs
# on Debian 12; an older nats-server already installed is upgraded the same way.
set -euo pipefail
want=(nats-server qpdf poppler-utils chromium wkhtmltopdf pdftk-java redis-server fonts-dejavu-core openssl systemd fonts-noto-core fonts-droid-fallback zbar-tools dmtx-utils)
bins=(nats-server qpdf pdftotext chromium wkhtmltopdf pdftk redis-server "" openssl systemd-analyze "" "" zbarimg dmtxread)

# nats_ok: a nats-server on PATH whose version is 2.10 or newer.
nats_ok() {
  command -v nats-server >/dev/null 2>&1 || return 1
  local v; v=$(nats-server --version 2>/dev/null | sed -n 's/.*v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  [ -n "$v" ] || return 1
  set -- $v
  [ "$1" -gt 2 ] || { [ "$1" -eq 2 ] && [ "$2" -ge 10 ]; }
}

missing=()
for i in "${!want[@]}"; do
  b=${bins[$i]}
  if [ "$b" = nats-server ]; then nats_ok && continue; missing+=(nats-server); continue; fi
  if [ -n "$b" ] && command -v "$b" >/dev/null 2>&1; then continue; fi
  if [ -z "$b" ] && dpkg -s "${want[$i]}" >/dev/null 2>&1; then continue; fi
  missing+=("${want[$i]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "docctl: missing Debian packages: ${missing[*]} (nats-server must be 2.10 or newer)" >&2
  echo "  install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "docctl: installing ${missing[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
nats_ok && exit 0

# The distribution's nats-server is older than 2.10: take Debian 13's, pinned so that nothing else
# comes from trixie (`pkg/trixie` selects trixie's version for that one package only).
echo "docctl: nats-server $(nats-server --version 2>/dev/null | sed "s/.*v//") is older than 2.10; installing Debian 13 (trixie)'s" >&2
cat > /etc/apt/sources.list.d/docctl-trixie.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat > /etc/apt/preferences.d/docctl-trixie <<'PIN'
# docctl: trixie is only a source for nats-server 2.10+; never prefer it for anything else
Package: *
Pin: release n=trixie
Pin-Priority: 1
PIN
apt-get update -qq
apt-get install -y -qq --no-install-recommends nats-server/trixie >/dev/null
if ! nats_ok; then
  echo "docctl: nats-server is still $(nats-server --version 2>/dev/null); install 2.10 or newer by hand" >&2
  exit 1
fi
