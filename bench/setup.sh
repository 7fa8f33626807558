#!/usr/bin/env bash
# Idempotent setup for the Ferry benchmark harness. Run as root on Debian 12.
#   bash bench/setup.sh
# Installs/unpacks the peer FTP servers into bench/.peers/, builds the load
# client, creates the local benchmark user and a self-signed certificate.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEERS="$HERE/.peers"
mkdir -p "$PEERS" "$PEERS/debs" "$PEERS/root"
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

need=()
for p in vsftpd python3-pyftpdlib python3-openssl gcc libc6-dev openssl libssl-dev \
         libhiredis0.14 libmemcached11 libmemcachedutil2 libpcre2-posix3 libsodium23 libcap2; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "[setup] apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  # vsftpd's postinst may try to start a service; there is no init here, that's fine.
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" || true
fi
# The vsftpd package may start a system daemon on port 21; we never use it.

# pure-ftpd and proftpd conflict with vsftpd in apt: download + unpack privately.
cd "$PEERS/debs"
for p in pure-ftpd pure-ftpd-common proftpd-core proftpd-basic proftpd-mod-crypto; do
  if ! ls "${p}"_*.deb >/dev/null 2>&1; then
    if apt-cache show "$p" >/dev/null 2>&1; then
      echo "[setup] apt-get download $p"
      apt-get download "$p" >/dev/null || echo "[setup] WARN could not download $p"
    fi
  fi
done
for d in *.deb; do
  stamp="$PEERS/root/.unpacked-${d%.deb}"
  [ -f "$stamp" ] || { dpkg -x "$d" "$PEERS/root" && touch "$stamp"; }
done
cd "$HERE"

# ftp-srv from npm, in its own prefix (not the project's package.json).
if [ ! -d "$PEERS/ftp-srv/node_modules/ftp-srv" ]; then
  mkdir -p "$PEERS/ftp-srv"
  [ -f "$PEERS/ftp-srv/package.json" ] || echo '{"name":"ferry-bench-ftp-srv","private":true}' > "$PEERS/ftp-srv/package.json"
  (cd "$PEERS/ftp-srv" && npm install --no-save --no-audit --no-fund --silent ftp-srv@4)
fi

# Load client (C, -O2, libcrypto SHA-256, libssl for FTPS, pthreads).
if [ ! -x "$PEERS/loadclient" ] || [ "$HERE/loadclient.c" -nt "$PEERS/loadclient" ]; then
  echo "[setup] gcc loadclient"
  gcc -O2 -Wall -o "$PEERS/loadclient" "$HERE/loadclient.c" -lssl -lcrypto -lpthread
fi

# Local user for servers that authenticate against the system (vsftpd, pure-ftpd, proftpd).
BUSER=ftpbench; BPASS=benchpass
if ! id "$BUSER" >/dev/null 2>&1; then
  $SUDO useradd -M -d "$HERE/.work/data" -s /bin/sh "$BUSER"
fi
echo "$BUSER:$BPASS" | $SUDO chpasswd -c SHA512
$SUDO usermod -d "$HERE/.work/data" "$BUSER" 2>/dev/null || true
mkdir -p /var/run/vsftpd/empty "$HERE/.work/data"

# Self-signed cert for FTPS.
if [ ! -f "$PEERS/cert.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=127.0.0.1" \
    -keyout "$PEERS/key.pem" -out "$PEERS/cert.pem" >/dev/null 2>&1
  cat "$PEERS/key.pem" "$PEERS/cert.pem" > "$PEERS/combined.pem"
fi
chmod 644 "$PEERS"/*.pem
echo "[setup] done: $(ls "$PEERS")"
