/**
 * The vnet side of the DHCP differential test: an ip/ IpStack "host" whose interface `virbr0`
 * (SERVER_MAC, 192.168.122.1/24) runs services/' DhcpServer with the libvirt preset's options, on a
 * Port linked to a silent peer Port — the wire where client frames go in and the server's frames are
 * collected. Simulated time advances 5 s per frame (more than dnsmasq's ping wait).
 */
import { IpStack } from "../../ip/index.js";
import { connect } from "../../netdev/link.js";
import { Port } from "../../netdev/port.js";
import { DhcpServer, type DhcpServerOptions } from "../../services/dhcp-server.js";
import { Simulator } from "../../sim/simulator.js";
import { s } from "../../sim/time.js";
import { mac } from "../netns/frames.js";
import { type DhcpRig, isDhcpReply, presetDhcp, SERVER_IF, SERVER_IP, SERVER_MAC } from "./dhcp-plan.js";

export interface VnetDhcp {
  readonly rig: DhcpRig;
  readonly server: DhcpServer;
  readonly sim: Simulator;
}

/** A fresh server with the preset's configuration (plus `over`). */
export function vnetDhcp(over: Partial<DhcpServerOptions> = {}): VnetDhcp {
  const sim = new Simulator({ seed: 1 });
  const stack = new IpStack(sim, "host");
  const port = new Port(sim, SERVER_IF);
  const peer = new Port(sim, "vm0");
  connect(sim, port, peer);
  const out: Uint8Array[] = [];
  peer.onReceive((f) => {
    out.push(f.slice());
  });
  const iface = stack.addInterface(SERVER_IF, port, { mac: mac(SERVER_MAC) });
  iface.addAddress(`${SERVER_IP}/24`);
  const server = new DhcpServer(stack, iface, { ...presetDhcp(), ...over });
  // Setup chatter (a gratuitous ARP for the address added) is not part of the comparison: Linux's
  // default arp_notify=0 sends none.
  sim.run({ until: sim.now + s(1) });
  out.length = 0;
  const rig: DhcpRig = {
    async send(frame) {
      sim.at(sim.now, () => {
        peer.send(frame);
      });
      sim.run({ until: sim.now + s(5) });
      const frames = out.splice(0);
      return { dhcp: frames.filter(isDhcpReply), other: frames.filter((f) => !isDhcpReply(f)) };
    },
  };
  return { rig, server, sim };
}
