#!/usr/bin/env bash
# Builds the pinned SeaweedFS server (the `weed` binary) from source into seaweedfs/bin/weed.
#
# The version is pinned in go.mod beside this script. `go install` cannot build SeaweedFS
# (its go.mod has a replace directive), so this folder is a small Go module that requires
# it and `go build`s its weed command. A stamp beside the binary records the go.sum hash
# it was built from, so a changed pin rebuilds.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin_dir="$here/bin"
stamp="$bin_dir/weed.version"
version="$(sha256sum "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)"

if [[ -x "$bin_dir/weed" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
  echo "seaweedfs: already built at $bin_dir/weed"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "seaweedfs: Go is needed to build SeaweedFS (see seaweedfs/go.mod)." >&2
  exit 1
fi

pin="$(awk '$1 == "require" && $2 == "github.com/seaweedfs/seaweedfs" { print $3 }' "$here/go.mod")"
echo "seaweedfs: building github.com/seaweedfs/seaweedfs@$pin with $(go version | cut -d' ' -f3)"
echo "seaweedfs: this downloads the modules and compiles for ~13 minutes on a fresh 2-core machine..."
mkdir -p "$bin_dir"
started=$SECONDS
tmp="$(mktemp -d "$bin_dir/.build.XXXXXX")"
( while sleep 15; do printf '.'; done ) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true; rm -rf "$tmp"' EXIT
# Build into a temporary folder first so an interrupted build never leaves a
# half-written binary where the launcher would find it.
(cd "$here" && CGO_ENABLED=0 GOFLAGS="-trimpath -mod=readonly" go build -o "$tmp/weed" github.com/seaweedfs/seaweedfs/weed)
kill $ticker 2>/dev/null || true
echo
mv -f "$tmp/weed" "$bin_dir/weed"
echo "$version" > "$stamp"
echo "seaweedfs: built $bin_dir/weed in $((SECONDS - started)) s"
