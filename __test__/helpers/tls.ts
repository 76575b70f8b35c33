// A throw-away certificate authority made with the openssl CLI at test time, and a leaf for
// localhost and 127.0.0.1 signed by it: for loopback TLS receivers trusted through extraCaCerts.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestPki {
  /** A P-256 CA (its certificate PEM) named `name`, with its key kept in the folder. */
  makeCa(name: string): string
  /** A leaf for localhost and 127.0.0.1 signed by the CA `ca` (webpki wants a CA-signed leaf). */
  makeLeaf(ca: string): { key: string; cert: string }
  /** Deletes the folder. */
  remove(): void
}

export function testPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'cyrus-telemetry-tls-'))

  function openssl(...args: string[]) {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 })
  }

  function makeCa(name: string) {
    openssl(
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-addext', 'subjectKeyIdentifier=hash',
    )
    return readFileSync(join(dir, `${name}.pem`), 'utf8')
  }

  function makeLeaf(ca: string) {
    writeFileSync(
      join(dir, 'leaf.ext'),
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
      ].join('\n'),
    )
    openssl(
      'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost',
    )
    openssl(
      'x509', '-req', '-in', 'leaf.csr', '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
      '-out', 'leaf.pem', '-days', '2', '-extfile', 'leaf.ext',
    )
    return { key: readFileSync(join(dir, 'leaf.key'), 'utf8'), cert: readFileSync(join(dir, 'leaf.pem'), 'utf8') }
  }

  return { makeCa, makeLeaf, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
