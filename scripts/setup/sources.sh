#!/usr/bin/env bash
# Extra sentence sources from Debian packages, needed by the full profile only: GCIDE
# (dict-gcide). Installs with apt-get (as root, or through sudo when it is there).
set -euo pipefail
if [ -f /usr/share/dictd/gcide.dict.dz ]; then echo "dict-gcide: already installed"; exit 0; fi
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -q dict-gcide
echo "dict-gcide: installed"
