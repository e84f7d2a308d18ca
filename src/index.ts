/**
 * deckcord as a library: Effect layers for Discord's local RPC, authorization, the Stream
 * Deck and the key renderer. See the README's "Library" section for a worked example.
 *
 * @since 0.1.0
 */

// protocol: pure codec and schemas
export * as Frame from "./protocol/Frame.ts"
export * as Message from "./protocol/Message.ts"
export * as RpcError from "./protocol/RpcError.ts"
export * as SocketPath from "./protocol/SocketPath.ts"

// Discord RPC
export {
  type AuthSession,
  type Authenticated,
  AuthenticationError,
  authenticateWith,
  authenticationHint,
  Authenticator,
  RETRIES_BY_ITSELF_HINT
} from "./discord/Authenticator.ts"
export {
  ArRpcOnlyError,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DiscordIpc,
  type DiscordIpcOptions,
  DiscordNotFoundError,
  HandshakeClosedError,
  HandshakeTimeoutError,
  type IpcConnectError,
  type IpcConnection
} from "./discord/DiscordIpc.ts"
export {
  AUTHORIZE_TIMEOUT,
  backoffDelay,
  CommandDeadline,
  type ConnectionState,
  type Deadline,
  deadlineFrom,
  DEFAULT_COMMAND_DEADLINE,
  DEFAULT_QUEUE_CAPACITY,
  DEFAULT_RECONNECT,
  DEFAULT_REQUEST_TIMEOUT,
  type DisconnectReason,
  DiscordRpc,
  type DiscordRpcOptions,
  reconnectSchedules,
  type ReconnectOptions,
  type RequestOptions,
  type RpcStats,
  type SelectVoiceChannelOptions,
  STABLE_CONNECTION,
  subscriptionKey,
  type UserVoiceSettingsPatch
} from "./discord/DiscordRpc.ts"
export * from "./discord/RpcErrors.ts"

// settings and authorization
export * from "./config/Config.ts"
export {
  CONFIG_RELOAD_DEBOUNCE,
  Settings,
  SettingsFileError,
  writeFileAtomic
} from "./config/Settings.ts"
export { type StoredToken, TokenStore } from "./auth/TokenStore.ts"
export * from "./auth/OAuth.ts"
export { INVALID_SCOPE_HELP, OAuthFlow, REFRESH_MARGIN } from "./auth/OAuthFlow.ts"
export { configScopes, ScopePolicy, type ScopePolicyShape } from "./auth/ScopePolicy.ts"
export { oauthScopes, SCOPE_EXTRAS } from "./protocol/Scopes.ts"

// the deck and its faces
export * from "./face/Face.ts"
export { FontLoadError, KeyRenderer, type RenderedFace } from "./face/KeyRenderer.ts"
export {
  ALERT_COLOR,
  ALERT_EDGE,
  AVATAR_TINTS,
  contrastRatio,
  hexToRgb,
  PENDING_COLOR,
  relativeLuminance,
  SPEAKING_RING,
  TONE_COLORS,
  type ToneColors
} from "./face/Palette.ts"
export {
  Deck,
  type DeckControl,
  type DeckEncoder,
  type DeckInfo,
  type DeckInput,
  type DeckInputEvent,
  type DeckKey,
  type DeckOptions,
  type DeckShape,
  type DeckStatus,
  describeDeck,
  encoderAt,
  faceColor,
  type LcdPoint,
  type LcdRegion,
  WRITE_RETRIES
} from "./deck/Deck.ts"
export {
  classifyHidError,
  type DeckCandidate,
  DeckHidError,
  DeckProvider,
  type DeckProviderShape,
  HOTPLUG_DEBOUNCE,
  HOTPLUG_SETTLE,
  type HotplugOptions,
  POLL_INTERVAL,
  UDEV_RULES_PATH
} from "./deck/DeckProvider.ts"

// the live model keys derive from
export {
  AMBIGUOUS_REFETCH_DEBOUNCE,
  CHANNEL_FETCH_RETRIES,
  CHANNEL_FETCH_RETRY,
  type ChannelView,
  makeVoiceState,
  type Member,
  SYNC_READ_TIMEOUT,
  SYNC_RETRY_BASE,
  SYNC_RETRY_CAP,
  SyncTiming,
  type VoiceModel,
  VoiceState
} from "./discord/VoiceState.ts"
// members' pictures from Discord's CDN, into the model
export { type AvatarSettings, voiceModelLayer } from "./layers/VoiceModel.ts"
export {
  AVATAR_HASH_PATTERN,
  AVATAR_SIZE,
  avatarCacheDir,
  AvatarError,
  avatarFile,
  avatarKey,
  type AvatarOptions,
  Avatars,
  avatarUrl,
  defaultAvatarIndex,
  DISCORD_CDN,
  withAvatars
} from "./discord/Avatars.ts"

// layout, actions and the controller between deck and Discord
export {
  ANY_DECK,
  type Binding,
  DEFAULT_ENCODERS,
  DEFAULT_KEYS,
  type DeckLayout,
  decodeLayout,
  defaultLayout,
  EMPTY_LAYOUT,
  type Layout,
  LayoutError,
  layoutFor,
  type ResolvedLayout,
  checkLayout,
  scopeExtrasFor
} from "./control/Layout.ts"
export { layoutScopePolicy, neededScopeExtras, requiredScopes } from "./control/Scopes.ts"
export {
  ACTION_NAMES,
  type ActionDef,
  type ActionEnv,
  ActionError,
  type ActionInput,
  actionNamed,
  ACTIONS,
  type AnyActionDef,
  type ControlKind,
  defineAction,
  type KnownState,
  LIVE_WAIT_MILLIS,
  LONG_PRESS_MILLIS,
  makeKnownState
} from "./control/actions/index.ts"
export {
  bindingFace,
  CONTROL_QUEUE_CAPACITY,
  controlId,
  Controller,
  ERROR_FACE_MILLIS,
  PENDING_FACE_AFTER_MILLIS,
  PRESS_DEADLINE_MILLIS,
  type PressError,
  PressRejectedError
} from "./control/Controller.ts"
export { daemonLayer, type DaemonOptions } from "./layers/Daemon.ts"

export { VERSION } from "./version.ts"
