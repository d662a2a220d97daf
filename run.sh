#!/usr/bin/env bash
# One command to set up sikro-docs on Debian and run it.
#
#   ./run.sh demo [DIR]       set everything up, then build the demo workspace (default: ./demo)
#   ./run.sh test [ARGS...]   set everything up, then run the whole test suite (pytest ARGS)
#                             on SQLite, then again on a PostgreSQL server it starts itself
#   ./run.sh setup            only set up
#
# Setting up means: the Debian packages the toolkit uses (LibreOffice for PDF,
# fonts for the templates, Tesseract for OCR, Chromium for the page tests, PostgreSQL
# for the tests on a server database) when missing, a virtualenv in .venv, and the
# package with its Python dependencies. Each part is skipped when already done,
# so running it again is quick.
set -euo pipefail
cd "$(dirname "$0")"

DEBIAN_PACKAGES=(
  libreoffice-writer-nogui    # DOCX -> PDF/A
  python3-uno                 # keeps LibreOffice running between documents (sikro_docs/lo_bridge.py)
  libreoffice-calc-nogui      # tests open the workbooks we write in LibreOffice
  fonts-liberation            # Times/Arial/Courier metrics of the templates
  fonts-dejavu-core
  fonts-crosextra-carlito     # Calibri metrics
  tesseract-ocr               # OCR of scanned paper for archive search
  tesseract-ocr-ind           # ... with the Indonesian model
  chromium                    # tests open the verification page in a real browser
  libcairo2                   # cairosvg draws the SOP diagram as PDF
  poppler-utils               # pdftoppm: look at a PDF as a person would
  wrk                         # bench/verify_bench.py's load generator
  faketime                    # tests run the CLI at the year boundary (libfaketime)
  postgresql                  # tests start a throwaway PostgreSQL server of their own (tests/pg_support.py)
)
VENV=.venv

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "need root to run: $*"; exit 1
  fi
}

missing_debian_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || echo "$pkg"
  done
}

install_debian_packages() {
  command -v dpkg-query >/dev/null || { say "not a Debian system: install LibreOffice and fonts yourself"; return; }
  local wanted=("${DEBIAN_PACKAGES[@]}")
  python3 -c 'import ensurepip, venv' 2>/dev/null || wanted+=(python3-venv)
  local missing
  missing=$(missing_debian_packages "${wanted[@]}")
  [ -z "$missing" ] && return
  say "installing Debian packages: $(echo $missing)"
  as_root apt-get update -qq
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

install_python_packages() {
  [ -x "$VENV/bin/python" ] || { say "creating virtualenv $VENV"; python3 -m venv "$VENV"; }
  local stamp="$VENV/.installed" want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing Python packages into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e '.[test,postgresql]'
    echo "$want" > "$stamp"
  fi
}

setup() {
  install_debian_packages
  install_python_packages
}

cmd=${1:-help}
[ $# -gt 0 ] && shift
case "$cmd" in
  setup) setup ;;
  demo)  setup; exec "$VENV/bin/sikro" demo "${1:-demo}" ;;
  test)  setup
         "$VENV/bin/python" -m pytest "$@"
         # The tests on the workspace fixture again, each on a database of its own on a throwaway
         # PostgreSQL cluster (tests/pg_support.py; tests/conftest.py says which run).
         echo "--- the same tests on PostgreSQL ---"
         SIKRO_TEST_DATABASE=postgresql exec "$VENV/bin/python" -m pytest "$@" ;;
  *)     sed -n '2,8p' "$0"; exit 2 ;;
esac
