#!/usr/bin/env bash
# Rebuild static/vendor/: every Leaflet/folium JS, CSS, image and font file the
# site serves itself, so rendered maps load nothing from a CDN (tiles excepted).
#
# Run by hand from the repository root after changing a version below, then
# review `git diff --stat static/vendor` and commit the result. CI never runs it:
# CI only checks (tests/geo/test_folium_assets.py) that every URL folium renders
# points at a file that exists here.
#
#   scripts/vendor_assets.sh [SCRATCH_DIR]
#
# SCRATCH_DIR (default: a fresh mktemp dir) receives the npm install; it must be
# outside the repository. PYTHON (default .venv/bin/python) must import folium:
# leaflet_heat.min.js is taken from the folium wheel, as folium itself serves it.
#
# Versions follow the CDN URLs in folium 0.20.0, except where noted in
# static/vendor/README.md (markercluster, awesome-markers).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SCRATCH=${1:-$(mktemp -d)}
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
D=$ROOT/static/vendor

case "$(cd "$SCRATCH" 2>/dev/null && pwd || echo "$SCRATCH")/" in
  "$ROOT"/*) echo "SCRATCH_DIR must be outside the repository" >&2; exit 2 ;;
esac

mkdir -p "$SCRATCH"
(
  cd "$SCRATCH"
  [ -f package.json ] || npm init -y >/dev/null
  npm install --no-audit --no-fund --ignore-scripts --save-exact \
    leaflet@1.9.3 \
    jquery@3.7.1 \
    leaflet.markercluster@1.5.3 \
    leaflet.awesome-markers@2.0.5 \
    @fortawesome/fontawesome-free@6.2.0 \
    leaflet.heat@0.2.0 \
    leaflet-draw@1.0.4
)
N=$SCRATCH/node_modules
FOLIUM=$("$PYTHON" -c 'import folium, os; print(os.path.dirname(folium.__file__))')
FOLIUM_LICENSE=$("$PYTHON" -c 'from importlib.metadata import files; print(next(str(f.locate()) for f in files("folium") if f.name.startswith("LICENSE")))')

# Keep README.md (hand-written); replace everything else.
find "$D" -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} + 2>/dev/null || true
mkdir -p "$D"

# Leaflet 1.9.3 (BSD-2-Clause)
mkdir -p "$D/leaflet"
cp "$N/leaflet/dist/leaflet.js" "$N/leaflet/dist/leaflet.css" "$D/leaflet/"
cp -r "$N/leaflet/dist/images" "$D/leaflet/"
cp "$N/leaflet/LICENSE" "$D/leaflet/LICENSE"

# jQuery 3.7.1 (MIT): folium.Popup builds its content with $(`...`)
mkdir -p "$D/jquery"
cp "$N/jquery/dist/jquery.min.js" "$D/jquery/"
cp "$N/jquery/LICENSE.txt" "$D/jquery/LICENSE"

# Leaflet.markercluster 1.5.3 (MIT)
mkdir -p "$D/leaflet.markercluster"
cp "$N/leaflet.markercluster/dist/leaflet.markercluster.js" \
   "$N/leaflet.markercluster/dist/MarkerCluster.css" \
   "$N/leaflet.markercluster/dist/MarkerCluster.Default.css" "$D/leaflet.markercluster/"
cp "$N/leaflet.markercluster/MIT-LICENCE.txt" "$D/leaflet.markercluster/LICENSE"

# Leaflet.awesome-markers 2.0.5 (ISC/MIT); only the image sets its CSS refers to
mkdir -p "$D/leaflet.awesome-markers/images"
cp "$N/leaflet.awesome-markers/dist/leaflet.awesome-markers.min.js" \
   "$N/leaflet.awesome-markers/dist/leaflet.awesome-markers.css" "$D/leaflet.awesome-markers/"
cp "$N"/leaflet.awesome-markers/dist/images/markers-soft*.png \
   "$N"/leaflet.awesome-markers/dist/images/markers-shadow*.png "$D/leaflet.awesome-markers/images/"
cp "$N/leaflet.awesome-markers/LICENSE" "$D/leaflet.awesome-markers/LICENSE"

# Font Awesome Free 6.2.0: all.min.css + woff2 only (every browser we target
# takes the woff2 entry of each @font-face src list; the .ttf fallbacks are omitted)
mkdir -p "$D/fontawesome-free/css" "$D/fontawesome-free/webfonts"
cp "$N/@fortawesome/fontawesome-free/css/all.min.css" "$D/fontawesome-free/css/"
cp "$N"/@fortawesome/fontawesome-free/webfonts/*.woff2 "$D/fontawesome-free/webfonts/"
cp "$N/@fortawesome/fontawesome-free/LICENSE.txt" "$D/fontawesome-free/LICENSE"

# folium's own small assets (MIT): the rotate classes that folium.Icon(angle=...)
# uses (generated, as upstream's file is) and Leaflet.heat as patched by folium.
mkdir -p "$D/folium" "$D/leaflet-heat"
"$PYTHON" -c "print(''.join('.fa-rotate-%d{transform:rotate(%ddeg)}' % (i, i) for i in range(360)))" \
  > "$D/folium/leaflet.awesome.rotate.min.css"
cp "$FOLIUM_LICENSE" "$D/folium/LICENSE"
cp "$FOLIUM/templates/leaflet_heat.min.js" "$D/leaflet-heat/"
cp "$N/leaflet.heat/LICENSE" "$D/leaflet-heat/LICENSE"

# Leaflet.draw 1.0.4 (MIT): the map editor's drawing tools (static/js/area-editor.js) and
# folium.plugins.Draw. Only the sprites its CSS refers to (the other images in dist/images are
# copies of Leaflet's own). The npm package ships no licence file: the text below is upstream's
# MIT-LICENSE.md (github.com/Leaflet/Leaflet.draw, tag v1.0.4).
mkdir -p "$D/leaflet-draw/images"
cp "$N/leaflet-draw/dist/leaflet.draw.js" "$N/leaflet-draw/dist/leaflet.draw.css" "$D/leaflet-draw/"
cp "$N"/leaflet-draw/dist/images/spritesheet.png "$N"/leaflet-draw/dist/images/spritesheet-2x.png \
   "$N"/leaflet-draw/dist/images/spritesheet.svg "$D/leaflet-draw/images/"
cat > "$D/leaflet-draw/LICENSE" <<'LICENCE'
Copyright 2012-2016 Jacob Toye and Leaflet

Permission is hereby granted, free of charge, to any person obtaining
a copy of this software and associated documentation files (the
"Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to
permit persons to whom the Software is furnished to do so, subject to
the following conditions:

The above copyright notice and this permission notice shall be
included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE
LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
LICENCE

du -sh "$D"
find "$D" -type f | wc -l
