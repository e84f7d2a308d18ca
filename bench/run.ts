/**
 * `npm run bench`: every figure of issues 2, 5 and 6 in one run, printed as a table and
 * written to bench/results.json and BENCHMARKS.md (via bench/report.ts).
 *
 * Compiled by `tsc -p tsconfig.bench.json` to build/bench and run with `--expose-gc`.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { benchClientParts } from "./clientParts.ts"
import { benchDeck } from "./deck.ts"
import { benchEndToEnd } from "./e2e.ts"
import { benchFrame } from "./frame.ts"
import { benchLeaks } from "./leaks.ts"
import { benchRenderer } from "./renderer.ts"
import { commit, machine, printTable, type Results, write } from "./report.ts"
import { benchRoundTrip } from "./roundtrip.ts"
import { benchStart } from "./start.ts"
import { type Row } from "./stats.ts"
import { benchStorm } from "./storm.ts"
import { benchWebUi } from "./webui.ts"

/** The repository root: this file runs from build/bench/bench/. */
const root = fileURLToPath(new URL("../../../", import.meta.url))

/** KeyRenderer resolves its fonts relative to its module; point the compiled copy at the repo's assets. */
const linkAssets = () => {
  const link = Path.join(root, "build/bench/assets")
  if (!Fs.existsSync(link)) Fs.symlinkSync(Path.join(root, "assets"), link, "dir")
}

/** The targets bench/renderer.ts and bench/deck.ts state in their headers, applied to their medians. */
const withTargets = (rows: Array<Row>): Array<Row> =>
  rows.map((r) => {
    const target = (text: string, ok: boolean): Row => ({ ...r, target: text, met: ok })
    if (r.name === "render cold 96px") return target("median ≤ 2 ms", r.median <= 2)
    if (r.name.startsWith("render cache hit")) return target("median ≤ 0.05 ms", r.median <= 0.05)
    if (r.name.includes("1 key")) return target("median ≤ 5 ms", r.median <= 5)
    if (r.name.includes("32-key page")) return target("median ≤ 100 ms", r.median <= 100)
    return r
  })

const section = async (name: string, run: () => Promise<Array<Row>> | Array<Row>): Promise<Array<Row>> => {
  const start = performance.now()
  process.stdout.write(`bench: ${name} … `)
  const rows = await run()
  process.stdout.write(`${((performance.now() - start) / 1000).toFixed(1)} s\n`)
  return rows
}

/** Where a target is missed, the numbers that say why (computed from this run's rows). */
const analysis = (rows: ReadonlyArray<Row>): string => {
  const find = (group: string, prefix: string) => rows.find((r) => r.group === group && r.name.startsWith(prefix))
  const floor = find("round trip", "floor")
  const raw = find("round trip", "raw bytes")
  const deckcord = find("round trip", "deckcord")
  const xhayper = find("round trip", "@xhayper")
  const parts = rows.filter((r) => r.group === "request parts")
  const out: Array<string> = []
  if (floor && raw && deckcord && xhayper && deckcord.met === false) {
    const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`
    const part = (prefix: string) => parts.find((p) => p.name.startsWith(prefix))?.median ?? Number.NaN
    const timeoutCost = part("await a reply with a timer") - part("await a reply (Deferred)")
    const fiberTimeoutCost = part("await a reply with Effect.timeoutOrElse") - part("await a reply (Deferred)")
    out.push(
      "## Where the round-trip target is missed, and why",
      "",
      `The floor round trip is ${us(floor.median)} (median). FakeDiscord alone, driven by a client that does no ` +
        `work at all (pre-encoded bytes, reply headers counted), takes ${us(raw.median)}: ` +
        `${(raw.median / floor.median).toFixed(2)}× the floor before any client runs a line. ` +
        `On top of that deckcord adds ${us(deckcord.median - raw.median)} per request and @xhayper/discord-rpc ` +
        `${us(xhayper.median - raw.median)}: the client share is on par with a mature plain-Promise client. ` +
        `The 2× target (${us(2 * floor.median)}) leaves a client ${us(2 * floor.median - raw.median)} of its own, ` +
        `about what decoding the reply alone costs (${part("decode the").toFixed(1)} µs): out of reach for any client ` +
        "that also encodes, matches and resolves the request.",
      "",
      "deckcord's client share, measured piece by piece (\"request parts\" rows), median per request:",
      "",
      `- decode the reply frame (UTF-8 + JSON.parse, \`protocol/Frame.ts\` \`push\`): ${part("decode the").toFixed(2)} µs — unavoidable;`,
      `- the reply timeout, a timer armed at send and cleared by the reply (\`DiscordRpc.write\`): ` +
        `${timeoutCost.toFixed(2)} µs over a bare \`Deferred.await\` (an \`Effect.timeoutOrElse\` racing a sleep fiber, ` +
        `the first design, cost ${fiberTimeoutCost.toFixed(2)} µs);`,
      `- encode the request frame: ${part("encode").toFixed(2)} µs; nonce (randomUUID): ${part("randomUUID").toFixed(2)} µs; ` +
        `envelope Schema (\`decodeInbound\`): ${part("decodeInbound").toFixed(2)} µs;`,
      "- the rest is two socket writes and event-loop turns, the same for every client (a CPU profile " +
        "with `--cpu-prof` puts ~30 % of all samples in libuv `writeBuffer`, ~10 % in Effect's runtime).",
      "",
      `p99: deckcord ${us(deckcord.p99)}, @xhayper ${us(xhayper.p99)}, floor ${us(floor.p99)}. Timelines of the ` +
        "slow samples (socket events time-stamped) show the stalls spread over every stage — inside the fake's " +
        "synchronous handler, in the kernel between write and read, and between the reply arriving and the " +
        "waiting fiber resuming — so most of the tail is the shared 2-core machine (other processes) and " +
        "scavenges (deckcord and @xhayper trigger about the same number of GCs per request)."
    )
  }
  return out.join("\n")
}

const main = async () => {
  linkAssets()
  const started = performance.now()
  const date = new Date().toISOString()
  const m = machine()
  const rows: Array<Row> = []
  rows.push(...await section("round trip", benchRoundTrip))
  rows.push(...await section("request parts", benchClientParts))
  rows.push(...await section("frame decoder", benchFrame))
  rows.push(...await section("renderer", async () => withTargets(await benchRenderer())))
  rows.push(...await section("deck", async () => withTargets(await benchDeck())))
  rows.push(...await section("end to end", benchEndToEnd))
  rows.push(...await section("storm", benchStorm))
  rows.push(...await section("leaks", benchLeaks))
  rows.push(...await section("start", benchStart))
  rows.push(...await section("web UI", benchWebUi))
  const results: Results = {
    date,
    commit: commit(root),
    machine: m,
    durationSeconds: (performance.now() - started) / 1000,
    rows
  }
  printTable(rows)
  write(root, results, analysis(rows))
  console.log(`wrote bench/results.json and BENCHMARKS.md (${results.durationSeconds.toFixed(0)} s)`)
}

await main()
// the Effect runtimes are disposed; anything still open (a stray timer) must not hold the process
process.exit(0)
