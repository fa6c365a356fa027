import { describe, expect, it } from "vitest";
import { renderFail2banJailLocal, renderNginxAuthFailureFilter, renderNginxLimitReqFilter } from "../../components/fail2ban/fail2ban-config";

const LOGS = { nginxErrorLog: "/var/log/nginx/error.log", nginxAccessLog: "/var/log/nginx/access.log" };

describe("renderFail2banJailLocal", () => {
  it("bans in Docker's forward path by default, in INPUT when ports are not Docker-published", () => {
    expect(renderFail2banJailLocal(LOGS)).toContain('chain_hook="forward"');
    expect(renderFail2banJailLocal({ ...LOGS, banaction: "iptables-multiport" })).toContain('chain="DOCKER-USER"');
    const host = renderFail2banJailLocal({ ...LOGS, banaction: "iptables-multiport", dockerPublishedPorts: false });
    expect(host).not.toMatch(/DOCKER-USER|chain_hook/);
  });

  it("leaves the sshd jail to the host and carries no secret", () => {
    const text = renderFail2banJailLocal({ ...LOGS, cloudflareZoneId: "0123456789abcdef0123456789abcdef" });
    expect(text).not.toContain("[sshd]");
    expect(text).not.toContain("cftoken");
    expect(text).toContain('cloudflare-token[cfzone="0123456789abcdef0123456789abcdef"]');
  });

  it("applies per-jail tuning and refuses nonsense", () => {
    const text = renderFail2banJailLocal({ ...LOGS, authFailure: { maxretry: 3 } });
    expect(text).toMatch(/\[jewelry-nginx-auth\][^[]*maxretry = 3/);
    expect(text).toMatch(/\[jewelry-nginx-limit-req\][^[]*maxretry = 10/);
    expect(() => renderFail2banJailLocal({ ...LOGS, limitReq: { bantimeSeconds: 0 } })).toThrow(/positive integers/);
  });
});

describe("nginx filters", () => {
  it("limits the limit_req filter to our zones", () => {
    expect(renderNginxLimitReqFilter()).toContain("ngx_limit_req_zones = login|admin|api");
  });

  it("counts a re-rendered login form only when asked", () => {
    expect(renderNginxAuthFailureFilter()).toContain('"POST [^"]*" 200');
    expect(renderNginxAuthFailureFilter({ countLoginFormRedisplay: false })).not.toContain('"POST [^"]*" 200');
  });
});
