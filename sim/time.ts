/**
 * Simulated time: integer nanoseconds in a double (exact up to 2^53 ns ≈ 104 days of simulated time).
 * Helpers convert from the units people write; rates are bits per second elsewhere.
 */
export type SimTime = number;

export const ns = (n: number): SimTime => Math.round(n);
export const us = (n: number): SimTime => Math.round(n * 1e3);
export const ms = (n: number): SimTime => Math.round(n * 1e6);
export const s = (n: number): SimTime => Math.round(n * 1e9);

/** The latest time the simulator can represent exactly. */
export const MAX_TIME: SimTime = Number.MAX_SAFE_INTEGER;

/** Formats a time as seconds with 9 decimals (`12.000000345`) for reports and errors. */
export function formatTime(t: SimTime): string {
  const sec = Math.floor(t / 1e9);
  const frac = t - sec * 1e9;
  return `${sec}.${String(frac).padStart(9, "0")}`;
}
