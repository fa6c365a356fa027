// DIFFERENCES.md: every difference between the stand-up's images and the production images, in one
// table, rendered from catalog.ts (image-map.test.ts keeps the committed file equal to it).
import { BASE_IMAGE_TAG, DEBIAN_SUITE } from "./base-image";
import { EXCLUDED_IMAGES, LOCAL_IMAGES, buildOrder } from "./catalog";

const cell = (text: string) => text.replace(/\|/g, "\\|");

export function renderDifferences(): string {
  const rows = buildOrder()
    .filter((image) => image.replaces.length > 0)
    .map((image) => `| ${image.replaces.map((r) => `\`${r}\``).join("<br>")} | \`${image.tag}\` | ${cell(image.packages)} | ${image.differences.map(cell).join("<br>")} |`);
  const app = LOCAL_IMAGES.app;
  const s3 = LOCAL_IMAGES["s3-standin"];
  return [
    "# Stand-up images: every difference from the production images",
    "",
    "<!-- Rendered from tests/standup/images/catalog.ts by `npx tsx tests/standup/images/cli.ts --differences > tests/standup/images/DIFFERENCES.md`; do not edit by hand. -->",
    "",
    `No image registry is reachable, so the stand-up runs local images built from Debian ${DEBIAN_SUITE}'s packages on`,
    `\`${BASE_IMAGE_TAG}\` (mmdebstrap minbase, imported with \`docker import\`). Each keeps the contract of the`,
    "upstream image it replaces (user ids and names, paths, entrypoint behaviour, the binaries the program's",
    "commands and healthchecks call); the image-build test checks that contract on every build.",
    "",
    "| upstream (as the program declares it) | local image | Debian packages | differences |",
    "|---|---|---|---|",
    ...rows,
    "",
    "## Not in the stand-up",
    "",
    "| upstream | why |",
    "|---|---|",
    ...Object.entries(EXCLUDED_IMAGES).map(([reference, reason]) => `| \`${reference}\` | ${cell(reason)} |`),
    "",
    "## The app",
    "",
    `The stack's \`appImage\` is replaced by the reference app (\`reference-app/\`, image \`${app.tag}\`: ${cell(app.packages)}).`,
    "",
    "## The cloud object stores",
    "",
    `R2 and B2 are unreachable, so the stand-up runs an S3 server of its own for each (image \`${s3.tag}\`: ${cell(s3.packages)}):`,
    "",
    ...s3.differences.map((line) => `- ${line}`),
    "",
  ].join("\n");
}
