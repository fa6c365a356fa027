// The pack is a package of its own: `pulumi policy publish` uploads policies/ and installs what its
// package.json lists, and `npm ci` in policies/ must make it run without the repository around it.
// So no module of the pack reaches outside policies/, and every package it loads at run time is a
// dependency of policies/package.json, at the version the repository runs it with.
import * as fs from "node:fs";
import { builtinModules } from "node:module";
import * as path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(__dirname, "../..");
const packDir = path.join(repoRoot, "policies");
const manifest = JSON.parse(fs.readFileSync(path.join(packDir, "package.json"), "utf8")) as { main: string; dependencies: Record<string, string> };
const rootManifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as Record<string, Record<string, string>>;

const packFiles = (fs.readdirSync(packDir, { recursive: true, encoding: "utf8" }) as string[])
  .filter((f) => !f.split(path.sep).includes("node_modules") && /\.(ts|js)$/.test(f))
  .map((f) => path.join(packDir, f));

/** Every module a pack file imports or requires, with the file that names it. */
const imports = packFiles.flatMap((file) =>
  ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true).importedFiles.map((i) => ({ file: path.relative(repoRoot, file), specifier: i.fileName })),
);
const packageOf = (specifier: string) => specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
const builtin = (specifier: string) => specifier.startsWith("node:") || builtinModules.includes(specifier);

describe("the policy pack as a package of its own", () => {
  it("starts from an entry inside policies/ and imports nothing outside it", () => {
    expect(fs.existsSync(path.join(packDir, manifest.main))).toBe(true);
    expect(imports.length).toBeGreaterThan(50);
    const outside = imports.filter((i) => i.specifier.startsWith(".") && !path.resolve(repoRoot, path.dirname(i.file), i.specifier).startsWith(packDir + path.sep));
    expect(outside).toEqual([]);
  });

  it("lists every package it loads as a dependency, at the repository's version", () => {
    const packages = [...new Set(imports.filter((i) => !i.specifier.startsWith(".") && !builtin(i.specifier)).map((i) => packageOf(i.specifier)))];
    expect(packages).toContain("@pulumi/policy");
    // start.js compiles the pack with TypeScript; google-protobuf is pinned as the SDK's own copy.
    for (const name of [...packages, "typescript", "google-protobuf"]) {
      expect(manifest.dependencies[name], name).toBeDefined();
      const rootVersion = rootManifest.dependencies?.[name] ?? rootManifest.devDependencies?.[name] ?? rootManifest.overrides?.[name];
      if (rootVersion !== undefined) expect(manifest.dependencies[name], name).toBe(rootVersion);
    }
  });
});
