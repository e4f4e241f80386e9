#!/usr/bin/env bash
# Builds the pinned MinIO server from source into minio/bin/minio.
#
# MinIO no longer publishes binaries; its own recommended install is `go install`.
# The version is pinned in minio/VERSION (a Go module pseudo-version of
# github.com/minio/minio). A stamp file beside the binary records which version it is,
# because a `go install` build reports itself only as DEVELOPMENT.GOGET.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(tr -d '[:space:]' < "$here/VERSION")"
bin_dir="$here/bin"
stamp="$bin_dir/minio.version"

if [[ -x "$bin_dir/minio" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
  echo "minio: $version already built at $bin_dir/minio"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "minio: Go is needed to build MinIO (go install github.com/minio/minio@$version)." >&2
  echo "minio: install Go 1.24+ or point S3_ENDPOINT at an existing S3/MinIO." >&2
  exit 1
fi

echo "minio: building github.com/minio/minio@$version with $(go version | cut -d' ' -f3)"
echo "minio: this downloads the modules and compiles for several minutes on a fresh machine..."
mkdir -p "$bin_dir"
started=$SECONDS
# Build into a temporary folder first so an interrupted build never leaves a
# half-written binary where the launcher would find it.
tmp="$(mktemp -d "$bin_dir/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# -x would be too noisy; print a dot every 15 s so CI logs show the build is alive.
( while sleep 15; do printf '.'; done ) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true; rm -rf "$tmp"' EXIT
(cd "$tmp" && CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-trimpath go install "github.com/minio/minio@$version")
kill $ticker 2>/dev/null || true
echo
mv -f "$tmp/minio" "$bin_dir/minio"
echo "$version" > "$stamp"
echo "minio: built $bin_dir/minio in $((SECONDS - started)) s"
