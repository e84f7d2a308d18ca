/**
 * FakeDiscord in its own process (`child_process.fork`), so a benchmark measures the
 * client's CPU and memory alone. Driven over the IPC channel:
 *   → { type: "storm", evts, rate, seconds, channelId }   ← { type: "stormDone", sent }
 *   → { type: "subscriptions" }                            ← { type: "subscriptions", count }
 *   → { type: "drop" }                                     ← { type: "dropped", connections }
 *   → { type: "nextFrame", cmd }                           ← { type: "frame", at } when the next frame with
 *     that cmd arrives; `at` is wall-clock ms (performance.timeOrigin + now), comparable across processes
 *   → { type: "close" }                                    (exits)
 * On start it sends { type: "ready", socketPath }.
 */
import { startBenchFake } from "./setup.ts"

/** Emit on a short timer and catch up to the target count, so the rate holds on a busy machine. */
const STORM_TICK_MILLIS = 5

type Command =
  | {
    readonly type: "storm"
    readonly evts: ReadonlyArray<string>
    readonly rate: number
    readonly seconds: number
    readonly channelId: string
  }
  | { readonly type: "subscriptions" }
  | { readonly type: "drop" }
  | { readonly type: "nextFrame"; readonly cmd: string }
  | { readonly type: "close" }

const send = (message: unknown) => process.send?.(message)

const fake = await startBenchFake()

/** The fake's frame log, hooked to answer `nextFrame` the moment the frame is recorded. */
const frameWaiters: Array<string> = []
const engine = fake as unknown as { record: (conn: unknown, frame: { payload: unknown }) => void }
const record = engine.record.bind(fake)
engine.record = (conn, frame) => {
  record(conn, frame)
  const cmd = (frame.payload as { cmd?: unknown } | null)?.cmd
  const waiting = frameWaiters.indexOf(String(cmd))
  if (waiting >= 0) {
    frameWaiters.splice(waiting, 1)
    send({ type: "frame", at: performance.timeOrigin + performance.now() })
  }
}

const storm = (evts: ReadonlyArray<string>, rate: number, seconds: number, channelId: string): Promise<number> =>
  new Promise((resolve) => {
    const start = performance.now()
    const total = Math.round(rate * seconds)
    let emitted = 0
    let delivered = 0
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate))
      for (; emitted < due; emitted++) {
        const evt = evts[emitted % evts.length]!
        // eight users talking over each other
        const userId = `30000000000000001${emitted % 8}`
        delivered += fake.dispatch(evt, { channel_id: channelId, user_id: userId }, { channel_id: channelId })
      }
      if (emitted >= total) {
        clearInterval(timer)
        resolve(delivered)
      }
    }
    const timer = setInterval(tick, STORM_TICK_MILLIS)
  })

process.on("message", (command: Command) => {
  switch (command.type) {
    case "storm":
      void storm(command.evts, command.rate, command.seconds, command.channelId).then((sent) => send({ type: "stormDone", sent }))
      return
    case "subscriptions":
      send({ type: "subscriptions", count: fake.subscriptions().length })
      return
    case "drop": {
      const connections = fake.connections()
      fake.drop()
      send({ type: "dropped", connections })
      return
    }
    case "nextFrame":
      frameWaiters.push(command.cmd)
      return
    case "close":
      void fake.close().then(() => process.exit(0))
      return
  }
})

send({ type: "ready", socketPath: fake.socketPath })
