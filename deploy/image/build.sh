#!/bin/sh
# Builds the dockwall image: the build context is deploy/image plus dist/dockwall.cjs and its launcher (run
# `npm run build` first), sent as a tar stream, so the repository's node_modules never reaches dockerd.
#   deploy/image/build.sh [docker build options…]    e.g. -t dockwall:0.1.0 --build-arg BASE=…
# DOCKER names the docker CLI to use (default: docker on PATH).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
bundle=$here/../../dist/dockwall.cjs
if [ ! -f "$bundle" ]; then
  echo "build.sh: $bundle is missing: run \`npm run build\` first" >&2
  exit 1
fi
tar -c -f - -C "$here" Dockerfile dockwall dockwall-entrypoint -C "$here/../../dist" dockwall.cjs dockwall-launch.cjs |
  "${DOCKER:-docker}" build "$@" -
