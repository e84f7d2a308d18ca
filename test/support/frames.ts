/**
 * Hand-made bytes for frame tests: headers, concatenation, and arbitrary chunkings.
 */

/** An 8-byte frame header with any (even invalid) opcode and length. */
export const header = (opcode: number, length: number): Buffer => {
  const b = Buffer.alloc(8)
  b.writeInt32LE(opcode, 0)
  b.writeInt32LE(length, 4)
  return b
}

export const concat = (parts: ReadonlyArray<Uint8Array>): Buffer => Buffer.concat(parts.map((p) => Buffer.from(p)))

/** Split bytes at the given cut points (taken modulo the length, sorted, deduplicated). */
export const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let start = 0
  for (const p of points) {
    out.push(bytes.subarray(start, p))
    start = p
  }
  out.push(bytes.subarray(start))
  return out
}
