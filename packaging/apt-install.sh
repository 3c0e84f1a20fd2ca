#!/bin/sh
# Installs emonet's .deb and what it depends on from Debian, then drops apt's lists: the one install
# step that packaging/Containerfile runs and that `make test-package` runs in a fresh Debian 12 root.
# Usage: apt-install.sh [apt-get install options] PATH/emonet_VERSION_ARCH.deb
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "$@"
rm -rf /var/lib/apt/lists/*
