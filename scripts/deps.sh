#!/usr/bin/env bash
# Installs the Debian packages docctl's tests and benchmarks use, when they are missing.
# nats-server: the JetStream server, 2.14 or newer (see below); qpdf + poppler-utils: independent PDF
# checks; chromium: the HTML engine and dashboard tests; wkhtmltopdf + pdftk-java: the old pipeline the
# render benchmark compares against; redis-server: BullMQ in the peers benchmark; openssl: TLS
# certificates for the NATS security tests (and a signing certificate in the render tests); systemd:
# systemd-analyze checks the units in systemd/; libxml2-utils: xmllint checks Factur-X XML against its XSDs.
#
# docctl needs nats-server 2.14 or newer: message schedules (@at, @every, cron with a time zone), consumer
# pause, atomic and fast-ingest batch publish and per-message TTL live in the server (docs/protocol.md,
# "Server features"). Debian 12 ships 2.9 and Debian 13 2.10; where the distribution only offers an older
# one, the script adds Debian testing "forky" as an apt source pinned at priority 1 (nothing is ever
# installed from it), downloads forky's nats-server package and copies its binary (a static Go program
# that runs on Debian 12) to /usr/local/bin. The package itself is not installed: its post-install script
# needs a newer systemd-sysusers than Debian 12's and fails there.
#
# One test (test/e2e/server-floor.test.ts) checks that docctl refuses a server older than 2.14: it runs
# Debian 13 "trixie"'s nats-server 2.10, whose binary this script extracts (same way, trixie pinned at
# priority 1, nothing installed) to /usr/local/lib/docctl/nats-server-2.10. Nothing else uses it.
set -euo pipefail
want=(nats-server qpdf poppler-utils chromium wkhtmltopdf pdftk-java redis-server fonts-dejavu-core openssl systemd fonts-noto-core fonts-droid-fallback zbar-tools dmtx-utils libxml2-utils)
bins=(nats-server qpdf pdftotext chromium wkhtmltopdf pdftk redis-server "" openssl systemd-analyze "" "" zbarimg dmtxread xmllint)

# nats_ok: a nats-server on PATH whose version is 2.14 or newer.
nats_ok() {
  command -v nats-server >/dev/null 2>&1 || return 1
  local v; v=$(nats-server --version 2>/dev/null | sed -n 's/.*v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  [ -n "$v" ] || return 1
  set -- $v
  [ "$1" -gt 2 ] || { [ "$1" -eq 2 ] && [ "$2" -ge 14 ]; }
}

OLD_NATS=/usr/local/lib/docctl/nats-server-2.10
missing=()
need_nats=0
need_old=0
[ -x "$OLD_NATS" ] || need_old=1
for i in "${!want[@]}"; do
  b=${bins[$i]}
  if [ "$b" = nats-server ]; then nats_ok || need_nats=1; continue; fi
  if [ -n "$b" ] && command -v "$b" >/dev/null 2>&1; then continue; fi
  if [ -z "$b" ] && dpkg -s "${want[$i]}" >/dev/null 2>&1; then continue; fi
  missing+=("${want[$i]}")
done
[ ${#missing[@]} -eq 0 ] && [ "$need_nats" -eq 0 ] && [ "$need_old" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  [ "$need_nats" -eq 1 ] && missing+=(nats-server)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "docctl: missing Debian packages: ${missing[*]} (nats-server must be 2.14 or newer)" >&2
    echo "  install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  # only the old test server is missing: its test says so and is skipped
  echo "docctl: $OLD_NATS (nats-server 2.10, for the test that docctl refuses an old server) is missing: run scripts/deps.sh as root" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -gt 0 ]; then
  echo "docctl: installing ${missing[*]} (apt-get)" >&2
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# extract_nats SUITE DEST: the nats-server binary of SUITE's package (downloaded, never installed) to DEST.
extract_nats() {
  local tmp; tmp=$(mktemp -d); chmod 755 "$tmp"
  (cd "$tmp" && apt-get download -qq "nats-server/$1" >/dev/null)
  dpkg-deb -x "$tmp"/nats-server_*.deb "$tmp/x"
  install -D -m 0755 "$tmp/x/usr/sbin/nats-server" "$2"
  rm -rf "$tmp"
}

if [ "$need_old" -eq 1 ]; then
  # The test-only old server: Debian 13 trixie's nats-server 2.10, pinned so nothing is installed from trixie.
  echo "docctl: extracting Debian trixie's nats-server 2.10 to $OLD_NATS (test-only: docctl must refuse it)" >&2
  cat > /etc/apt/sources.list.d/docctl-trixie.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  cat > /etc/apt/preferences.d/docctl-trixie <<'PIN'
# docctl: trixie is only where the test-only nats-server 2.10 is downloaded from; never install anything from it
Package: *
Pin: release n=trixie
Pin-Priority: 1
PIN
  apt-get update -qq
  extract_nats trixie "$OLD_NATS"
fi

[ "$need_nats" -eq 0 ] && exit 0

# The distribution's nats-server (if any) is older than 2.14: take Debian testing's binary. The forky
# source is pinned so that nothing is ever installed from it.
echo "docctl: nats-server $(nats-server --version 2>/dev/null | sed "s/.*v//") is missing or older than 2.14; installing Debian testing (forky)'s binary in /usr/local/bin" >&2
cat > /etc/apt/sources.list.d/docctl-forky.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: forky
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
cat > /etc/apt/preferences.d/docctl-forky <<'PIN'
# docctl: forky is only where nats-server 2.14+ is downloaded from; never install anything from it
Package: *
Pin: release n=forky
Pin-Priority: 1
PIN
apt-get update -qq
extract_nats forky /usr/local/bin/nats-server
hash -r
if ! nats_ok; then
  echo "docctl: nats-server is still $(nats-server --version 2>/dev/null); install 2.14 or newer by hand" >&2
  exit 1
fi
