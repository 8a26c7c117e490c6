/**
 * Greedy packing of items into calls under an API's two limits (entries per call and bytes per
 * call), in order. An item larger than `maxBytes` on its own still gets a call: the API, not the
 * packer, says what it makes of it.
 *
 * @example
 * packBySize(records, (r) => r.data.length, { maxEntries: 500, maxBytes: 5 * 1024 * 1024 })
 */
export function packBySize<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  limits: { readonly maxEntries: number; readonly maxBytes: number },
): T[][] {
  const packs: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (
      current.length > 0 &&
      (current.length >= limits.maxEntries || bytes + size > limits.maxBytes)
    ) {
      packs.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) packs.push(current);
  return packs;
}
