// Findings of a rule grouped by problem, each naming where nginx answers with it (server and location)
// and one request that shows it: a setting wrong at the http level is one finding, not one per location.
import { describeLocation, describeServer, type NginxLocation, type NginxServer } from "./model";

const PLACES_SHOWN = 4;

export class NginxFindings {
  private readonly byProblem = new Map<string, Map<string, string>>();

  /** `statuses`: the responses of that place that have the problem, when it depends on the status. */
  add(server: NginxServer, location: NginxLocation | undefined, example: string, problem: string, statuses?: readonly number[]): void {
    const places = this.byProblem.get(problem) ?? new Map<string, string>();
    const place = `${describeServer(server)} ${describeLocation(location)}${statuses ? ` on ${statuses.join("/")} responses` : ""}`;
    if (!places.has(place)) places.set(place, example);
    this.byProblem.set(problem, places);
  }

  /** One violation per problem: "nginx NAME: problem, at server … location … (e.g. URL); …". */
  report(report: (message: string, urn?: string) => void, name: string, urn: string): void {
    for (const [problem, places] of this.byProblem) {
      const shown = [...places].slice(0, PLACES_SHOWN).map(([place, example]) => `${place} (e.g. ${example})`);
      const more = places.size > PLACES_SHOWN ? ` and ${places.size - PLACES_SHOWN} more` : "";
      report(`nginx ${name}: ${problem}, at ${shown.join("; ")}${more}.`, urn);
    }
  }
}
