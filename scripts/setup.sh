#!/usr/bin/env bash
# Installs what balcon needs on a Debian machine (the Fashion-MNIST package if missing and possible) and builds it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ ! -d /usr/share/datasets/fashion-mnist ]]; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist
  else
    echo "setup: Fashion-MNIST is missing and apt-get needs root: run 'sudo apt-get install -y dataset-fashion-mnist'" >&2
    exit 2
  fi
fi
mvn -q -B package -DskipTests
