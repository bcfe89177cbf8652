#!/usr/bin/env bash
# Re-vendor PropDesk's front-end libraries from the npm registry into
# static/vendor/, so the site works without any CDN.
#
# Usage (from anywhere):
#   static/vendor/update.sh
#   BOOTSTRAP_VERSION=5.3.9 HTMX_VERSION=2.0.11 static/vendor/update.sh
#
# To bump a library: change its pinned version below (or override it through
# the environment), run the script, check the site, update the table in
# README.md and commit. Only npm and tar are needed; nothing is installed.
set -euo pipefail

BOOTSTRAP_VERSION="${BOOTSTRAP_VERSION:-5.3.9}"
BOOTSTRAP_ICONS_VERSION="${BOOTSTRAP_ICONS_VERSION:-1.13.2}"
HTMX_VERSION="${HTMX_VERSION:-2.0.11}"
CHARTJS_VERSION="${CHARTJS_VERSION:-4.6.1}"

VENDOR_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/propdesk-vendor.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# fetch <npm-package> <version> -> prints the extracted package directory
fetch() {
    local pkg="$1" ver="$2" dir="$WORK/$1" tgz
    mkdir -p "$dir"
    tgz="$(cd "$dir" && npm pack --silent "${pkg}@${ver}" | tail -n 1)"
    tar -xzf "$dir/$tgz" -C "$dir"
    echo "$dir/package"
}

# version_note <dest-dir> <npm-package> <version> <licence>
version_note() {
    printf '%s %s\nnpm package: %s@%s\nlicence: %s\nvendored by static/vendor/update.sh\n' \
        "$2" "$3" "$2" "$3" "$4" > "$1/VERSION"
}

# strip_sourcemap <file>: drop "sourceMappingURL" comments so browsers do not
# request .map files that are not vendored.
strip_sourcemap() {
    sed -i -E '/^[[:space:]]*(\/\/|\/\*)# sourceMappingURL=.*$/d' "$1"
}

# require_nonempty <file>...
require_nonempty() {
    local f
    for f in "$@"; do
        [[ -s "$f" ]] || { echo "ERROR: $f is missing or empty" >&2; exit 1; }
    done
}

# --- Bootstrap -------------------------------------------------------------
src="$(fetch bootstrap "$BOOTSTRAP_VERSION")"
dst="$VENDOR_DIR/bootstrap"
rm -rf "$dst"; mkdir -p "$dst/css" "$dst/js"
cp "$src/dist/css/bootstrap.min.css"      "$dst/css/"
cp "$src/dist/js/bootstrap.bundle.min.js" "$dst/js/"
cp "$src/LICENSE"                         "$dst/LICENSE"
strip_sourcemap "$dst/css/bootstrap.min.css"
strip_sourcemap "$dst/js/bootstrap.bundle.min.js"
version_note "$dst" bootstrap "$BOOTSTRAP_VERSION" MIT
require_nonempty "$dst/css/bootstrap.min.css" "$dst/js/bootstrap.bundle.min.js" "$dst/LICENSE"

# --- Bootstrap Icons -------------------------------------------------------
src="$(fetch bootstrap-icons "$BOOTSTRAP_ICONS_VERSION")"
dst="$VENDOR_DIR/bootstrap-icons"
rm -rf "$dst"; mkdir -p "$dst/font/fonts"
cp "$src/font/bootstrap-icons.min.css" "$dst/font/"
cp "$src/LICENSE"                      "$dst/LICENSE"
strip_sourcemap "$dst/font/bootstrap-icons.min.css"
# Copy exactly the font files the stylesheet references (url("./fonts/x?hash")).
fonts="$(grep -oE 'url\("?[^")]+' "$dst/font/bootstrap-icons.min.css" \
         | sed -E 's/^url\("?//; s/[?#].*$//' | sort -u)"
[[ -n "$fonts" ]] || { echo "ERROR: no font URLs found in bootstrap-icons css" >&2; exit 1; }
for rel in $fonts; do
    rel="${rel#./}"
    mkdir -p "$dst/font/$(dirname "$rel")"
    cp "$src/font/$rel" "$dst/font/$rel"
    require_nonempty "$dst/font/$rel"
done
version_note "$dst" bootstrap-icons "$BOOTSTRAP_ICONS_VERSION" MIT
require_nonempty "$dst/font/bootstrap-icons.min.css" "$dst/LICENSE"

# --- htmx ------------------------------------------------------------------
src="$(fetch htmx.org "$HTMX_VERSION")"
dst="$VENDOR_DIR/htmx"
rm -rf "$dst"; mkdir -p "$dst"
cp "$src/dist/htmx.min.js" "$dst/"
cp "$src/LICENSE"          "$dst/LICENSE"
strip_sourcemap "$dst/htmx.min.js"
version_note "$dst" htmx.org "$HTMX_VERSION" "0BSD (Zero-Clause BSD)"
require_nonempty "$dst/htmx.min.js" "$dst/LICENSE"

# --- Chart.js --------------------------------------------------------------
src="$(fetch chart.js "$CHARTJS_VERSION")"
dst="$VENDOR_DIR/chartjs"
rm -rf "$dst"; mkdir -p "$dst"
cp "$src/dist/chart.umd.js" "$dst/"
cp "$src/LICENSE.md"        "$dst/LICENSE.md"
strip_sourcemap "$dst/chart.umd.js"
version_note "$dst" chart.js "$CHARTJS_VERSION" MIT
require_nonempty "$dst/chart.umd.js" "$dst/LICENSE.md"

echo "Vendored into $VENDOR_DIR:"
(cd "$VENDOR_DIR" && find bootstrap bootstrap-icons htmx chartjs -type f -printf '%10s  %p\n' | sort -k2)
du -sh "$VENDOR_DIR"
