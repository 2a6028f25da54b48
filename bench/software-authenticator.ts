/**
 * A software passkey for load generation (bench/passkey.ts): an ES256 key
 * made with node:crypto, answering the login server's options as a
 * platform authenticator would (user present and verified, no attestation,
 * a signature counter). The tests never use it: their passkeys are made by
 * Chromium's virtual authenticator.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'

const UP = 0x01
const UV = 0x04
const AT = 0x40

function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest()
}

/** A CBOR byte or text string's head: major type and minimal length. */
function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length])
  if (length < 256) return Buffer.from([(major << 5) | 24, length])
  return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff])
}

const cborBytes = (bytes: Buffer) => Buffer.concat([cborHead(2, bytes.length), bytes])
const cborText = (text: string) => Buffer.concat([cborHead(3, Buffer.byteLength(text)), Buffer.from(text)])

interface CreationOptions {
  challenge: string
  rp: { id: string }
  user: { id: string }
}

interface RequestOptions {
  challenge: string
  rpId: string
}

export class SoftwarePasskey {
  private readonly privateKey: KeyObject
  private readonly publicKey: KeyObject
  private readonly id = randomBytes(16)
  private counter = 0
  private userHandle = ''

  constructor(private readonly origin: string) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    this.privateKey = pair.privateKey
    this.publicKey = pair.publicKey
  }

  private clientData(type: string, challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }))
  }

  /** The COSE_Key of the public key: EC2, ES256, P-256, x, y. */
  private coseKey(): Buffer {
    const jwk = this.publicKey.export({ format: 'jwk' })
    const x = Buffer.from(jwk.x!, 'base64url')
    const y = Buffer.from(jwk.y!, 'base64url')
    return Buffer.concat([
      Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]),
      cborBytes(x),
      Buffer.from([0x22]),
      cborBytes(y),
    ])
  }

  /** `navigator.credentials.create`'s answer, as @simplewebauthn/browser sends it. */
  create(options: CreationOptions) {
    this.userHandle = options.user.id
    const authData = Buffer.concat([
      sha256(options.rp.id),
      Buffer.from([UP | UV | AT, 0, 0, 0, 0]),
      Buffer.alloc(16), // no AAGUID
      Buffer.from([0, this.id.length]),
      this.id,
      this.coseKey(),
    ])
    const attestationObject = Buffer.concat([
      Buffer.from([0xa3]),
      cborText('fmt'),
      cborText('none'),
      cborText('attStmt'),
      Buffer.from([0xa0]),
      cborText('authData'),
      cborBytes(authData),
    ])
    return this.answer({
      clientDataJSON: this.clientData('webauthn.create', options.challenge).toString('base64url'),
      attestationObject: attestationObject.toString('base64url'),
      transports: ['internal'],
    })
  }

  /** `navigator.credentials.get`'s answer, its counter one higher each time. */
  get(options: RequestOptions) {
    const counter = Buffer.alloc(4)
    counter.writeUInt32BE(++this.counter)
    const authData = Buffer.concat([sha256(options.rpId), Buffer.from([UP | UV]), counter])
    const clientData = this.clientData('webauthn.get', options.challenge)
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), this.privateKey)
    return this.answer({
      clientDataJSON: clientData.toString('base64url'),
      authenticatorData: authData.toString('base64url'),
      signature: signature.toString('base64url'),
      userHandle: this.userHandle,
    })
  }

  /** A credential answer around `response`, as @simplewebauthn/browser sends it. */
  private answer<R>(response: R) {
    const id = this.id.toString('base64url')
    return { id, rawId: id, type: 'public-key', clientExtensionResults: {}, response }
  }
}
