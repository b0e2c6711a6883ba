/**
 * `npm run fidelity` (scripts/fidelity/main.ts): every differential fidelity scenario — the Linux
 * bridge, router and NAT tests in network namespaces, test/fidelity/** (DHCP against dnsmasq, the
 * harness's own tests), and with VNET_VM=1 the VLAN scenarios in a QEMU guest (test/vm/vlan*). Kept
 * apart from the main config, which runs the same namespace tests without the table and never boots VMs.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: [
      "test/linux-*.test.ts",
      "test/fidelity/**/*.test.ts",
      ...(process.env.VNET_VM === "1" ? ["test/vm/vlan*.test.ts"] : []),
    ],
    exclude: ["node_modules/**", "dist/**"],
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
