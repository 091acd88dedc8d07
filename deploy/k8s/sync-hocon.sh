#!/usr/bin/env sh
# Copies the repository's hocon.conf into the kustomize base, which generates the pods' ConfigMap from it.
# kustomize reads no file outside its folder (not even through a symlink), hence a copy; tests/Deploy.Tests fails
# while the two differ. Run this after every change to hocon.conf and commit both files.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cp "$here/../../hocon.conf" "$here/base/hocon.conf"
echo "deploy/k8s/base/hocon.conf updated from hocon.conf"
