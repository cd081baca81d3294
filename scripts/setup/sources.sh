#!/usr/bin/env bash
# Extra sentence sources from Debian packages, needed by the full profile only: GCIDE
# (dict-gcide) and the Linux kernel's, Python's, Django's, SQLAlchemy's and scikit-learn's
# documentation (linux-doc-6.1, python3.11-doc, python-{django,sqlalchemy,sklearn}-doc).
# Installs with apt-get (as root, or through sudo when it is there).
set -euo pipefail
packages=(dict-gcide linux-doc-6.1 python3.11-doc python-django-doc python-sqlalchemy-doc python-sklearn-doc)
missing=()
for p in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then echo "$p: already installed"
  else missing+=("$p"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -q "${missing[@]}"
echo "installed: ${missing[*]}"
