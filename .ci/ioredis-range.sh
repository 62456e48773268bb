#!/usr/bin/env bash
# The core against both ends of the ioredis range it accepts (its peerDependency): the oldest and
# the newest published ioredis 6 in that range. For each: the core's unit tests (among them
# test/ioredis-internals.test.ts, the parts of ioredis the core reads beyond its documented API)
# and one integration test file on a real topology (durable writes: tick corking, the WAIT
# connection and the watchdog all on one path).
#
# The version the workspace has installed (the core's devDependency, the oldest: checked by
# test/unit/package-metadata.test.ts) is what `pnpm test` runs everything on, so .ci/run does not
# run it twice; `--include-installed` runs it here too, in place. Any other version runs in a
# temporary copy of the repository whose pnpm overrides pin ioredis to it everywhere (pnpm's store
# makes that install mostly links).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
include_installed=false
[ "${1-}" = "--include-installed" ] && include_installed=true

range="$(node -p "require('./packages/core/package.json').peerDependencies.ioredis")"
versions="$(npm view "ioredis@$range" version --json 2>/dev/null)"
read -r oldest newest < <(node -e '
  const v = JSON.parse(process.argv[1]);
  const list = Array.isArray(v) ? v : [v];
  console.log(list[0], list[list.length - 1]);
' "$versions")
installed="$(cd packages/core && node -p "require('ioredis/package.json').version")"
echo "ioredis-range: core accepts ioredis $range: oldest $oldest, newest $newest (workspace: $installed)"

tests=(packages/core/test/durable.int.test.ts)

run_tests() {
  local dir="$1" version="$2"
  local actual
  actual="$(cd "$dir/packages/core" && node -p "require('ioredis/package.json').version")"
  if [ "$actual" != "$version" ]; then
    echo "ioredis-range: expected ioredis $version under packages/core, found $actual" >&2
    exit 1
  fi
  echo "ioredis-range: ioredis $version: core unit tests and ${tests[*]}"
  (cd "$dir" && pnpm vitest run --project unit packages/core/ && pnpm vitest run --project integration "${tests[@]}")
}

for version in $(printf '%s\n' "$oldest" "$newest" | sort -u); do
  if [ "$version" = "$installed" ]; then
    if $include_installed; then
      run_tests "$repo" "$version"
    else
      echo "ioredis-range: ioredis $version is the workspace's: pnpm test covers it"
    fi
    continue
  fi
  copy="$(mktemp -d "${TMPDIR:-/tmp}/sentinelkit-ioredis-$version.XXXXXX")"
  trap 'rm -rf "$copy"' EXIT
  # The repository as committed plus untracked files not ignored (no node_modules, no dist).
  git ls-files -z --cached --others --exclude-standard |
    xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' |
    tar -c --null -T - | tar -x -C "$copy"
  printf '\noverrides:\n  ioredis: %s\n' "$version" >>"$copy/pnpm-workspace.yaml"
  (cd "$copy" && pnpm install --no-frozen-lockfile --prefer-offline --reporter=silent)
  run_tests "$copy" "$version"
  rm -rf "$copy"
  trap - EXIT
done
