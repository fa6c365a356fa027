// The app's stand-in behind nginx for the web scanners: a shop page long enough for gzip
// (gzip_min_length 1024) and robots.txt. Usage: node stand-in-shop.mjs <port> (binds 127.0.0.1).
import { createServer } from "node:http";

const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Goldleaf</title></head><body>${
  Array.from({ length: 60 }, (_, i) => `<p>Ring ${i}: 18k gold, hand made.</p>`).join("")
}</body></html>`;

createServer((req, res) => {
  if (req.url === "/robots.txt") {
    res.setHeader("Content-Type", "text/plain");
    res.end("User-agent: *\nDisallow: /admin/\n");
    return;
  }
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.end(page);
}).listen(Number(process.argv[2]), "127.0.0.1");
