/**
 * Which objects survive a piece of work, from two V8 heap snapshots. A heap-size delta mixes
 * what the program retains with compiled code that V8 optimizes and ages on its own;
 * snapshot ids separate them: an object whose id is absent from the first snapshot was
 * allocated during the work, and if it is in the second one, the work kept it.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as V8 from "node:v8"
import { heapAfterGc } from "./stats.ts"

/**
 * Node kinds that are not the program's objects: V8's compiled code and maps, roots, and
 * Node's embedder records (module loader caches), which are re-reported with new ids.
 */
const ENGINE_KINDS = new Set(["code", "hidden", "synthetic", "object shape", "native"])

interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: Array<string>; readonly node_types: [Array<string>] } }
  readonly nodes: Array<number>
  readonly strings: Array<string>
}

/** Call `visit(id, kind)` for each program object; kind is "type:constructor" (strings: type). */
const eachObject = (file: string, visit: (id: number, kind: string) => void) => {
  const { nodes, snapshot, strings } = JSON.parse(Fs.readFileSync(file, "utf8")) as Snapshot
  const fields = snapshot.meta.node_fields
  const types = snapshot.meta.node_types[0]
  const [typeAt, nameAt, idAt] = [fields.indexOf("type"), fields.indexOf("name"), fields.indexOf("id")]
  for (let i = 0; i < nodes.length; i += fields.length) {
    const type = types[nodes[i + typeAt]!]!
    if (ENGINE_KINDS.has(type)) continue
    visit(nodes[i + idAt]!, type.includes("string") ? type : `${type}:${strings[nodes[i + nameAt]!]!.slice(0, 60)}`)
  }
}

/**
 * Objects allocated during `work` and still alive after it, counted by kind, largest first.
 * Both snapshots are written before either is read, so the census is not in what it counts.
 */
export const survivorsOf = async (work: () => Promise<unknown>) => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "dc-heap-"))
  try {
    const snapshot = async (name: string) => {
      await heapAfterGc()
      return V8.writeHeapSnapshot(Path.join(dir, name))
    }
    const beforeFile = await snapshot("before.heapsnapshot")
    await work()
    const afterFile = await snapshot("after.heapsnapshot")
    const existed = new Set<number>()
    eachObject(beforeFile, (id) => existed.add(id))
    const survivors = new Map<string, number>()
    eachObject(afterFile, (id, kind) => {
      if (!existed.has(id)) survivors.set(kind, (survivors.get(kind) ?? 0) + 1)
    })
    return [...survivors].map(([kind, count]) => ({ kind, count })).sort((a, b) => b.count - a.count)
  } finally {
    Fs.rmSync(dir, { recursive: true, force: true })
  }
}
