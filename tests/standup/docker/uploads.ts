// Uploads as pulumi-docker applies them: one tar archive per file, extracted at "/" of the created
// (not yet started) container. The tar header carries the file's mode, owner and group; Docker
// creates missing parent folders as root, 0755.
import { pack } from "tar-stream";
import type Dockerode from "dockerode";
import type { Upload } from "./container-spec";

function tarOf(upload: Upload): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const archive = pack();
    const chunks: Buffer[] = [];
    archive.on("data", (chunk: Buffer) => chunks.push(chunk));
    archive.on("end", () => resolve(Buffer.concat(chunks)));
    archive.on("error", reject);
    archive.entry({ name: upload.file, mode: upload.mode, uid: upload.uid, gid: upload.gid, mtime: new Date(), size: upload.content.length }, upload.content, (error) => {
      if (error) reject(error);
      else archive.finalize();
    });
  });
}

export async function applyUploads(container: Dockerode.Container, name: string, uploads: readonly Upload[]): Promise<void> {
  for (const upload of uploads) {
    try {
      await container.putArchive(await tarOf(upload), { path: "/" });
    } catch (error) {
      throw new Error(`${name}: upload of ${upload.file} failed: ${(error as Error).message}`);
    }
  }
}
