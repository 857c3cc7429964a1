// Copies the front-end libraries we serve from node_modules into the web project's wwwroot/lib.
// Runs as npm's postinstall so that the files exist before MSBuild discovers static web assets.
import { cpSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "CharacterHub.Web", "wwwroot", "lib");
const files = [
  ["htmx.org/dist/htmx.min.js", "htmx/htmx.min.js"],
  ["htmx-ext-sse/dist/sse.min.js", "htmx/sse.min.js"],
];
for (const [from, to] of files) {
  const src = join(root, "node_modules", from);
  if (!existsSync(src)) {
    console.error(`missing ${src}: run npm ci`);
    process.exit(1);
  }
  const dest = join(target, to);
  mkdirSync(dirname(dest), { recursive: true });
  cpSync(src, dest);
}
console.log(`front-end libraries copied to ${target}`);
