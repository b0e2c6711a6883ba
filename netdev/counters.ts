/**
 * Per-port counters, named as Linux's /proc/net/dev columns (rx/tx packets, bytes, errs, drop), plus
 * drops by reason so a test or report can say *why* a frame was dropped.
 */
export type DropReason =
  | "carrier-down"
  | "mtu-exceeded"
  | "malformed"
  | "queue-full"
  | "loss"
  | "vlan-filtered"
  | "no-route"
  | "learning-limit"
  | "storm-guard"
  | "not-connected"
  | (string & {});

export class Counters {
  rxPackets = 0;
  rxBytes = 0;
  rxErrors = 0;
  rxDropped = 0;
  txPackets = 0;
  txBytes = 0;
  txErrors = 0;
  txDropped = 0;
  /** Drops by reason, in the order reasons first occurred (deterministic). */
  readonly dropReasons = new Map<DropReason, number>();

  dropRx(reason: DropReason): void {
    this.rxDropped++;
    this.dropReasons.set(reason, (this.dropReasons.get(reason) ?? 0) + 1);
  }

  dropTx(reason: DropReason): void {
    this.txDropped++;
    this.dropReasons.set(reason, (this.dropReasons.get(reason) ?? 0) + 1);
  }

  snapshot(): CountersSnapshot {
    return {
      rxPackets: this.rxPackets,
      rxBytes: this.rxBytes,
      rxErrors: this.rxErrors,
      rxDropped: this.rxDropped,
      txPackets: this.txPackets,
      txBytes: this.txBytes,
      txErrors: this.txErrors,
      txDropped: this.txDropped,
      dropReasons: Object.fromEntries(this.dropReasons),
    };
  }
}

export interface CountersSnapshot {
  readonly rxPackets: number;
  readonly rxBytes: number;
  readonly rxErrors: number;
  readonly rxDropped: number;
  readonly txPackets: number;
  readonly txBytes: number;
  readonly txErrors: number;
  readonly txDropped: number;
  readonly dropReasons: Readonly<Record<string, number>>;
}
