// Loads a module the way @pulumi/pulumi resolves it, so that protobuf classes and gRPC are the
// very copies the SDK and its stubs use (two copies break their instanceof checks).
import * as path from "node:path";

const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));

export const fromSdk = <T>(id: string): T => require(require.resolve(id, { paths: [sdkDir] })) as T;
