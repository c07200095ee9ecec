// Writes dist/pkg/core/render/index.js (see build-package.sh): re-exports impl.js's names, or throws a
// ConfigError naming the render packages to install when one is missing.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const dir = resolve(process.argv[2]);
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const peers = pkg.peerDependencies ?? {};
const install = `npm i ${Object.entries(peers).map(([n, v]) => `${n}@${v}`).join(" ")}`;
const names = Object.keys(await import(pathToFileURL(join(dir, "impl.js")).href)).filter((n) => n !== "default").sort();
const door = `// docctl/render: the render stack is optional (peer dependencies); this door says what to install.
import { ConfigError } from "../lib/index.js";
const PEERS = ${JSON.stringify(Object.keys(peers))};
let m;
try {
  m = await import("./impl.js");
} catch (err) {
  const missing = PEERS.find((p) => String(err?.message ?? "").includes(\`'\${p}'\`) || String(err?.message ?? "").includes(\`"\${p}"\`));
  if (!missing && !/ERR_MODULE_NOT_FOUND|Cannot find (package|module)/.test(String(err?.code ?? err?.message))) throw err;
  throw new ConfigError(
    \`docctl/render needs the render packages, which \\\`npm i docctl\\\` leaves out (the queue needs none of them)\${missing ? \`; "\${missing}" is missing\` : ""}. Install them: ${install}\`,
    "render",
    { cause: err },
  );
}
export const { ${names.join(", ")} } = m;
`;
writeFileSync(join(dir, "index.js"), door);
