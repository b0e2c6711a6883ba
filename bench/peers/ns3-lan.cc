// The ns-3 peer of vnet's lan-16 / lan-64 benchmark (issue 3, "A switched LAN").
//
// N hosts, each on its own 1 Gbps / 1 us CSMA link to one bridge node (BridgeNetDevice over N
// CsmaNetDevices: a MAC-learning bridge, as vnet's). Every host runs an IPv4/UDP stack; host i sends
// 64-byte UDP payloads at 1000 packets/s to host (i+1) mod N for 10 simulated seconds (UdpClient ->
// UdpServer; ARP resolves the first one). Only Simulator::Run() is timed. Prints one JSON line:
//   {"hosts":N,"delivered":D,"sent":S,"sim_s":10,"wall_s":T,"delivered_per_wall_s":R}
//
// Build: bench/peers/build-ns3.sh OUTDIR  (Debian packages ns3 + libns3-dev, ns-3 3.37).
// Run:   OUTDIR/ns3-lan --hosts=16
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "ns3/applications-module.h"
#include "ns3/bridge-module.h"
#include "ns3/core-module.h"
#include "ns3/csma-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"

using namespace ns3;

int main(int argc, char* argv[]) {
  uint32_t hosts = 16;
  double seconds = 10.0;
  uint32_t rate = 1000;     // packets per second per host
  uint32_t payload = 64;    // UDP payload bytes (UdpClient's 12-byte seq/ts header included)
  CommandLine cmd(__FILE__);
  cmd.AddValue("hosts", "number of hosts on the bridge", hosts);
  cmd.AddValue("seconds", "simulated seconds of traffic", seconds);
  cmd.AddValue("rate", "packets per second per host", rate);
  cmd.AddValue("size", "UDP payload bytes", payload);
  cmd.Parse(argc, argv);
  if (hosts < 2 || hosts > 65000 || rate == 0 || payload < 12) {
    std::fprintf(stderr, "ns3-lan: need hosts >= 2, rate > 0, size >= 12\n");
    return 2;
  }

  RngSeedManager::SetSeed(1);
  RngSeedManager::SetRun(1);

  NodeContainer hostNodes;
  hostNodes.Create(hosts);
  NodeContainer bridgeNode;
  bridgeNode.Create(1);

  CsmaHelper csma;
  csma.SetChannelAttribute("DataRate", DataRateValue(DataRate("1Gbps")));
  csma.SetChannelAttribute("Delay", TimeValue(MicroSeconds(1)));

  NetDeviceContainer hostDevices;
  NetDeviceContainer bridgePorts;
  for (uint32_t i = 0; i < hosts; ++i) {
    NetDeviceContainer link = csma.Install(NodeContainer(hostNodes.Get(i), bridgeNode.Get(0)));
    hostDevices.Add(link.Get(0));
    bridgePorts.Add(link.Get(1));
  }
  BridgeHelper bridge;
  bridge.Install(bridgeNode.Get(0), bridgePorts);

  InternetStackHelper stack;
  stack.Install(hostNodes);
  Ipv4AddressHelper ipv4;
  ipv4.SetBase("10.1.0.0", "255.255.0.0");
  Ipv4InterfaceContainer ifaces = ipv4.Assign(hostDevices);

  const uint16_t port = 9;
  std::vector<Ptr<UdpServer>> servers;
  for (uint32_t i = 0; i < hosts; ++i) {
    UdpServerHelper server(port);
    ApplicationContainer app = server.Install(hostNodes.Get(i));
    app.Start(Seconds(0.0));
    app.Stop(Seconds(seconds + 1.0));
    servers.push_back(DynamicCast<UdpServer>(app.Get(0)));
  }
  const uint32_t perHost = static_cast<uint32_t>(seconds * rate);
  for (uint32_t i = 0; i < hosts; ++i) {
    UdpClientHelper client(ifaces.GetAddress((i + 1) % hosts), port);
    client.SetAttribute("MaxPackets", UintegerValue(perHost));
    client.SetAttribute("Interval", TimeValue(Seconds(1.0 / rate)));
    client.SetAttribute("PacketSize", UintegerValue(payload));
    ApplicationContainer app = client.Install(hostNodes.Get(i));
    app.Start(Seconds(0.0));
    app.Stop(Seconds(seconds));
  }

  Simulator::Stop(Seconds(seconds + 1.0));
  auto t0 = std::chrono::steady_clock::now();
  Simulator::Run();
  auto t1 = std::chrono::steady_clock::now();
  const double wall = std::chrono::duration<double>(t1 - t0).count();

  uint64_t delivered = 0;
  for (const auto& s : servers) delivered += s->GetReceived();
  Simulator::Destroy();

  std::printf(
      "{\"hosts\":%u,\"delivered\":%llu,\"sent\":%llu,\"sim_s\":%g,\"wall_s\":%.6f,\"delivered_per_wall_s\":%.0f}\n",
      hosts, static_cast<unsigned long long>(delivered),
      static_cast<unsigned long long>(perHost) * hosts, seconds, wall, wall > 0 ? delivered / wall : 0.0);
  return 0;
}
