#!/usr/bin/env bash
# npm run setup:tensorflow [-- --gpu]
#
# Makes the native TensorFlow backend (@tensorflow/tfjs-node, or -gpu) work without the CDN its
# own install script downloads from: the binding is built from source against the libtensorflow
# that PyPI's TensorFlow wheel ships (libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the
# C API headers). The wheel's files are cached; a later `npm ci` only needs this script again
# (seconds). See README, "Backends".
set -euo pipefail
cd "$(dirname "$0")/../.."

TF_VERSION="${KADAPTER_TF_VERSION:-2.21.0}"
variant=cpu
[ "${1:-}" = "--gpu" ] && variant=gpu
if [ "$variant" = gpu ]; then wheel_pkg=tensorflow; npm_pkg=@tensorflow/tfjs-node-gpu; else wheel_pkg=tensorflow-cpu; npm_pkg=@tensorflow/tfjs-node; fi
python="${PYTHON:-python3}"
cache="${KADAPTER_CACHE_DIR:-$HOME/.cache/kadapter}/tensorflow/$wheel_pkg-$TF_VERSION"
pkg_version=$(node -p "require('./package.json').optionalDependencies['$npm_pkg'].replace(/^[^0-9]*/, '')")

say() { echo "setup:tensorflow: $*"; }

# 1. libtensorflow from the wheel (once per cache).
if [ ! -f "$cache/.complete" ]; then
  say "fetching $wheel_pkg==$TF_VERSION from PyPI (pip; once)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$python" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check -q "$wheel_pkg==$TF_VERSION" -d "$tmp"
  rm -rf "$cache" && mkdir -p "$cache"
  # Only the shared libraries and headers: they do not depend on the Python the wheel is tagged for.
  "$python" - "$tmp"/*.whl "$cache" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
keep = ("tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2")
for n in z.namelist():
    if n in keep or n.startswith("tensorflow/include/"):
        z.extract(n, sys.argv[2])
PY
  for lib in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
    [ -f "$cache/tensorflow/$lib" ] || { say "the wheel has no tensorflow/$lib; this TensorFlow version cannot be used"; exit 1; }
  done
  touch "$cache/.complete"
fi

# 2. The npm package's files and dependencies, without its install script (the CDN download).
say "installing $npm_pkg@$pkg_version without its install script"
npm install --no-save --ignore-scripts --no-audit --no-fund "$npm_pkg@$pkg_version" >/dev/null
dir="node_modules/$npm_pkg"

# 3. deps/ as the package's binding.gyp and install script expect them (libtensorflow.so.2.9.1 is
# the name its install script checks; the binary records the real soname, libtensorflow_cc.so.2).
rm -rf "$dir/deps" && mkdir -p "$dir/deps/lib"
ln -s "$cache/tensorflow/libtensorflow_cc.so.2" "$dir/deps/lib/libtensorflow_cc.so.2"
ln -s "$cache/tensorflow/libtensorflow_framework.so.2" "$dir/deps/lib/libtensorflow_framework.so.2"
for name in libtensorflow.so.2.9.1 libtensorflow.so.2 libtensorflow.so; do ln -s libtensorflow_cc.so.2 "$dir/deps/lib/$name"; done
ln -s libtensorflow_framework.so.2 "$dir/deps/lib/libtensorflow_framework.so"
ln -s "$cache/tensorflow/include" "$dir/deps/include"

# 4. Build the binding against this Node's own headers (node-gyp would otherwise download them).
nodedir=$(node -p "require('path').resolve(process.execPath, '../..')")
[ -f "$nodedir/include/node/node_api.h" ] || { say "no Node headers in $nodedir/include/node; install Node's development headers"; exit 1; }
node_gyp=$(node -p "require('path').join(require('path').dirname(require.resolve('npm/package.json', {paths: [require('path').resolve(process.execPath, '../../lib/node_modules')]})), 'node_modules/node-gyp/bin/node-gyp.js')")
say "building the binding from source"
(cd "$dir" && npx --no-install node-pre-gyp install --build-from-source --nodedir="$nodedir" --node_gyp="$node_gyp" >"$cache/build-$variant.log" 2>&1) || {
  say "build failed; last lines of $cache/build-$variant.log:"; tail -20 "$cache/build-$variant.log"; exit 1; }

# 5. Prove it: load the backend and run an op.
TF_CPP_MIN_LOG_LEVEL=2 node -e "
const tf = require('@tensorflow/tfjs');
require('$npm_pkg');
const y = tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync();
if (tf.getBackend() !== 'tensorflow' || y[0] !== 3) { console.error('native backend did not run'); process.exit(1); }
console.log('setup:tensorflow: ok, backend tensorflow, libtensorflow ' + tf.backend().binding.TF_Version);
"
