#!/bin/bash
# check-deps.sh BUILD_DIR: the packages of pkg/ include each other as their CMake targets say.
#
# The declared graph is CMake's own (cmake --graphviz on BUILD_DIR: the direct links of every
# nanolet_<package> target to another); the real one is the #include "<package>/..." lines of
# pkg/<package>/*.[ch]. It fails when a package includes a package its target does not link,
# links one it never includes, includes a header that is neither its own nor a package's (the
# daemon's, say), or when the packages form a cycle. --graph prints the declared edges.
set -euo pipefail

graph=0
if [ "${1:-}" = --graph ]; then
	graph=1
	shift
fi
build=${1:?usage: check-deps.sh [--graph] BUILD_DIR}
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --graphviz="$tmp/graph.dot" "$build" >"$tmp/cmake.log" 2>&1 || {
	cat "$tmp/cmake.log" >&2
	echo "check-deps: cmake --graphviz $build failed" >&2
	exit 1
}

packages=$(cd "$source_dir/pkg" && for d in */; do echo "${d%/}"; done)
is_package() { grep -qx "$1" <<<"$packages"; }

# "nodeN" -> "nodeM" [ style = dotted ] // nanolet_a -> nanolet_b
sed -n 's|.*// nanolet_\([a-z_]*\) -> nanolet_\([a-z_]*\)$|\1 \2|p' "$tmp/graph.dot" |
	while read -r from to; do
		if is_package "$from" && is_package "$to"; then echo "$from $to"; fi
	done | sort -u >"$tmp/declared"

failed=0
for package in $packages; do
	if ! grep -q "nanolet_$package\"" "$tmp/graph.dot"; then
		echo "check-deps: pkg/$package/ has no nanolet_$package target" >&2
		failed=1
	fi
	for file in "$source_dir/pkg/$package"/*.[ch]; do
		{ grep -n '^#include "' "$file" || true; } | sed 's|^\([0-9]*\):#include "\([^"]*\)".*|\1 \2|' |
			while read -r line header; do
				where="pkg/$package/$(basename "$file"):$line"
				case $header in
				*/*)
					used=${header%%/*}
					if ! is_package "$used"; then
						echo "$where: \"$header\" is not a package's header" >&2
						echo "bad"
					elif [ "$used" != "$package" ]; then
						echo "$package $used $where"
					fi
					;;
				*)
					if [ ! -e "$source_dir/pkg/$package/$header" ]; then
						echo "$where: \"$header\" is not pkg/$package's own header" >&2
						echo "bad"
					fi
					;;
				esac
			done
	done
done >"$tmp/included"

if grep -qx bad "$tmp/included"; then failed=1; fi
sed -i '/^bad$/d' "$tmp/included"

while read -r from to where; do
	if ! grep -qx "$from $to" "$tmp/declared"; then
		echo "$where: includes $to/, but nanolet_$from does not link nanolet_$to (CMakeLists.txt)" >&2
		failed=1
	fi
done <"$tmp/included"
while read -r from to; do
	if ! grep -q "^$from $to " "$tmp/included"; then
		echo "check-deps: nanolet_$from links nanolet_$to, but no file of pkg/$from/ includes $to/" >&2
		failed=1
	fi
done <"$tmp/declared"

# tsort names a loop on its standard error and fails.
if ! { cut -d' ' -f1,2 "$tmp/included"; cat "$tmp/declared"; } | sort -u | tsort >/dev/null 2>"$tmp/tsort"; then
	echo "check-deps: the packages form a cycle:" >&2
	sed -n 's/^tsort: //p' "$tmp/tsort" >&2
	failed=1
fi

if [ "$graph" = 1 ]; then cat "$tmp/declared"; fi
if [ "$failed" = 0 ]; then
	echo "check-deps: $(wc -l <"$tmp/declared") edges between $(wc -w <<<"$packages") packages, as included, no cycle"
fi
exit "$failed"
