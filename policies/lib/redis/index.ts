// The effective Redis of a container, built once per distinct inputs and shared by every rule that
// asks (sections 4 and 14). Rules read the model; none reads redis.conf text.
import { containerInputs, inputsKey, type ContainerInputs } from "../container-inputs";
import { memoized } from "../model-cache";
import { undecidable } from "../unknowns";
import type { PropRecord } from "../values";
import { OFFICIAL_REDIS_IMAGE, redisLaunch, type ImageDefaults } from "./command-line";
import { buildRedisModel, type RedisModel } from "./model";

/** Upstream builds (valkey, redis-stack) keep protected-mode on by default; the official redis image builds it off. */
function imageDefaults(image: string): ImageDefaults {
  const repository = image.split("@")[0]!.replace(/:[^/:]*$/, "");
  const official = /^(docker\.io\/)?(library\/)?redis$/.test(repository);
  return official ? OFFICIAL_REDIS_IMAGE : { ...OFFICIAL_REDIS_IMAGE, protectedModeDefault: "yes" };
}

export interface RedisContainerModel extends RedisModel {
  readonly inputs: ContainerInputs;
}

/**
 * The model of the redis-server a container runs. Undecidable (throws) when its command line is
 * unknown at preview, or when a file it needs is missing but an upload entry is unknown.
 */
export function redisModelOf(container: { readonly props: PropRecord }): RedisContainerModel {
  const inputs = containerInputs(container);
  if (inputs.unknownArgv) undecidable("command");
  const model = memoized("redis", inputsKey(inputs), (): RedisContainerModel => {
    const image = imageDefaults(inputs.image);
    const launch = redisLaunch(inputs.entrypoints, inputs.command, image, inputs.env);
    const mounts = inputs.mountPoints.map((path) => ({ path, readOnly: inputs.readOnlyMountPoints.includes(path) }));
    return { ...buildRedisModel({ launch, files: inputs.files, workingDir: inputs.workingDir ?? image.workingDir, image, mounts }), inputs };
  });
  if (model.startupError && inputs.unknownUploads > 0 && /can't open|opening file/.test(model.startupError)) undecidable("uploads");
  return model;
}

export { aclAllows, commandCategories } from "./acl";
export { redisMemoryBytes } from "./load";
export type { RedisModel, RedisUser, EffectiveSetting } from "./model";
export { REDIS_DEFAULT_SAVE_RULES } from "./model";
