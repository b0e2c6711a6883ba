/**
 * The two clients of the `attach-stream` benchmark, in a worker thread (the switch runs on the main
 * thread; this machine has two cores). Each client is what QEMU's `-netdev stream` is to vnet: it
 * connects to a unix socket and writes length-prefixed 64-byte frames for the other client's MAC, as fast
 * as the socket takes them (waiting for 'drain' when it is full), while counting the frames it receives and
 * checking their sequence numbers. The worker reports counts and the wall time from the first write to
 * the last frame received.
 */
import { createConnection, type Socket } from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import { StreamBatch, StreamDecoder } from "../attach/framing.js";

export interface ClientsJob {
  readonly paths: readonly [string, string];
  /** Frames each client sends. */
  readonly frames: number;
  /** Give up after this many ms. */
  readonly timeoutMs: number;
}

export interface ClientsResult {
  readonly sent: readonly [number, number];
  readonly received: readonly [number, number];
  /** Frames that arrived out of sequence (lost or reordered before them). */
  readonly outOfOrder: number;
  readonly seconds: number;
  readonly timedOut: boolean;
}

const FRAME_LEN = 64;
/** Frames per pre-encoded block (written again and again, never modified). */
const BLOCK = 1024;

function mac(i: number): number[] {
  return [0x52, 0x54, 0x00, 0xbe, 0x00, i];
}

/** BLOCK frames from client `me` to the other one, sequence numbers 0..BLOCK-1 at offset 14. */
function block(me: number): Uint8Array {
  const b = new StreamBatch(BLOCK * (FRAME_LEN + 4));
  const f = new Uint8Array(FRAME_LEN);
  f.set([...mac(1 - me), ...mac(me), 0x88, 0xb5]);
  for (let i = 0; i < BLOCK; i++) {
    f[14] = i >>> 8;
    f[15] = i & 0xff;
    b.add(f);
  }
  return b.take() as Uint8Array;
}

function connect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    s.once("error", reject);
    s.once("connect", () => {
      s.off("error", reject);
      resolve(s);
    });
  });
}

async function run(job: ClientsJob): Promise<ClientsResult> {
  const socks = await Promise.all(job.paths.map(connect));
  const sent: [number, number] = [0, 0];
  const received: [number, number] = [0, 0];
  let outOfOrder = 0;
  let tEnd = 0n;
  let finish: () => void = () => {};
  const done = new Promise<void>((r) => {
    finish = r;
  });
  socks.forEach((s, me) => {
    let expect = 0;
    const d = new StreamDecoder(
      (f) => {
        const seq = (f[14] << 8) | f[15];
        if (seq !== expect) outOfOrder++;
        expect = (seq + 1) % BLOCK;
        received[me]++;
        if (received[0] >= job.frames && received[1] >= job.frames) {
          tEnd = process.hrtime.bigint();
          finish();
        }
      },
      { maxFrameLen: 2000 },
    );
    s.on("data", (c: Buffer) => {
      d.push(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
    });
  });
  const t0 = process.hrtime.bigint();
  socks.forEach((s, me) => {
    const b = block(me);
    const pump = (): void => {
      while (sent[me] < job.frames) {
        const n = Math.min(BLOCK, job.frames - sent[me]);
        const ok = s.write(n === BLOCK ? b : b.subarray(0, n * (FRAME_LEN + 4)));
        sent[me] += n;
        if (!ok) {
          s.once("drain", pump);
          return;
        }
      }
    };
    pump();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    tEnd = process.hrtime.bigint();
    finish();
  }, job.timeoutMs);
  await done;
  clearTimeout(timer);
  for (const s of socks) s.destroy();
  return { sent, received, outOfOrder, seconds: Number(tEnd - t0) / 1e9, timedOut };
}

if (parentPort) {
  const port = parentPort;
  run(workerData as ClientsJob).then(
    (r) => port.postMessage(r),
    (e: unknown) => port.postMessage({ error: e instanceof Error ? e.message : String(e) }),
  );
}
