// The files the official nginx image (Docker Hub `nginx`, 1.27.x, Debian and Alpine variants) ships
// and what its entrypoint does to them before nginx starts. Sources, read for this model:
// - /etc/nginx/nginx.conf and conf.d/default.conf: nginx/pkg-oss tag 1.27.3-1, debian/debian/nginx.conf and
//   nginx.default.conf (installed as conf.d/default.conf by debian/nginx.rules.in);
// - mime.types, fastcgi_params, scgi_params, uwsgi_params: nginx/nginx tag release-1.27.3, conf/;
// - prefix /etc/nginx/ (--prefix=/etc/nginx in pkg-oss debian/Makefile);
// - ENTRYPOINT /docker-entrypoint.sh, CMD ["nginx", "-g", "daemon off;"], and the entrypoint scripts
//   10-listen-on-ipv6-by-default.sh and 20-envsubst-on-templates.sh: nginxinc/docker-nginx commit d21b4f2
//   ("Updated mainline nginx to 1.27.3"), mainline/debian/.

export const IMAGE_PREFIX = "/etc/nginx/";
export const IMAGE_CONF_FILE = "/etc/nginx/nginx.conf";
export const IMAGE_ENTRYPOINT = ["/docker-entrypoint.sh"];
export const IMAGE_COMMAND = ["nginx", "-g", "daemon off;"];
/** The version assumed for an image tag that names none (latest, mainline, a digest only). */
export const LATEST_MODELLED_VERSION = "1.27.3";

export const IMAGE_DEFAULT_CONF = "/etc/nginx/conf.d/default.conf";

const NGINX_CONF = `

user  nginx;
worker_processes  auto;

error_log  /var/log/nginx/error.log notice;
pid        /var/run/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       /etc/nginx/mime.types;
    default_type  application/octet-stream;

    log_format  main  '\$remote_addr - \$remote_user [\$time_local] "\$request" '
                      '\$status \$body_bytes_sent "\$http_referer" '
                      '"\$http_user_agent" "\$http_x_forwarded_for"';

    access_log  /var/log/nginx/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    keepalive_timeout  65;

    #gzip  on;

    include /etc/nginx/conf.d/*.conf;
}
`;

const DEFAULT_CONF = `
server {
    listen       80;
    server_name  localhost;

    #access_log  /var/log/nginx/host.access.log  main;

    location / {
        root   /usr/share/nginx/html;
        index  index.html index.htm;
    }

    #error_page  404              /404.html;

    # redirect server error pages to the static page /50x.html
    #
    error_page   500 502 503 504  /50x.html;
    location = /50x.html {
        root   /usr/share/nginx/html;
    }

    # proxy the PHP scripts to Apache listening on 127.0.0.1:80
    #
    #location ~ \.php\$ {
    #    proxy_pass   http://127.0.0.1;
    #}

    # pass the PHP scripts to FastCGI server listening on 127.0.0.1:9000
    #
    #location ~ \.php\$ {
    #    root           html;
    #    fastcgi_pass   127.0.0.1:9000;
    #    fastcgi_index  index.php;
    #    fastcgi_param  SCRIPT_FILENAME  /scripts\$fastcgi_script_name;
    #    include        fastcgi_params;
    #}

    # deny access to .htaccess files, if Apache's document root
    # concurs with nginx's one
    #
    #location ~ /\.ht {
    #    deny  all;
    #}
}

`;

/** conf/mime.types as [type, extensions]: the file is one `types { … }` block of these. */
const MIME_TYPES: readonly (readonly [string, string])[] = [
  ["text/html", "html htm shtml"],
  ["text/css", "css"],
  ["text/xml", "xml"],
  ["image/gif", "gif"],
  ["image/jpeg", "jpeg jpg"],
  ["application/javascript", "js"],
  ["application/atom+xml", "atom"],
  ["application/rss+xml", "rss"],
  ["text/mathml", "mml"],
  ["text/plain", "txt"],
  ["text/vnd.sun.j2me.app-descriptor", "jad"],
  ["text/vnd.wap.wml", "wml"],
  ["text/x-component", "htc"],
  ["image/avif", "avif"],
  ["image/png", "png"],
  ["image/svg+xml", "svg svgz"],
  ["image/tiff", "tif tiff"],
  ["image/vnd.wap.wbmp", "wbmp"],
  ["image/webp", "webp"],
  ["image/x-icon", "ico"],
  ["image/x-jng", "jng"],
  ["image/x-ms-bmp", "bmp"],
  ["font/woff", "woff"],
  ["font/woff2", "woff2"],
  ["application/java-archive", "jar war ear"],
  ["application/json", "json"],
  ["application/mac-binhex40", "hqx"],
  ["application/msword", "doc"],
  ["application/pdf", "pdf"],
  ["application/postscript", "ps eps ai"],
  ["application/rtf", "rtf"],
  ["application/vnd.apple.mpegurl", "m3u8"],
  ["application/vnd.google-earth.kml+xml", "kml"],
  ["application/vnd.google-earth.kmz", "kmz"],
  ["application/vnd.ms-excel", "xls"],
  ["application/vnd.ms-fontobject", "eot"],
  ["application/vnd.ms-powerpoint", "ppt"],
  ["application/vnd.oasis.opendocument.graphics", "odg"],
  ["application/vnd.oasis.opendocument.presentation", "odp"],
  ["application/vnd.oasis.opendocument.spreadsheet", "ods"],
  ["application/vnd.oasis.opendocument.text", "odt"],
  ["application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"],
  ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"],
  ["application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"],
  ["application/vnd.wap.wmlc", "wmlc"],
  ["application/wasm", "wasm"],
  ["application/x-7z-compressed", "7z"],
  ["application/x-cocoa", "cco"],
  ["application/x-java-archive-diff", "jardiff"],
  ["application/x-java-jnlp-file", "jnlp"],
  ["application/x-makeself", "run"],
  ["application/x-perl", "pl pm"],
  ["application/x-pilot", "prc pdb"],
  ["application/x-rar-compressed", "rar"],
  ["application/x-redhat-package-manager", "rpm"],
  ["application/x-sea", "sea"],
  ["application/x-shockwave-flash", "swf"],
  ["application/x-stuffit", "sit"],
  ["application/x-tcl", "tcl tk"],
  ["application/x-x509-ca-cert", "der pem crt"],
  ["application/x-xpinstall", "xpi"],
  ["application/xhtml+xml", "xhtml"],
  ["application/xspf+xml", "xspf"],
  ["application/zip", "zip"],
  ["application/octet-stream", "bin exe dll"],
  ["application/octet-stream", "deb"],
  ["application/octet-stream", "dmg"],
  ["application/octet-stream", "iso img"],
  ["application/octet-stream", "msi msp msm"],
  ["audio/midi", "mid midi kar"],
  ["audio/mpeg", "mp3"],
  ["audio/ogg", "ogg"],
  ["audio/x-m4a", "m4a"],
  ["audio/x-realaudio", "ra"],
  ["video/3gpp", "3gpp 3gp"],
  ["video/mp2t", "ts"],
  ["video/mp4", "mp4"],
  ["video/mpeg", "mpeg mpg"],
  ["video/quicktime", "mov"],
  ["video/webm", "webm"],
  ["video/x-flv", "flv"],
  ["video/x-m4v", "m4v"],
  ["video/x-mng", "mng"],
  ["video/x-ms-asf", "asx asf"],
  ["video/x-ms-wmv", "wmv"],
  ["video/x-msvideo", "avi"],
];

/** The *_params files hold only *_param lines, which no rule reads: their shape is kept, not each line. */
const PARAMS_FILE = (kind: string) => `# ${kind}_param lines of the nginx distribution (not judged by the policy pack)\n`;

export const IMAGE_FILES: ReadonlyMap<string, string> = new Map([
  ["/etc/nginx/nginx.conf", NGINX_CONF],
  [IMAGE_DEFAULT_CONF, DEFAULT_CONF],
  ["/etc/nginx/mime.types", `types {\n${MIME_TYPES.map(([type, extensions]) => `    ${type} ${extensions};`).join("\n")}\n}\n`],
  ["/etc/nginx/fastcgi_params", PARAMS_FILE("fastcgi")],
  ["/etc/nginx/scgi_params", PARAMS_FILE("scgi")],
  ["/etc/nginx/uwsgi_params", PARAMS_FILE("uwsgi")],
]);

/** 10-listen-on-ipv6-by-default.sh: the packaged default.conf, unchanged, also listens on [::]:80. */
export const withIpv6DefaultListen = (defaultConf: string): string =>
  defaultConf.replace("listen       80;", "listen       80;\n    listen  [::]:80;");
