#!/bin/sh
# udhcpc's event script in the test guest (busybox udhcpc passes the lease as environment variables).
case "$1" in
  deconfig)
    ip addr flush dev "$interface"
    ;;
  bound | renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    if [ -n "$router" ]; then
      set -- $router
      ip route add default via "$1" dev "$interface"
    fi
    : >/etc/resolv.conf
    [ -n "$domain" ] && echo "search $domain" >>/etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
    set -- $dns
    first_dns="$1"
    set -- $router
    first_router="$1"
    {
      echo "ip='$ip'"
      echo "mask='${mask:-24}'"
      echo "router='$first_router'"
      echo "dns='$first_dns'"
      echo "domain='$domain'"
      echo "serverid='$serverid'"
      echo "lease='$lease'"
    } >/tmp/lease
    ;;
esac
exit 0
