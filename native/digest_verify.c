/*
 * keyless's one native function: an ECDSA signature check over a digest the caller already has.
 *
 * Why native: a hashedrekord entry carries only the artifact's digest, so the log must check the signature from the
 * digest. node:crypto offers only verify-over-a-message (it hashes first), and WebCrypto the same; the JS fallback in
 * src/core/prehash.ts builds the check from two ECDH scalar multiplications, which costs about 2.5x a native verify
 * because ECDH's multiplication is the constant-time one and one of its results is thrown away. No maintained npm
 * package offers a native digest verify for the NIST curves. OpenSSL, which Node itself links and exports, does:
 * ECDSA_verify takes the digest (FIPS 186-5 §6.4.2, its leftmost bits as e). This file is a thin Node-API wrapper
 * around that call and nothing else. (The EC_KEY functions are deprecated in OpenSSL 3 in favour of EVP_PKEY, but
 * decoding a key through EVP's decoders costs twice the verify itself; these are still exported, and tested.)
 *
 * verifyDigest(curveBits: 256 | 384 | 521, point: Uint8Array, digest: Uint8Array, signature: Uint8Array) -> boolean
 *   point: the uncompressed public point (0x04 || X || Y), checked to be on the curve; anything else answers false.
 *   signature: DER ECDSA-Sig-Value. OpenSSL refuses an encoding that does not re-encode to the same bytes
 *   (non-minimal integers, trailing data), as the JS path does.
 *   false for every failure; TypeError (code ERR_INVALID_ARG_TYPE) only for arguments of the wrong type.
 * The OpenSSL error queue is cleared before returning, so that no stale error reaches node:crypto's next call.
 */
#include <node_api.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <stdint.h>
#include <stdlib.h>

static int bytes_of(napi_env env, napi_value v, const unsigned char **data, size_t *len) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  void *raw = NULL;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, v, &type, len, &raw, &buffer, &offset) != napi_ok || type != napi_uint8_array) return 0;
  *data = raw;
  return 1;
}

/*
 * The three curves' groups, made once per Node environment (napi instance data, so worker threads each have their
 * own) and shared by every key made after: building a group from its curve data costs about a fifth of a P-256
 * verify.
 */
typedef struct {
  EC_GROUP *p256, *p384, *p521;
} Groups;

static void free_groups(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  Groups *g = data;
  EC_GROUP_free(g->p256);
  EC_GROUP_free(g->p384);
  EC_GROUP_free(g->p521);
  free(g);
}

/* The group of a curve size in bits; NULL for any other. */
static const EC_GROUP *group_of(const Groups *g, uint32_t bits) {
  switch (bits) {
    case 256: return g->p256;
    case 384: return g->p384;
    case 521: return g->p521;
    default: return NULL;
  }
}

static int verify_digest(const EC_GROUP *group, const unsigned char *point, size_t point_len, const unsigned char *digest, size_t digest_len, const unsigned char *sig, size_t sig_len) {
  if (group == NULL || point_len == 0 || point_len > 133 || digest_len == 0 || digest_len > 64 || sig_len == 0 || sig_len > 256 || point[0] != 0x04) return 0;
  EC_KEY *key = EC_KEY_new();
  const unsigned char *p = point;
  int ok = 0;
  /* o2i_ECPublicKey decodes the octet string for the key's group and checks that the point is on the curve. */
  if (key != NULL && EC_KEY_set_group(key, group) == 1 && o2i_ECPublicKey(&key, &p, (long)point_len) != NULL && p == point + point_len) {
    ok = ECDSA_verify(0, digest, (int)digest_len, sig, (int)sig_len, key) == 1;
  }
  EC_KEY_free(key);
  ERR_clear_error();
  return ok;
}

static napi_value VerifyDigest(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  uint32_t bits = 0;
  const unsigned char *point = NULL, *digest = NULL, *sig = NULL;
  size_t point_len = 0, digest_len = 0, sig_len = 0;
  if (argc < 4 || napi_get_value_uint32(env, argv[0], &bits) != napi_ok || !bytes_of(env, argv[1], &point, &point_len) ||
      !bytes_of(env, argv[2], &digest, &digest_len) || !bytes_of(env, argv[3], &sig, &sig_len)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "verifyDigest(curveBits, point, digest, signature) takes a number and three Uint8Arrays");
    return NULL;
  }
  Groups *groups = NULL;
  if (napi_get_instance_data(env, (void **)&groups) != napi_ok || groups == NULL) {
    napi_throw_error(env, "ERR_NATIVE", "the addon was not initialised");
    return NULL;
  }
  napi_value result;
  napi_get_boolean(env, verify_digest(group_of(groups, bits), point, point_len, digest, digest_len, sig, sig_len), &result);
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  Groups *g = calloc(1, sizeof(Groups));
  if (g == NULL) return NULL;
  g->p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  g->p384 = EC_GROUP_new_by_curve_name(NID_secp384r1);
  g->p521 = EC_GROUP_new_by_curve_name(NID_secp521r1);
  if (g->p256 == NULL || g->p384 == NULL || g->p521 == NULL || napi_set_instance_data(env, g, free_groups, NULL) != napi_ok) {
    free_groups(env, g, NULL);
    napi_throw_error(env, "ERR_NATIVE", "this OpenSSL lacks one of P-256, P-384 and P-521");
    return NULL;
  }
  napi_value fn;
  if (napi_create_function(env, "verifyDigest", NAPI_AUTO_LENGTH, VerifyDigest, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "verifyDigest", fn) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
