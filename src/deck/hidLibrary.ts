/**
 * `@elgato-stream-deck/node` as an ES module of our own, for `import()` on first use. The CLI
 * bundle compiles the library in; a dynamic import of bundled CommonJS would see only its
 * `default` export, an import of this module sees the named ones.
 */
export { listStreamDecks, openStreamDeck } from "@elgato-stream-deck/node"
