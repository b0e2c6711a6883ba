#!/bin/sh
# /init of the vnet end-to-end test guest (scripts/vm/initramfs.ts puts it in the archive; busybox sh).
# Parameters arrive as kernel command-line words the kernel does not know, which it hands to /init as
# environment variables (REAL-VMS.md). Lists are comma-separated.
#   vnet_name      the guest's name, sent as DHCP option 12 (vnet's DNS answers it from the lease)
#   vnet_ping      addresses that must answer ping (gateway, peer, outside server)
#   vnet_resolve   names to look up through the DNS server of the lease, then ping at the answer
#   vnet_udp       HOST:PORT of UDP echo servers: a datagram out and its echo back (busybox nslookup is
#                  the UDP client: busybox's nc has no -u; an echoed query counts as an answer)
#   vnet_unreach   addresses that must NOT answer ping
#   vnet_route     "onlink": without a router from DHCP, a default route on eth0 itself, so pings to
#                  unreachable addresses really leave the NIC (ARP on the wire) instead of failing locally
#   vnet_wait      seconds to wait on the console for the test's go-ahead before powering off (120)
#   vnet_deadline  seconds to keep retrying a ping or lookup whose peer may still be booting (60)
# Every result is one line on the serial console starting with "VNET " (test/vm/guest.ts reads them).

/bin/busybox mkdir -p /proc /sys /dev /tmp /etc /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

mark() { echo "VNET $*"; }
name="${vnet_name:-guest}"
deadline="${vnet_deadline:-60}"
hostname "$name"
mark "up $name kernel=$(uname -r)"

for m in $(cat /lib/modules/order); do
  insmod "/lib/modules/$m.ko" || mark "error insmod $m"
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ip link set lo up
ip link set eth0 up

# DHCP: 5 discovers 2 s apart, then give up (REAL-VMS.md's flags); /etc/udhcpc.sh writes /tmp/lease.
udhcpc -i eth0 -n -q -t 5 -T 2 -s /etc/udhcpc.sh -x "hostname:$name" >/tmp/udhcpc.log 2>&1
if [ -s /tmp/lease ]; then
  . /tmp/lease
  mark "lease ip=$ip mask=$mask router=$router dns=$dns domain=$domain server=$serverid lease=$lease"
else
  mark "error no lease: $(tail -1 /tmp/udhcpc.log)"
fi
if [ -z "$router" ] && [ "$vnet_route" = onlink ]; then
  ip route add default dev eth0
fi

# "sent=N received=M" of one ping run.
ping_counts() {
  ping -c "$2" -W 2 -w "$3" "$1" 2>&1 | sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) packets received.*/sent=\1 received=\2/p'
}

# Waits (up to the deadline) for one answer, then pings 3 times and reports.
ping_peer() {
  t=0
  until ping -c 1 -W 2 "$1" >/dev/null 2>&1; do
    sleep 1
    t=$((t + 3))
    [ $t -ge "$deadline" ] && break
  done
  counts="$(ping_counts "$1" 3 8)"
  mark "ping $2$1 ${counts:-sent=? received=0}"
}

lookup() {
  nslookup "$1" "$dns" 2>/dev/null | awk '/^Name:/ { n = 1 } n && /^Address/ { print $2; exit }'
}

IFS_SAVE="$IFS"
IFS=,
for a in $vnet_ping; do IFS="$IFS_SAVE"; ping_peer "$a" ""; done

IFS=,
for n in $vnet_resolve; do
  IFS="$IFS_SAVE"
  t=0
  addr="$(lookup "$n")"
  while [ -z "$addr" ] && [ $t -lt "$deadline" ]; do
    sleep 2
    t=$((t + 2))
    addr="$(lookup "$n")"
  done
  mark "resolve $n ${addr:-none}"
  [ -n "$addr" ] && ping_peer "$addr" "$n="
done

IFS=,
for u in $vnet_udp; do
  IFS="$IFS_SAVE"
  if timeout 10 nslookup -debug "vnet-udp-$name" "$u" 2>&1 | grep -q "completed"; then
    mark "udp $u ok"
  else
    mark "udp $u fail"
  fi
done

IFS=,
for a in $vnet_unreach; do
  IFS="$IFS_SAVE"
  counts="$(ping_counts "$a" 2 4)"
  mark "unreach $a ${counts:-sent=? received=0}"
done
IFS="$IFS_SAVE"

# Stay up (answering the others' pings) until the test says go on the console.
mark "ready"
read -t "${vnet_wait:-120}" go
mark "go ${go:-timeout}"
mark "poweroff"
poweroff -f
