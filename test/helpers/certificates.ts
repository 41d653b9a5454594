/**
 * Certificates made at test time with Debian's `openssl` CLI, into a temporary directory that
 * the caller removes (no private key is ever committed): a CA, a server certificate for
 * 127.0.0.1 and localhost, a client certificate for `CN=alice`, an expired client certificate
 * from the same CA, and a client certificate from a CA nobody trusts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestCertificates {
  dir: string;
  caPem: string;
  caFile: string;
  server: { keyFile: string; certFile: string; key: string; cert: string };
  alice: { keyFile: string; certFile: string; key: string; cert: string };
  expired: { key: string; cert: string };
  untrusted: { key: string; cert: string };
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function selfSigned(dir: string, name: string, subject: string): void {
  openssl(dir, ['req', '-x509', ...keyArgs, '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-days', '2', '-subj', subject]);
}

/** A certificate for `subject` signed by `ca`; `days` -1 makes one that has expired. */
function signed(dir: string, name: string, subject: string, ca: string, days: number,
  extensions?: string): void {
  openssl(dir, ['req', ...keyArgs, '-keyout', `${name}.key`, '-out', `${name}.csr`,
    '-subj', subject]);
  const extra: string[] = [];
  if (extensions !== undefined) {
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    extra.push('-extfile', `${name}.ext`);
  }
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`,
    '-CAcreateserial', '-out', `${name}.pem`, '-days', String(days), ...extra]);
}

export function makeCertificates(dir: string): TestCertificates {
  selfSigned(dir, 'ca', '/CN=mamba-test-ca');
  selfSigned(dir, 'other-ca', '/CN=somebody-else');
  signed(dir, 'server', '/CN=localhost', 'ca', 2,
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  signed(dir, 'alice', '/CN=alice', 'ca', 2, 'extendedKeyUsage=clientAuth\n');
  signed(dir, 'expired', '/CN=alice', 'ca', -1, 'extendedKeyUsage=clientAuth\n');
  signed(dir, 'untrusted', '/CN=alice', 'other-ca', 2, 'extendedKeyUsage=clientAuth\n');
  const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
  const pair = (name: string) => ({
    keyFile: path.join(dir, `${name}.key`), certFile: path.join(dir, `${name}.pem`),
    key: read(`${name}.key`), cert: read(`${name}.pem`),
  });
  return {
    dir, caPem: read('ca.pem'), caFile: path.join(dir, 'ca.pem'),
    server: pair('server'), alice: pair('alice'), expired: pair('expired'),
    untrusted: pair('untrusted'),
  };
}
