#!/usr/bin/env bash
# Fetches what the QEMU end-to-end test (test/vm/) boots, into a cache directory, WITHOUT installing
# anything (REAL-VMS.md): the Debian cloud kernel (its vmlinuz, the eight virtio-net modules, and the
# bridge and 802.1Q modules the VLAN guest of test/vm/vlan.test.ts loads) and busybox-static (its static
# bin/busybox). Packages are downloaded with `apt-get download` and unpacked
# with `dpkg-deb -x` into a scratch directory; only the few files the test needs are kept.
#
#   scripts/vm/fetch.sh [CACHE-DIR]
#
# CACHE-DIR: the argument, else $VNET_VM_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/vnet-vm.
# Idempotent: when CACHE-DIR/manifest names the packages apt would fetch now (or apt cannot say) and
# every file is there, nothing is downloaded. Prints the cache directory as its last line; exits 1 with
# one line on stderr when something cannot be fetched.
set -euo pipefail

cache="${1:-${VNET_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vnet-vm}}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"

# virtio-net and what it depends on, in load order (REAL-VMS.md; `depends=` read with strings).
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net)
# The Linux bridge (CONFIG_BRIDGE_VLAN_FILTERING=y in the cloud kernel) and 802.1Q sub-interfaces, in
# load order: bridge depends=llc,stp; stp depends=llc; 8021q depends=mrp,garp; garp depends=stp,llc.
bridge_modules=(llc stp bridge mrp garp 8021q)

die() {
  echo "vnet-vm fetch: $*" >&2
  exit 1
}

complete() {
  [ -s "$cache/vmlinuz" ] && [ -x "$cache/busybox" ] && [ -s "$cache/manifest" ] || return 1
  local m
  for m in "${modules[@]}" "${bridge_modules[@]}"; do [ -s "$cache/modules/$m.ko" ] || return 1; done
}

for tool in apt-get apt-cache dpkg-deb; do
  command -v "$tool" >/dev/null || { complete && { echo "$cache"; exit 0; }; die "$tool not found (a Debian-like host is needed)"; }
done

# The versioned kernel package the cloud metapackage points at (linux-image-6.1.0-NN-cloud-amd64).
kpkg="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends:/ { print $2; exit }')"
kver="$(apt-cache policy "$kpkg" busybox-static 2>/dev/null | awk '/Candidate:/ { printf "%s ", $2 }')"
want="kernel=$kpkg busybox-static versions=$kver"
if complete; then
  if [ -z "$kpkg" ] || [ "$(head -1 "$cache/manifest")" = "$want" ]; then
    echo "$cache"
    exit 0
  fi
fi
[ -n "$kpkg" ] || die "apt-cache does not know linux-image-cloud-amd64 (run apt-get update)"

work="$(mktemp -d "$cache/.fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq "$kpkg" busybox-static >/dev/null 2>"$work/apt.err") ||
  die "apt-get download $kpkg busybox-static failed: $(tail -1 "$work/apt.err")"
dpkg-deb -x "$work"/linux-image-*.deb "$work/k"
dpkg-deb -x "$work"/busybox-static_*.deb "$work/b"

vmlinuz="$(ls "$work"/k/boot/vmlinuz-* | head -1)"
[ -n "$vmlinuz" ] || die "no /boot/vmlinuz-* in $kpkg"
release="${vmlinuz##*/vmlinuz-}"
moddir="$work/k/lib/modules/$release/kernel"
[ -d "$moddir" ] || die "no modules directory for $release in $kpkg"

mkdir -p "$work/out/modules"
for m in "${modules[@]}" "${bridge_modules[@]}"; do
  # Module files use '-' or '_' (failover.ko, net_failover.ko, virtio_net.ko) and may be compressed.
  f="$(find "$moddir" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" -o -name "$m.ko.gz" | head -1)"
  [ -n "$f" ] || die "module $m not found under lib/modules/$release"
  case "$f" in
    *.xz) xz -dc "$f" >"$work/out/modules/$m.ko" ;;
    *.zst) zstd -qdc "$f" >"$work/out/modules/$m.ko" ;;
    *.gz) gzip -dc "$f" >"$work/out/modules/$m.ko" ;;
    *) cp "$f" "$work/out/modules/$m.ko" ;;
  esac
done
cp "$vmlinuz" "$work/out/vmlinuz"
cp "$work/b/bin/busybox" "$work/out/busybox"
chmod 755 "$work/out/busybox"
{
  echo "$want"
  echo "release=$release"
  echo "modules=${modules[*]}"
  echo "bridge_modules=${bridge_modules[*]}"
} >"$work/out/manifest"

# Replace the cache's files only once everything is there (an interrupted fetch leaves the old set).
rm -rf "$cache/modules"
mv "$work/out/modules" "$cache/modules"
mv -f "$work/out/vmlinuz" "$work/out/busybox" "$cache/"
mv -f "$work/out/manifest" "$cache/manifest"
echo "$cache"
