/**
 * Fakes for tests (`deckcord/testing`): protocol-faithful stand-ins for Discord, its token
 * endpoint, its CDN and Stream Deck hardware. They are part of the product: compose them with the
 * real layers in your own tests.
 *
 * @since 0.1.0
 */
export * from "./FakeAuthority.ts"
export { type FakeAvatarCdn, type FakeCdnMode, makeFakeAvatarCdn, solidPng } from "./FakeAvatarCdn.ts"
export * from "./FakeDiscord.ts"
export * from "./FakeOAuth.ts"
export {
  FAKE_DECK_MODELS,
  FakeDeck,
  type FakeDeckOptions,
  FakeDeckProvider,
  type FakeDeckProviderOptions,
  type FakeImage,
  type Rgb
} from "./FakeDeck.ts"
export { FAST_RECONNECT, fakeDiscordClient, type FakeDiscordClientOptions } from "./layers.ts"
export {
  decodeImageDataUrl,
  FAKE_HOST_DEVICES,
  type FakeHostDevice,
  type FakeHostImage,
  type FakeHostInstance,
  type FakeHostInstanceSpec,
  type FakeHostProfile,
  FakeHostTimeoutError,
  FakeInspector,
  FakeStreamDeckHost,
  type FakeStreamDeckHostOptions,
  type RecordedCommand
} from "./FakeStreamDeckHost.ts"
