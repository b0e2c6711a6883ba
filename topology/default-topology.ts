/**
 * The topology `vnet run` (and `npm start`) runs when given none: two VMs on a QEMU-slirp-like NAT
 * network reaching the simulated outside's servers. The same text is examples/nat.yaml (a test keeps
 * them equal), embedded here so the command works from any directory and from the installed package.
 */
export const DEFAULT_TOPOLOGY_FILE = "examples/nat.yaml";

export const DEFAULT_TOPOLOGY_YAML = `# Two VMs on a NAT network laid out like QEMU's user networking (slirp): 10.0.2.0/24, gateway and
# host 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15. Behind the host's uplink is the simulated outside
# (198.51.100.0/24, TEST-NET-2): a web server (198.51.100.10, UDP echo on port 7) and a DNS server
# (198.51.100.53) that knows web.example.net.
#
#   vnet run examples/nat.yaml        (or just: vnet run)
#
# Expected (DESIGN.md, NAT): both VMs get a lease; they reach each other, the host and the outside
# (through masquerade on the host's uplink); the outside cannot reach them (no route to 10.0.2.0/24),
# except through the port forward host:2222 -> vm1:22 (UDP here: TCP comes in a later issue).
name: nat
seed: 1
duration: 30s
networks:
  lan:
    mode: nat
    port-forwards: [{ proto: udp, host-port: 2222, vm: vm1, port: 22 }]
vms:
  vm1: { nics: [lan], udp-echo: 22 }
  vm2: { nics: [{ network: lan, link: { delay: 2ms } }] }
traffic:
  - { at: 5s, ping: { from: vm1, to: vm2, count: 3 } }
  - { at: 5s, ping: { from: vm1, to: host, count: 3 } }
  - { at: 5s, ping: { from: vm1, to: web, count: 3 } }
  - { at: 5s, ping: { from: vm2, to: web.example.net, count: 3 } }
  - { at: 5s, ping: { from: web, to: vm1, count: 3 } }
  - { at: 10s, udp-echo: { from: vm2, to: web, port: 7, count: 5 } }
  - { at: 12s, udp-echo: { from: web, to: host.uplink, port: 2222, count: 3 } }
  - { at: 15s, flow: { from: vm1, to: web, port: 9000, rate: 1mbit, size: 1000, duration: 2s } }
`;
