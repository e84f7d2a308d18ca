/**
 * Fakes for tests (`deckcord/testing`): protocol-faithful stand-ins for Discord, its token
 * endpoint and Stream Deck hardware.
 *
 * @since 0.1.0
 */
export {}
