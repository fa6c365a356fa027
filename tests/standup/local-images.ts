// The stand-up's images from tests/standup/images (built from Debian packages): every declared
// upstream reference resolves to its local stand-in or to the reason it is left out. The build runs
// alongside the stand-up: each container waits only for its own image (ready-images.ts).
import { EXCLUDED_IMAGES, LOCAL_IMAGE_NAMES, LOCAL_IMAGES, type LocalImageName } from "./images/catalog";
import { localImageFor, startStandupImages, type ImageMap } from "./images";
import type { StandUpImages } from "./standup";

export interface StandUpImagesInProgress extends StandUpImages {
  /** Every image built or reused; rejects with the failed build's output. */
  readonly built: Promise<ImageMap>;
}

/** Upstream reference -> the local tag that stands in for it, from the catalog alone. */
const LOCAL_TAGS: Readonly<Record<string, { readonly tag: string }>> = Object.fromEntries(
  LOCAL_IMAGE_NAMES.flatMap((name) => LOCAL_IMAGES[name].replaces.map((reference) => [reference, { tag: LOCAL_IMAGES[name].tag }])),
);
const NAME_OF_TAG = new Map<string, LocalImageName>(LOCAL_IMAGE_NAMES.map((name) => [LOCAL_IMAGES[name].tag, name]));

export async function standUpImages(log: (line: string) => void): Promise<StandUpImagesInProgress> {
  const building = await startStandupImages({ log });
  const appImage = LOCAL_IMAGES.app.tag;
  return {
    appImage,
    s3StandInImage: LOCAL_IMAGES["s3-standin"].tag,
    resolve: (reference) => {
      if (reference === appImage) return { image: reference };
      const reason = EXCLUDED_IMAGES[reference];
      return reason ? { excluded: reason } : { image: localImageFor({ images: LOCAL_TAGS, excluded: EXCLUDED_IMAGES }, reference) };
    },
    ready: async (tag) => {
      const name = NAME_OF_TAG.get(tag);
      if (!name) throw new Error(`${tag} is no stand-up image (tests/standup/images/catalog.ts)`);
      await building.ready(name);
    },
    built: building.all,
  };
}
