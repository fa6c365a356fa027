export { ConfigError, type ConfigProblem } from "./errors";
export { readStackConfig, toStackConfig, validateStackConfig, type StackConfig } from "./load";
export { imageProblem } from "./rules";
export * from "./schema";
