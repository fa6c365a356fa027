// Serializes dynamic providers exactly as `pulumi up` does, printing the text the engine stores in
// each resource's `__provider` input (a JSON array of {text, containsSecrets} on stdout).
//
//   node serialize-provider.cjs <project root> <module path>#<export name> ...
//
// The Node language host (@pulumi/pulumi/cmd/run) compiles a TypeScript program with ts-node, which it
// registers with the project's tsconfig.json over its own defaults; the dynamic Resource then calls
// the SDK's closure serializer as serializeFunction(() => provider, { allowSecrets: true }). This script
// does the same in a fresh process, so the code under test is the code a real deployment ships, not
// the test runner's own transform of it. transpileOnly: type checking changes nothing in the output.
"use strict";
const path = require("node:path");

const [root, ...specs] = process.argv.slice(2);
if (!root || specs.length === 0 || specs.some((spec) => !/^[^#]+#\w+$/.test(spec))) {
  process.stderr.write("usage: serialize-provider.cjs <project root> <module path>#<export name> ...\n");
  process.exit(2);
}
process.chdir(root);
const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [root] }));
const tsutils = require(path.join(sdkDir, "tsutils"));
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
require(tsnodeRequire).register({
  compiler: typescriptRequire,
  transpileOnly: true,
  project: "tsconfig.json",
  skipProject: false,
  compilerOptions: {
    target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true",
    ...tsutils.loadTypeScriptCompilerOptions("tsconfig.json"),
  },
});

const pulumi = require(sdkDir);
function serialize(spec) {
  const [modulePath, exportName] = spec.split("#");
  const provider = require(path.resolve(root, modulePath))[exportName];
  if (!provider) throw new Error(`${modulePath} exports no ${exportName}`);
  return pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })
    .then((serialized) => ({ text: serialized.text, containsSecrets: serialized.containsSecrets }));
}

Promise.all(specs.map(serialize)).then(
  (serialized) => process.stdout.write(JSON.stringify(serialized)),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
