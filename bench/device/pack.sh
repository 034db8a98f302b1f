#!/usr/bin/env bash
# Packs the benchmark for a lent GPU machine (see README "On a real GPU"), which has no Node and no
# network: everything goes into .gpu/ (git-ignored through .git/info/exclude), under 64 MiB.
#
#   .gpu/node.xz        this machine's node binary (it links only glibc and libstdc++)
#   .gpu/app.tar.xz     app/d/d/d/bench.mjs and worker-main.js (esbuild bundles of bench/run.ts and
#                       the executor thread), dawn.node beside them where the webgpu package looks
#                       for it, shaders/ and package.json three levels up (where the bundled code's
#                       import.meta.url finds them), and @duckdb/node-api with its native binding
#   .gpu/*.deb          the Vulkan loader (libvulkan1), which the GPU machine may lack
#
# Then run bench/device/run.sh there (README shows the device call).
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qsx '/.gpu/' .git/info/exclude || echo '/.gpu/' >> .git/info/exclude
rm -rf .gpu && mkdir -p .gpu
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
out="$stage/app/d/d/d"
mkdir -p "$out/dist/linux-x64" "$stage/app/node_modules/@duckdb"
banner="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
for entry in bench/run.ts:bench.mjs src/executor/worker/worker-main.ts:worker-main.js; do
  node_modules/.bin/esbuild "${entry%%:*}" --bundle --platform=node --format=esm --target=node20 \
    --outfile="$out/${entry##*:}" --external:@duckdb/node-api --banner:js="$banner" --log-level=warning
done
echo '{ "type": "module" }' > "$out/package.json"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$out/dist/linux-x64/"
cp -r shaders package.json "$stage/app/"
cp -r node_modules/@duckdb/node-api node_modules/@duckdb/node-bindings node_modules/@duckdb/node-bindings-linux-x64 "$stage/app/node_modules/@duckdb/"
tar -C "$stage" -cf - app | xz -T2 -6 > .gpu/app.tar.xz
xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz
lists=$(mktemp -d)
apt-get -qq -oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists="$lists" update
(cd .gpu && apt-get -qq -oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists="$lists" download libvulkan1)
rm -rf "$lists"
du -ch .gpu/* | tail -1
