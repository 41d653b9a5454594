/** SCRAM's math and the server exchange, against RFC 7677's SCRAM-SHA-256 test vector. */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { expect, it } from 'vitest';
import {
  ScramServerExchange, parseClientFirst, type ScramMechanism,
} from '../../src/security/index.js';
import { scramCredential, passwordMatches } from '../../src/security/scram.js';

const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const clientNonce = 'rOprNGfwEbeRWgbNEkqO';
const serverNonce = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';

it("runs RFC 7677's exchange to its server signature", async () => {
  const credential = await scramCredential('SCRAM-SHA-256', 'pencil', 4096, salt);
  const client = parseClientFirst(`n,,n=user,r=${clientNonce}`)!;
  expect(client).toMatchObject({ user: 'user', gs2Header: 'n,,', clientNonce });
  const exchange = new ScramServerExchange('SCRAM-SHA-256', credential, client, serverNonce);
  expect(exchange.first()).toBe(`r=${clientNonce}${serverNonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,` +
    'i=4096');
  expect(exchange.final(`c=biws,r=${clientNonce}${serverNonce},` +
    'p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='))
    .toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
});

/** A client's proof, computed as a client does (here for SHA-512, which the RFC has no vector
 * for). */
function proof(mechanism: ScramMechanism, password: string, credentialSalt: Buffer,
  authMessage: string): string {
  const hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  const salted = pbkdf2Sync(password, credentialSalt, 4096, hash === 'sha256' ? 32 : 64, hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  const storedKey = createHash(hash).update(clientKey).digest();
  const signature = createHmac(hash, storedKey).update(authMessage).digest();
  return Buffer.from(clientKey.map((b, i) => b ^ signature[i])).toString('base64');
}

it('checks SCRAM-SHA-512 proofs, and refuses a wrong password, nonce or binding', async () => {
  const credential = await scramCredential('SCRAM-SHA-512', 'secret');
  const exchange = () => {
    const client = parseClientFirst('n,,n=alice,r=abc')!;
    const server = new ScramServerExchange('SCRAM-SHA-512', credential, client, 'XYZ');
    const first = server.first();
    const final = (password: string, binding = 'biws', nonce = 'abcXYZ') => {
      const withoutProof = `c=${binding},r=${nonce}`;
      const p = proof('SCRAM-SHA-512', password, credential.salt,
        `n=alice,r=abc,${first},${withoutProof}`);
      return server.final(`${withoutProof},p=${p}`);
    };
    return final;
  };
  expect(exchange()('secret')).toMatch(/^v=/);
  // librdkafka's form: its own nonce again in front of the server's.
  expect(exchange()('secret', 'biws', 'abcabcXYZ')).toMatch(/^v=/);
  expect(exchange()('Secret')).toBeUndefined();
  expect(exchange()('secret', 'biws', 'abcXYZ2')).toBeUndefined();
  expect(exchange()('secret', 'eSws')).toBeUndefined();
  expect(await passwordMatches('SCRAM-SHA-512', credential, 'secret')).toBe(true);
  expect(await passwordMatches('SCRAM-SHA-512', credential, 'secre')).toBe(false);
});

it('parses client-first messages and refuses malformed ones', () => {
  expect(parseClientFirst('n,a=alice,n=al=2Cice=3D,r=x')).toMatchObject({
    user: 'al,ice=', gs2Header: 'n,a=alice,', bare: 'n=al=2Cice=3D,r=x',
  });
  for (const bad of ['', 'n,,', 'p=tls-unique,,n=a,r=x', 'n,,n=,r=x', 'n,,n=a', 'n,,n=a=b,r=x',
    'n,,r=x']) {
    expect(parseClientFirst(bad), bad).toBeUndefined();
  }
});
