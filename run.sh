#!/usr/bin/env bash
# One entry point that does all set-up on a fresh Debian machine with Go:
#   ./run.sh demo   — install dependencies, build, run the AFSFT demo
#   ./run.sh test   — install dependencies, run vet + the full test suite
set -euo pipefail
cd "$(dirname "$0")"

apt_pkgs=(libopenblas-dev libdnnl-dev chromium python3-torch python3-numpy fonts-dejavu-core)

setup() {
  local missing=()
  for p in "${apt_pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}" >&2
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  go mod download
}

cmd=${1:-}
shift || true
case "$cmd" in
  demo)
    setup
    # -buildvcs=auto: run.json and model cards name the commit (GOFLAGS may turn it off).
    go build -buildvcs=auto -o bin/vlmq ./cmd/vlmq
    exec ./bin/vlmq demo "$@"
    ;;
  test)
    setup
    test -z "$(gofmt -l . | grep -v '^bin/' || true)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
    go vet ./...
    # Browser tests need Chromium; CI must run them, so fail instead of skipping.
    export VLMQ_REQUIRE_CHROMIUM=1
    # The PyTorch comparison tests likewise fail instead of skipping.
    export VLMQ_REQUIRE_TORCH=1
    go test -count=1 -timeout 30m ./... "$@"
    go test -count=1 -tags noblas ./tensor/...
    ;;
  *)
    echo "usage: ./run.sh demo|test [args]" >&2
    exit 2
    ;;
esac
