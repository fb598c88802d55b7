#!/usr/bin/env bash
# Run the challenge harness over a folder of WAVs: ./encode and ./decode once per file, byte compare,
# and score total original bytes / total compressed bytes, counting encode, decode and weights/ as
# compressed bytes too.  Usage: ./eval.sh [DIR] [-j JOBS]   (DIR defaults to the embedded sample)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir="$here/samples"
jobs=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    -j) jobs=$2; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) dir=$1; shift ;;
  esac
done
[ -d "$dir" ] || { echo "eval.sh: no such folder: $dir" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$dir" -maxdepth 1 -name '*.wav' -type f | sort > "$work/list"
count=$(wc -l < "$work/list")
[ "$count" -gt 0 ] || { echo "eval.sh: no .wav files in $dir" >&2; exit 2; }
py="$here/.venv/bin/python"; [ -x "$py" ] || py=python3
# One process per file, as the challenge runs it: start-up dominates, so use the ahead-of-time kernels.
if ! kinds=$(cd "$here" && "$py" -c 'from spikey import kernels; print(kernels.KIND)' 2>&1); then
  echo "eval.sh: cannot load the codec: $kinds" >&2; exit 2
fi
if [ "$kinds" != "ahead-of-time" ] && [ "${SPIKEY_KERNELS:-auto}" = auto ]; then
  echo "Building the ahead-of-time kernels for this source (once)"
  (cd "$here" && "$py" -m spikey.aot) || { echo "eval.sh: ahead-of-time build failed" >&2; exit 2; }
  kinds="ahead-of-time"
fi
echo "Evaluating $count recordings in $dir with $jobs jobs ($kinds kernels)"

one() {  # encode, decode and compare one file; prints "original compressed samples" or FAIL
  local in=$1 work=$2 here=$3 name
  name=$(basename "$in" .wav)
  if "$here/encode" "$in" "$work/$name.brainwire" && "$here/decode" "$work/$name.brainwire" "$work/$name.wav" \
     && cmp -s "$in" "$work/$name.wav"; then
    echo "$(stat -c %s "$in") $(stat -c %s "$work/$name.brainwire")"
    rm -f "$work/$name.wav"
  else
    echo "FAIL $in"
  fi
}
export -f one
start=$(date +%s%N)
xargs -d '\n' -P "$jobs" -I{} bash -c 'one "$1" "$2" "$3"' _ {} "$work" "$here" < "$work/list" > "$work/results"
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))

if grep -q '^FAIL' "$work/results"; then
  grep '^FAIL' "$work/results" | sed 's/^FAIL /ERROR: not restored exactly: /' >&2
  exit 1
fi
codec_bytes=$(cat "$here/encode" "$here/decode" "$here"/weights/* | wc -c)
awk -v codec="$codec_bytes" -v secs="$elapsed" '
  { orig += $1; comp += $2; samples += int(($1 - 44) / 2) }
  END {
    total = comp + codec
    print "All recordings successfully compressed."
    printf "Original size (bytes): %d\n", orig
    printf "Compressed size (bytes): %d\n", total
    printf "Compression ratio: %.4f\n", orig / total
    printf "Bits per sample: %.4f (streams %d bytes + encode, decode, weights/ %d bytes; %.1f s)\n",
           8 * total / samples, comp, codec, secs / 1000
  }' "$work/results"
