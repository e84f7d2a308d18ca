/**
 * Discord's RPC error codes (`data.code` of an ERROR reply, docs/discord-rpc.md#error-codes) and close codes
 * (CLOSE frame payload, docs/discord-rpc.md#close-codes) as named data, with what each means for a user.
 *
 * The numbers come from the Discord client's own constants; `discord-api-types` drifts
 * from them above 4013 and 5007 (docs/discord-rpc.md#error-codes), so they are not taken from there.
 *
 * @since 0.1.0
 */

/** @category error codes */
export const RpcErrorCode = {
  UNKNOWN_ERROR: 1000,
  SERVICE_UNAVAILABLE: 1001,
  TRANSACTION_ABORTED: 1002,
  INVALID_PAYLOAD: 4000,
  INVALID_COMMAND: 4002,
  INVALID_GUILD: 4003,
  INVALID_EVENT: 4004,
  INVALID_CHANNEL: 4005,
  INVALID_PERMISSIONS: 4006,
  INVALID_CLIENTID: 4007,
  INVALID_ORIGIN: 4008,
  INVALID_TOKEN: 4009,
  INVALID_USER: 4010,
  INVALID_INVITE: 4011,
  INVALID_ACTIVITY_JOIN_REQUEST: 4012,
  INVALID_LOBBY: 4013,
  INVALID_LOBBY_SECRET: 4014,
  INVALID_ENTITLEMENT: 4015,
  INVALID_GIFT_CODE: 4016,
  INVALID_GUILD_TEMPLATE: 4017,
  INVALID_SOUND: 4018,
  INVALID_PROVIDER: 4019,
  OAUTH2_ERROR: 5000,
  SELECT_CHANNEL_TIMED_OUT: 5001,
  GET_GUILD_TIMED_OUT: 5002,
  SELECT_VOICE_FORCE_REQUIRED: 5003,
  CAPTURE_SHORTCUT_ALREADY_LISTENING: 5004,
  INVALID_ACTIVITY_SECRET: 5005,
  NO_ELIGIBLE_ACTIVITY: 5006,
  LOBBY_FULL: 5007,
  PURCHASE_CANCELED: 5008,
  PURCHASE_ERROR: 5009,
  UNAUTHORIZED_FOR_ACHIEVEMENT: 5010,
  RATE_LIMITED: 5011,
  UNAUTHORIZED_FOR_APPLICATION: 5012,
  NO_CONNECTION_FOUND: 5013
} as const
/** @category error codes */
export type RpcErrorName = keyof typeof RpcErrorCode

/** @category close codes */
export const CloseCode = {
  CLOSE_NORMAL: 1000,
  CLOSE_UNSUPPORTED: 1003,
  CLOSE_ABNORMAL: 1006,
  INVALID_CLIENTID: 4000,
  INVALID_ORIGIN: 4001,
  RATELIMITED: 4002,
  TOKEN_REVOKED: 4003,
  INVALID_VERSION: 4004,
  INVALID_ENCODING: 4005
} as const
/** @category close codes */
export type CloseName = keyof typeof CloseCode

const invert = <K extends string>(table: Record<K, number>): ReadonlyMap<number, K> =>
  new Map(Object.entries(table).map(([name, code]) => [code as number, name as K]))

const errorNames = invert(RpcErrorCode)
const closeNames = invert(CloseCode)

/** The constant name of an RPC error code, or `UNKNOWN_<code>`. @category error codes */
export const rpcErrorName = (code: number): string => errorNames.get(code) ?? `UNKNOWN_${code}`

/** The constant name of a close code, or `UNKNOWN_<code>`. @category close codes */
export const closeName = (code: number): string => closeNames.get(code) ?? `UNKNOWN_${code}`

/**
 * A 4006 that is about the token's scopes. The same code also means a Discord-side
 * permission (no Connect permission, a sound you may not play), which no authorization fixes
 * (docs/discord-rpc.md#error-codes).
 *
 * @category error codes
 */
export const isMissingScope = (code: number, message: string): boolean =>
  code === RpcErrorCode.INVALID_PERMISSIONS && /scope|authenticated/i.test(message)

/**
 * What a user should do about an RPC error, where there is something to do. Discord's
 * message refines the hint where one code has several causes.
 *
 * @category error codes
 */
export const rpcErrorHint = (code: number, message = ""): string | undefined => {
  switch (code) {
    case RpcErrorCode.INVALID_PERMISSIONS:
      if (isMissingScope(code, message)) {
        return "deckcord lacks an OAuth scope for this; it authorizes again once by itself, or run `deckcord auth`"
      }
      if (/connect permission/i.test(message)) return "your Discord account lacks Connect permission on that channel"
      return "Discord refused this for your account (a server permission, e.g. soundboard or invites)"
    case RpcErrorCode.INVALID_TOKEN:
      return "the stored access token was rejected; deckcord refreshes it, or run `deckcord auth`"
    case RpcErrorCode.INVALID_CLIENTID:
      return "the token belongs to another Discord application; check client_id in the config and run `deckcord auth`"
    case RpcErrorCode.INVALID_CHANNEL:
      return "check the channel id in your layout, and that you can see and join that channel"
    case RpcErrorCode.INVALID_USER:
      return "that user is not known to Discord right now (or it is you: per-user volume cannot target yourself)"
    case RpcErrorCode.OAUTH2_ERROR:
      return "authorization failed; see the message, and the Troubleshooting section of the README"
    case RpcErrorCode.SELECT_CHANNEL_TIMED_OUT:
      return "Discord did not find the channel in time; check the channel id"
    case RpcErrorCode.SELECT_VOICE_FORCE_REQUIRED:
      return "you are in another voice channel; deckcord sends force:true, so this means an old Discord build"
    case RpcErrorCode.INVALID_SOUND:
      return "you cannot play that soundboard sound here (another server's sound needs Nitro)"
    default:
      return undefined
  }
}

/**
 * What a user should do about a CLOSE from Discord.
 *
 * @category close codes
 */
export const closeHint = (code: number, message: string): string | undefined => {
  switch (code) {
    case CloseCode.INVALID_CLIENTID:
      return "Discord rejected the application id: check client_id in the config (it is the Application ID " +
        "from the Developer Portal). If it is right, Discord could not reach its API; deckcord retries slowly."
    case CloseCode.TOKEN_REVOKED:
      return "the authorization was revoked in Discord's settings; run `deckcord auth` again"
    case CloseCode.CLOSE_NORMAL:
      return /log/i.test(message) ? "nobody is logged in to Discord; log in and deckcord connects" : undefined
    case CloseCode.CLOSE_UNSUPPORTED:
      return "Discord reported a protocol error; this is a deckcord bug, please report it"
    default:
      return undefined
  }
}
