#!/usr/bin/env bash
# Builds the ns-3 peer of the lan-16/lan-64 benchmark: bench/peers/build-ns3.sh OUTDIR
# → OUTDIR/ns3-lan. Needs g++ and the Debian packages ns3 + libns3-dev (ns-3 3.37).
# Exit 3 (with a message on stderr) when ns-3 is not installed, so the bench can skip the peer.
set -euo pipefail
out="${1:?usage: build-ns3.sh OUTDIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/ns3-lan.cc"
if [ ! -f /usr/include/ns3/core-module.h ]; then
  echo "build-ns3.sh: ns-3 headers not found (apt-get install ns3 libns3-dev)" >&2
  exit 3
fi
command -v g++ >/dev/null || { echo "build-ns3.sh: g++ not found" >&2; exit 3; }
mkdir -p "$out"
# Debian's ns3-*.pc give a broken -I ("-I/usr\;"), so the headers' directory is named here; the
# libraries are libns3-<module>.so (soname .37).
libs="-lns3-bridge -lns3-csma -lns3-applications -lns3-internet -lns3-traffic-control -lns3-network -lns3-stats -lns3-core"
# Rebuild only when the source changed.
if [ ! -x "$out/ns3-lan" ] || [ "$src" -nt "$out/ns3-lan" ]; then
  g++ -O2 -std=c++17 -I/usr/include -o "$out/ns3-lan.tmp" "$src" $libs
  mv "$out/ns3-lan.tmp" "$out/ns3-lan"
fi
echo "$out/ns3-lan"
