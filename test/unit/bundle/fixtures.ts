/** Hand-built bundle JSON for shapes sigstore-js no longer produces (v0.1) and for targeted breakage. */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJson = Record<string, any>;

export function clone<T>(v: T): T & AnyJson {
  return JSON.parse(JSON.stringify(v)) as T & AnyJson;
}

/** A structurally valid v0.1 bundle (the bytes are placeholders; nothing here verifies cryptographically). */
export function v01Bundle(): AnyJson {
  return {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: 'MIIBAA==' }, { rawBytes: 'MIICAA==' }] },
      tlogEntries: [
        {
          logIndex: '25579',
          logId: { keyId: 'wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=' },
          kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
          integratedTime: '1661794544',
          inclusionPromise: { signedEntryTimestamp: 'MEUCIQCxfg==' },
          canonicalizedBody: 'eyJhcGlWZXJzaW9uIjoiMC4wLjEifQ==',
        },
      ],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: 'uR8pLe+XZbjGmN5UgYk8Ryf0uEfUCyBjR6pTuOq7o+E=' },
      signature: 'MEUCIQDfQQ==',
    },
  };
}
