/**
 * `npm run bench:readme`: copy the figures with targets from the last `npm run bench`
 * (bench/results.json) into the README's short table. Run it when the new figures should
 * be the ones the README shows; `npm run bench` itself never edits the README.
 */
import { fileURLToPath } from "node:url"
import { updateReadme } from "./report.ts"

updateReadme(fileURLToPath(new URL("../../../", import.meta.url)))
console.log("updated the README's benchmark table from bench/results.json")
