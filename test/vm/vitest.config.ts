/**
 * `npm run test:vm`: only the QEMU end-to-end test (test/vm/), with VNET_VM=1 set by the script. Kept
 * apart from the main config so that the main suite can exclude test/vm/ and never boot VMs.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: fileURLToPath(new URL("../..", import.meta.url)),
    include: ["test/vm/**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
