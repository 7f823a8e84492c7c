/** A typed array of `length` elements starting with a copy of `old` (the rest zero). */
export function grown<T extends Float64Array | Int32Array | Uint32Array | Uint8Array>(old: T, length: number): T {
  const next = new (old.constructor as new (n: number) => T)(length);
  next.set(old);
  return next;
}
