// The Grafana a container runs, as its settings resolve: grafana.ini (GF_PATHS_CONFIG, default
// /etc/grafana/grafana.ini) overridden by GF_<SECTION>_<KEY> env vars, a `__FILE` variant reading the
// value from a file; dashboards come from the file providers in <paths.provisioning>/dashboards/*.y*ml,
// each reading the JSON files under its options.path.
import { parse } from "yaml";
import { containerInputs, type ContainerInputs } from "../container-inputs";
import { asArray, asRecord, asString, type PropRecord } from "../values";

export interface GrafanaSetting {
  /** undefined: not set anywhere (Grafana's default applies); UNREADABLE: from a file unknown at preview. */
  readonly value: string | undefined;
  readonly source: string;
  /** A `__FILE` pointing at a file the container does not have: Grafana refuses to start. */
  readonly missingFile?: string;
  readonly unreadable?: boolean;
}

export interface DashboardProvider {
  readonly file: string;
  readonly name: string;
  readonly path: string;
  /** Dashboard JSON files under the path that parse as dashboards. */
  readonly dashboards: readonly string[];
}

export interface GrafanaModel {
  setting(section: string, key: string): GrafanaSetting;
  readonly provisioningDir: string;
  readonly providers: readonly DashboardProvider[];
  /** Provider files found elsewhere than where Grafana reads them. */
  readonly unreadProviderFiles: readonly string[];
}

function parseIni(text: string): Map<string, string> {
  const values = new Map<string, string>();
  let section = "";
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#")) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) section = header[1]!.trim().toLowerCase();
    else {
      const eq = line.indexOf("=");
      if (eq > 0) values.set(`${section}.${line.slice(0, eq).trim().toLowerCase()}`, line.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1"));
    }
  }
  return values;
}

const envName = (section: string, key: string) => `GF_${section}_${key}`.toUpperCase().replace(/[.-]/g, "_");

export function buildGrafanaModel(inputs: ContainerInputs): GrafanaModel {
  const iniPath = inputs.env.get("GF_PATHS_CONFIG") ?? "/etc/grafana/grafana.ini";
  const iniText = inputs.files.get(iniPath);
  const ini = iniText === undefined ? new Map<string, string>() : parseIni(iniText);
  const setting = (section: string, key: string): GrafanaSetting => {
    const name = envName(section, key);
    const file = inputs.env.get(`${name}__FILE`);
    if (file !== undefined && file !== "") {
      if (!inputs.files.has(file)) return { value: undefined, source: `${name}__FILE`, missingFile: file };
      const content = inputs.files.get(file);
      return content === undefined ? { value: undefined, source: `${name}__FILE`, unreadable: true } : { value: content.trim(), source: `${name}__FILE` };
    }
    if (inputs.env.has(name)) return { value: inputs.env.get(name), source: `env ${name}` };
    const fromIni = ini.get(`${section}.${key}`);
    return fromIni === undefined ? { value: undefined, source: "Grafana's default" } : { value: fromIni, source: iniPath };
  };
  const provisioningDir = (setting("paths", "provisioning").value ?? "/etc/grafana/provisioning").replace(/\/+$/, "");
  const providerDir = `${provisioningDir}/dashboards/`;
  const isProviderFile = (path: string, text: string | undefined) => /\.ya?ml$/.test(path) && text !== undefined && /^\s*providers\s*:/m.test(text);
  const providers: DashboardProvider[] = [];
  const unreadProviderFiles: string[] = [];
  for (const [path, text] of inputs.files) {
    if (!isProviderFile(path, text)) continue;
    if (!(path.startsWith(providerDir) && !path.slice(providerDir.length).includes("/"))) {
      unreadProviderFiles.push(path);
      continue;
    }
    for (const raw of asArray((asRecord(parse(text!) as unknown) ?? {}).providers)) {
      const provider = asRecord(raw) ?? {};
      if ((asString(provider.type) ?? "file") !== "file") continue;
      const dir = (asString(asRecord(provider.options)?.path) ?? "").replace(/\/+$/, "");
      const dashboards = [...inputs.files].filter(([file, content]) => dir !== "" && file.startsWith(`${dir}/`) && file.endsWith(".json") && isDashboard(content)).map(([file]) => file);
      providers.push({ file: path, name: asString(provider.name) ?? "", path: dir, dashboards });
    }
  }
  return { setting, provisioningDir, providers, unreadProviderFiles };
}

function isDashboard(content: string | undefined): boolean {
  if (content === undefined) return true;
  try {
    const doc = asRecord(JSON.parse(content) as unknown);
    return doc !== undefined && (Array.isArray(doc.panels) || Array.isArray(doc.rows));
  } catch {
    return false;
  }
}

export const grafanaModelOf = (container: { readonly props: PropRecord }): GrafanaModel => buildGrafanaModel(containerInputs(container));
