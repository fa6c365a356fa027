// The effective Alertmanager of a container, built once per distinct inputs; section 8 asks it where
// an alert goes, as `amtool config routes test` answers.
import { containerInputs, inputsKey } from "../container-inputs";
import { memoized } from "../model-cache";
import { containerLaunch, type ImageLaunch } from "../process-launch";
import { undecidable } from "../unknowns";
import type { PropRecord } from "../values";
import { buildAlertmanagerModel, type AlertmanagerModel } from "./model";

/** prom/alertmanager: ENTRYPOINT /bin/alertmanager, CMD the config file and storage path; WORKDIR /alertmanager. */
const PROM_ALERTMANAGER_IMAGE: ImageLaunch & { readonly workingDir: string } = {
  entrypoint: ["/bin/alertmanager"],
  command: ["--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager"],
  workingDir: "/alertmanager",
};

const isAlertmanager = (word: string) => /(^|\/)(prometheus-)?alertmanager$/.test(word);

export function alertmanagerModelOf(container: { readonly props: PropRecord }): AlertmanagerModel {
  const inputs = containerInputs(container);
  if (inputs.unknownArgv) undecidable("command");
  return memoized("alertmanager", inputsKey(inputs), () => buildAlertmanagerModel(
    containerLaunch(inputs.entrypoints, inputs.command, PROM_ALERTMANAGER_IMAGE, { isServer: isAlertmanager }, inputs.env),
    inputs.files,
    inputs.workingDir ?? PROM_ALERTMANAGER_IMAGE.workingDir,
  ));
}

export { inhibits, matchesAll, PAGING_INTEGRATIONS, silentWhen } from "./model";
export type { AlertmanagerModel, InhibitRule, Receiver, Route, TimeRange } from "./model";
