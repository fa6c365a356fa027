// The stand-up's images from tests/standup/images (built from Debian packages): every declared
// upstream reference resolves to its local stand-in or to the reason it is left out.
import { ensureStandupImages, localImageFor } from "./images";
import type { StandUpImages } from "./standup";

export async function standUpImages(log: (line: string) => void): Promise<StandUpImages> {
  const map = await ensureStandupImages({ log });
  return {
    appImage: map.app.tag,
    s3StandInImage: map.s3StandIn.tag,
    resolve: (reference) => {
      if (reference === map.app.tag) return { image: reference };
      const reason = map.excluded[reference];
      return reason ? { excluded: reason } : { image: localImageFor(map, reference) };
    },
  };
}
