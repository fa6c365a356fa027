export { ConfigError, type ConfigProblem } from "./errors";
export { readStackConfig, toStackConfig, validateStackConfig, type StackConfig } from "./load";
export { imageProblem } from "./rules";
export * from "./schema";
export { defaultStorageNames, PRODUCTION_STORAGE_NAMES, SHIPPED_PRODUCTION_STACK, stackSlug, type StorageNames } from "./stack-names";
