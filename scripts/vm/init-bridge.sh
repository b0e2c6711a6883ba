#!/bin/sh
# /init of the VLAN oracle guest (test/vm/vlan.test.ts; scripts/vm/initramfs.ts puts it in the archive
# with `role: "bridge"`; busybox sh). The guest is a Linux bridge (and, on a spare NIC, a host with VLAN
# sub-interfaces) and nothing else; the test plays every port's host on the other end of each NIC.
#
# Kernel command-line words (the kernel hands unknown `key=value` words to /init's environment):
#   vnet_nics   how many NICs to wait for (4)
#   vnet_ports  how many of them (eth0, eth1, …) `br` makes bridge ports (all); the others stay plain
#               NICs, up, for hosts the test configures with `ip` (e.g. 802.1Q sub-interfaces eth4.10)
#   vnet_wait   seconds to wait for a console command before powering off (150)
#
# After the modules (virtio-net, then llc stp bridge mrp garp 8021q) the NICs are brought up with no
# address (IPv6 is off on the command line: `ipv6.disable=1`), so the guest itself sends nothing. Then
# one command per console line:
#   br ID [OPTS…]     (re)makes br0: `ip link add br0 type bridge vlan_filtering 1 vlan_default_pvid 0
#                     stp_state 0 mcast_snooping 0 OPTS…`, enslaves the first vnet_ports NICs, brings
#                     it up, waits until every port forwards, prints `VNET br ID`. No default PVID:
#                     each port starts in no VLAN, the test adds exactly the scenario's membership.
#                     OPTS come last and win (`vlan_protocol 802.1ad`, `vlan_default_pvid 1`).
#   ip …, bridge …    iproute2 (the host's, copied into the archive: busybox's ip has no bridge VLANs);
#                     a failure prints `VNET error CMD…`
#   sync ID           prints `VNET sync ID` (the test waits for it after a batch of commands)
#   off               powers off
# Console echo is off, so a command never shows up as a mark.

/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
stty -echo 2>/dev/null

IP=/opt/iproute2/ip
BRIDGE=/opt/iproute2/bridge
mark() { echo "VNET $*"; }
nics="${vnet_nics:-4}"
nports="${vnet_ports:-$nics}"
hostname vlan-oracle
mark "up kernel=$(uname -r)"

for m in $(cat /lib/modules/order); do
  insmod "/lib/modules/$m.ko" || mark "error insmod $m"
done
last=$((nics - 1))
i=0
while [ ! -e "/sys/class/net/eth$last" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
ports=""
all=""
k=0
while [ $k -le $last ]; do
  all="$all eth$k"
  [ $k -lt "$nports" ] && ports="$ports eth$k"
  k=$((k + 1))
done
for p in $all; do
  [ -e "/sys/class/net/$p" ] || mark "error no $p"
  $IP link set "$p" up || mark "error up $p"
done

# Waits (up to 5 s) until every port is in the forwarding state (3): with STP off Linux makes a port
# forward as soon as it and the bridge are up.
wait_forwarding() {
  t=0
  for p in $ports; do
    while [ "$(cat "/sys/class/net/$p/brport/state" 2>/dev/null)" != 3 ] && [ $t -lt 50 ]; do
      sleep 0.1
      t=$((t + 1))
    done
    [ "$(cat "/sys/class/net/$p/brport/state" 2>/dev/null)" = 3 ] || mark "error $p not forwarding"
  done
}

make_bridge() {
  id="$1"
  shift
  $IP link del br0 2>/dev/null
  # shellcheck disable=SC2068 # the options are words on purpose
  $IP link add br0 type bridge vlan_filtering 1 vlan_default_pvid 0 stp_state 0 mcast_snooping 0 $@ ||
    mark "error br0 $*"
  for p in $ports; do $IP link set "$p" master br0 || mark "error enslave $p"; done
  $IP link set br0 up
  wait_forwarding
  mark "br $id"
}

mark "ready nics=$nics ports=$nports"
while read -r -t "${vnet_wait:-150}" cmd rest; do
  case "$cmd" in
    br) make_bridge $rest ;;
    ip) $IP $rest >/dev/null 2>&1 || mark "error ip $rest" ;;
    bridge) $BRIDGE $rest >/dev/null 2>&1 || mark "error bridge $rest" ;;
    sync) mark "sync $rest" ;;
    off) break ;;
    "") ;;
    *) mark "error unknown command $cmd" ;;
  esac
done
mark "poweroff"
poweroff -f
