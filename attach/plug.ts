/**
 * Plugging an attach point into the simulated network through the real-time driver. Frames from the peer
 * enter at the driver's current instant (`driver.inject`); frames for the peer leave as the simulator
 * produces them. Carrier is the attach point's business: while no peer is connected its `send` drops and
 * counts (outside the simulator, so a recorded session replays the same with or without the peer).
 * The attach point joins the driver's flow group (flow.ts): a slow peer holds the others' input back.
 */
import type { Tap } from "../netdev/index.js";
import type { AttachPoint } from "./attach-point.js";
import type { RealtimeDriver } from "./realtime.js";

/**
 * Generic form: `into(frame)` puts a frame into the network (called at sim.now = the frame's arrival);
 * the returned function is what the network calls with frames for the peer. `unplug()` undoes it.
 */
export function plug(
  ap: AttachPoint,
  driver: RealtimeDriver,
  into: (frame: Uint8Array) => void,
): { readonly toPeer: (frame: Uint8Array) => void; readonly unplug: () => void } {
  ap.onFrame((frame) => {
    driver.inject(into, frame);
  });
  driver.flow.add(ap);
  return {
    toPeer: (frame) => {
      ap.send(frame);
    },
    unplug: () => {
      ap.onFrame(null);
      driver.flow.remove(ap);
    },
  };
}

/** An attach point as the user side of a TAP: the peer writes frames into it and reads what it sends. */
export function plugTap(ap: AttachPoint, tap: Tap, driver: RealtimeDriver): () => void {
  const p = plug(ap, driver, (f) => {
    tap.write(f);
  });
  tap.onRead(p.toPeer);
  return () => {
    p.unplug();
    tap.onRead(null);
  };
}
