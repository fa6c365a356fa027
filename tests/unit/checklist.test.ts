// policies/checklist.ts is generated from checklist/items.tsv: the two must not drift apart.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checklistItem, checklistItems } from "../../policies/checklist";

describe("the checklist in code", () => {
  it("has every item of checklist/items.tsv with the same id, section and text", () => {
    const rows = readFileSync(resolve(__dirname, "../../checklist/items.tsv"), "utf8").trim().split("\n").slice(1).map((line) => line.split("\t"));
    expect(rows).toHaveLength(119);
    expect(checklistItems.map((i) => [i.id, i.section, i.text])).toEqual(rows);
  });

  it("refuses an id the checklist does not have", () => {
    expect(checklistItem("13.6").text).toBe("WAL archiving configured");
    expect(() => checklistItem("16.1")).toThrow(/unknown checklist id "16.1"/);
  });
});
