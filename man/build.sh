#!/bin/sh
# man/build.sh SRCDIR OUTDIR VERSION: the man pages from man/*.in, with @VERSION@ filled in and
# nanolet.yaml(5)'s @KEYS@ made from configs/nanolet.yaml (config-keys.awk). Run by CMake.
set -eu
src=$1 out=$2 version=$3
mkdir -p "$out"
keys=$(mktemp)
trap 'rm -f "$keys"' EXIT
awk -f "$src/man/config-keys.awk" "$src/configs/nanolet.yaml" >"$keys"
for page in nanoletd.8 nanolet.1 nanolet.yaml.5; do
	awk -v version="$version" -v keys="$keys" '
		$0 == "@KEYS@" { while ((getline line < keys) > 0) print line; next }
		{ gsub(/@VERSION@/, version); print }
	' "$src/man/$page.in" >"$out/$page.tmp"
	mv "$out/$page.tmp" "$out/$page"
done
