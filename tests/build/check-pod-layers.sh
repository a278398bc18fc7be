#!/bin/sh
# tests/build/check-pod-layers.sh SOURCE_DIR: daemon/pods/'s layers point one way. Each file of
# a layer may include the headers of its own layer and of the layers below, never above (the
# compiler then refuses a call upward: every function is declared in its layer's header).
# Fails naming the file and the include.
#   record < sandbox, monitor < images < lifecycle < probes < manager
set -eu
dir=${1:-.}/daemon/pods
rank() {
	case $1 in
	record) echo 0 ;;
	sandbox | monitor) echo 1 ;;
	images | image_policy) echo 2 ;;
	lifecycle) echo 3 ;;
	probes) echo 4 ;;
	manager | restore) echo 5 ;;
	*) echo "" ;;
	esac
}
bad=0
for file in "$dir"/*.c "$dir"/*.h; do
	base=$(basename "$file")
	layer=$(rank "${base%.*}")
	[ -n "$layer" ] || continue # the seams (pod_ops.h, pod_clock.h) and their implementations
	for inc in $(sed -n 's|^#include "pods/\([a-z_]*\)\.h"$|\1|p' "$file"); do
		target=$(rank "$inc")
		[ -n "$target" ] || continue
		if [ "$target" -gt "$layer" ] || { [ "$target" -eq "$layer" ] && [ "$target" -eq 1 ] && [ "$inc" != "${base%.*}" ]; }; then
			echo "$file includes pods/$inc.h: a layer above (or beside) its own" >&2
			bad=1
		fi
	done
done
[ "$bad" = 0 ] && echo "daemon/pods layers: record < sandbox, monitor < images < lifecycle < probes < manager"
exit "$bad"
