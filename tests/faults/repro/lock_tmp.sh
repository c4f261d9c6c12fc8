#!/usr/bin/env bash
# Bug: a second pipeline on an output dir in use is refused, but only after
# its packer has deleted the first pipeline's temporary archive
# (packer/main.c open_dirs -> archive_scan unlinks DIR/.csvpack-*.tgz.tmp
# before outlock_take): the first pipeline then fails with
# "DIR/NNNNNN.tgz: rename: No such file or directory" and exits 1.
#   CSVPACK_BIN=/abs/bin tests/faults/repro/lock_tmp.sh
here=$(cd "$(dirname "$0")" && pwd)
BIN=${CSVPACK_BIN:-$here/../../../bin}
d=$(mktemp -d /tmp/repro-lock-XXXXXX)
python3 "$here/../../../bench/gen_csv.py" 200000 1 > "$d/in.csv"
"$BIN/csvpack" --name repro-lockA -o "$d/out" -b 5 -r 700 -l 9 -j 1 "$d/in.csv" >/dev/null 2>"$d/errA" &
A=$!
until [ -e "$d/out/000002.tgz" ] || ! kill -0 $A 2>/dev/null; do sleep 0.01; done
for i in 1 2 3 4 5 6 7 8; do
	"$BIN/csvpack" --name repro-lockB$i -o "$d/out" "$d/in.csv" >/dev/null 2>"$d/errB"
	echo "second pipeline $i: exit $? ($(grep -m1 -o 'is in use by pipeline [^;]*' "$d/errB"))"
	kill -0 $A 2>/dev/null || break
done
wait $A; rc=$?
echo "first pipeline: exit $rc"; cat "$d/errA"
rm -rf "$d"
[ $rc = 0 ]
