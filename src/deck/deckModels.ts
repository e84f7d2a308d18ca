/**
 * The deck models `@elgato-stream-deck/core` knows, as an ES module of our own for `import()`
 * on first use (see hidLibrary.ts for why not the package itself).
 */
export { DEVICE_MODELS2, DeviceModelId } from "@elgato-stream-deck/core"
