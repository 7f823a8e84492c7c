/**
 * Memory that is given back to the system when it is dropped, not when a garbage collection finds
 * it: resizable ArrayBuffers (ECMAScript 2024 `maxByteLength`, shipped in Node 20's V8). V8 takes
 * their pages straight from the OS (a reservation of `maxByteLength`, committed as used), and
 * shrinking one to 0 bytes decommits them at once.
 *
 * A plain ArrayBuffer of a few hundred kilobytes comes from malloc instead. Long-lived ones then
 * sit in glibc's heap between the short-lived socket read buffers of a flood and keep its top from
 * being trimmed, and a dropped one goes back only when a collection runs, which a node whose JS
 * heap stays small may not do for minutes. `npm run attack`, tx-push, measured both (docs/performance.md).
 *
 * Element access through a view of a resizable buffer costs V8 a length check more (a few ns);
 * use this for large, long-lived tables and slabs, not for small scratch arrays.
 */

type Resizable = ArrayBuffer & { resize(n: number): void };

/** `bytes` of zeroed memory that releasePages can give back at once. */
export function pagedBuffer(bytes: number): ArrayBuffer {
  // ES2022's lib does not declare the options argument.
  const ctor = ArrayBuffer as unknown as new (len: number, opts: { maxByteLength: number }) => ArrayBuffer;
  return new ctor(bytes, { maxByteLength: bytes });
}

/** Gives a pagedBuffer's memory back now; every view of it reads as empty from then on. */
export function releasePages(buf: ArrayBufferLike): void {
  (buf as Resizable).resize(0);
}
