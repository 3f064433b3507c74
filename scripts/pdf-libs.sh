#!/usr/bin/env bash
# WeasyPrint (the quote PDFs) needs Pango and HarfBuzz from the system, and a font.
# Installs Debian's packages when they are missing and we are root; otherwise says
# what to install. Used by `make demo` and scripts/test-services.sh.
set -euo pipefail

log() { echo "[pdf-libs] $*" >&2; }

PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation)

have_libs() {
  ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' &&
    ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so.0' &&
    [ -d /usr/share/fonts/truetype/liberation ]
}

if have_libs; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "missing Pango/HarfBuzz/fonts for WeasyPrint and not root: apt-get install ${PACKAGES[*]}"
  exit 1
fi
log "apt-get install ${PACKAGES[*]}"
DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >&2
